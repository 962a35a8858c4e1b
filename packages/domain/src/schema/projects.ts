import { check, col, index, primaryKey, schemasFor, table, uniqueIndex } from "@groundwork/db";
import { sql } from "drizzle-orm";
import { type JsonObject, jsonObjectSchema } from "./common.js";
import { teams } from "./teams.js";
import { users } from "./users.js";

export const projectRoles = ["editor", "viewer"] as const;
export type ProjectRole = (typeof projectRoles)[number];

/**
 * Projects of a team. Soft-deleted, versioned. `ticketSequence` is the last ticket number handed
 * out: a service allocates the next one with `update … set ticket_sequence = ticket_sequence + 1
 * … returning ticket_sequence` in the transaction that inserts the ticket.
 */
export const projects = table(
  "projects",
  {
    id: col.id(),
    teamId: col
      .uuid()
      .notNull()
      .references(() => teams, { onDelete: "cascade" }),
    name: col.varchar(200).notNull(),
    description: col.text(),
    settings: col.json<JsonObject>().notNull().default({}),
    ticketSequence: col.integer().notNull().default(0),
    version: col.integer().notNull().default(1),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
    deletedAt: col.timestamp(),
  },
  (t) => [
    index(t.teamId, t.name),
    index(t.teamId, t.createdAt),
    check("ticket_sequence_non_negative", sql`${t.ticketSequence} >= 0`),
  ],
);

export const projectSchemas = schemasFor(projects, {
  name: (s) => s.trim().min(1),
  description: (s) => s.max(20_000).optional(),
  settings: () => jsonObjectSchema.optional(),
  ticketSequence: (s) => s.min(0).optional(),
});

/** People outside the team who get a role on one project. */
export const projectCollaborators = table(
  "project_collaborators",
  {
    projectId: col
      .uuid()
      .notNull()
      .references(() => projects, { onDelete: "cascade" }),
    userId: col
      .uuid()
      .notNull()
      .references(() => users, { onDelete: "cascade" }),
    role: col.enum(projectRoles).notNull().default("viewer"),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [primaryKey(t.projectId, t.userId), index(t.userId)],
);

export const projectCollaboratorSchemas = schemasFor(projectCollaborators);

/** Read-only share links; the token is shown once and stored hashed. */
export const projectShares = table(
  "project_shares",
  {
    id: col.id(),
    projectId: col
      .uuid()
      .notNull()
      .references(() => projects, { onDelete: "cascade" }),
    tokenHash: col.varchar(255).notNull(),
    expiresAt: col.timestamp(),
    revokedAt: col.timestamp(),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [uniqueIndex(t.tokenHash), index(t.projectId)],
);

export const projectShareSchemas = schemasFor(projectShares, {
  tokenHash: (s) => s.min(1),
});
