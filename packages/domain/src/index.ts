export { type Project, type ProjectAccess, type ProjectNeed, requireProjectAccess } from "./access/project-access.js";
export { atLeast, requireTeamRole } from "./access/team-access.js";
export { type Change, changedFields, recordChange } from "./audit.js";
export {
  type AnonymousContext,
  actorOf,
  isUserUnconfirmed,
  type Principal,
  type RequestInfo,
  type ServiceContext,
} from "./context.js";
export * from "./errors.js";
export { migrationsDir } from "./migrations.js";
export * from "./schema/index.js";
export * as activityService from "./services/activities.js";
export * as agentService from "./services/agents.js";
export * from "./services/auth.js";
export * as chatService from "./services/chats.js";
export * as costService from "./services/costs.js";
export * as fileService from "./services/files.js";
export { LoginThrottle } from "./services/login-throttle.js";
export * as projectService from "./services/projects.js";
export * as promptService from "./services/prompts.js";
export * as queueService from "./services/queues.js";
export * as searchService from "./services/search.js";
export * as teamService from "./services/teams.js";
export * as ticketService from "./services/tickets.js";
export * as userService from "./services/users.js";
