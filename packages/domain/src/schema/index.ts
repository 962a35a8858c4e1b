import { activities, auditLogs } from "./activity.js";
import { agents } from "./agents.js";
import { chatMessages, chats } from "./chats.js";
import { costs } from "./costs.js";
import { fileAnalyses, files, selectedFiles } from "./files.js";
import { instanceSettings } from "./instance.js";
import { projectCollaborators, projectShares, projects } from "./projects.js";
import { prompts } from "./prompts.js";
import { queueItems, queues } from "./queues.js";
import { teamMembers, teamSettings, teams } from "./teams.js";
import { tasks, tickets } from "./tickets.js";
import { apiTokens, refreshTokens, userPreferences, users } from "./users.js";

export * from "./activity.js";
export * from "./agents.js";
export * from "./chats.js";
export * from "./common.js";
export * from "./costs.js";
export * from "./files.js";
export * from "./instance.js";
export * from "./projects.js";
export * from "./prompts.js";
export * from "./queues.js";
export * from "./teams.js";
export * from "./tickets.js";
export * from "./users.js";

/** Every table of the workspace, referenced tables before the tables that reference them. */
export const tables = {
  users,
  userPreferences,
  teams,
  teamMembers,
  teamSettings,
  agents,
  refreshTokens,
  apiTokens,
  projects,
  projectCollaborators,
  projectShares,
  tickets,
  tasks,
  queues,
  queueItems,
  costs,
  activities,
  auditLogs,
  chats,
  chatMessages,
  files,
  selectedFiles,
  fileAnalyses,
  prompts,
  instanceSettings,
};
