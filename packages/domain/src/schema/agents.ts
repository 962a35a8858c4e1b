import { col, index, schemasFor, table } from "@groundwork/db";
import { type JsonObject, jsonObjectSchema } from "./common.js";
import { teams } from "./teams.js";

export const agentStatuses = ["idle", "busy", "offline", "error"] as const;
export type AgentStatus = (typeof agentStatuses)[number];

/** AI agents of a team; they authenticate with agent API tokens and act with member rights. */
export const agents = table(
  "agents",
  {
    id: col.id(),
    teamId: col
      .uuid()
      .notNull()
      .references(() => teams, { onDelete: "cascade" }),
    name: col.varchar(200).notNull(),
    provider: col.varchar(100).notNull(),
    model: col.varchar(200).notNull(),
    config: col.json<JsonObject>().notNull().default({}),
    status: col.enum(agentStatuses).notNull().default("idle"),
    lastSeenAt: col.timestamp(),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [index(t.teamId, t.name), index(t.teamId, t.status)],
);

export const agentSchemas = schemasFor(agents, {
  name: (s) => s.trim().min(1),
  provider: (s) => s.trim().min(1),
  model: (s) => s.trim().min(1),
  config: () => jsonObjectSchema.optional(),
});
