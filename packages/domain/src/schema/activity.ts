import { check, col, index, schemasFor, table } from "@groundwork/db";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { actorTypes, type JsonObject, jsonObjectSchema } from "./common.js";
import { projects } from "./projects.js";
import { teams } from "./teams.js";

/** The before/after values of the fields a change touched. */
export interface AuditChanges {
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/**
 * The human-readable feed: "<actor> <verb> <subject>". The actor is polymorphic (user, agent or
 * system), so `actorId` has no foreign key; `actorId` is null for the system.
 */
export const activities = table(
  "activities",
  {
    id: col.id(),
    teamId: col
      .uuid()
      .notNull()
      .references(() => teams, { onDelete: "cascade" }),
    projectId: col.uuid().references(() => projects, { onDelete: "cascade" }),
    actorType: col.enum(actorTypes).notNull(),
    actorId: col.uuid(),
    verb: col.varchar(100).notNull(),
    subjectType: col.varchar(100).notNull(),
    subjectId: col.varchar(255),
    data: col.json<JsonObject>().notNull().default({}),
    createdAt: col.createdAt(),
  },
  (t) => [
    index(t.teamId, t.createdAt),
    index(t.projectId, t.createdAt),
    index(t.actorId, t.createdAt),
    check("actor", sql`${t.actorType} = 'system' or ${t.actorId} is not null`),
  ],
);

export const activitySchemas = schemasFor(activities, {
  verb: (s) => s.trim().min(1),
  subjectType: (s) => s.trim().min(1),
  data: () => jsonObjectSchema.optional(),
});

/**
 * The audit trail: append-only, written in the same transaction as the change it records. Rows
 * name their actor and entity without foreign keys so they outlive what they describe; they go
 * only with their team.
 */
export const auditLogs = table(
  "audit_logs",
  {
    id: col.id(),
    teamId: col
      .uuid()
      .notNull()
      .references(() => teams, { onDelete: "cascade" }),
    actorType: col.enum(actorTypes).notNull(),
    actorId: col.uuid(),
    action: col.varchar(100).notNull(),
    entity: col.varchar(100).notNull(),
    entityId: col.varchar(255),
    changes: col.json<AuditChanges>().notNull().default({}),
    requestId: col.varchar(128),
    ip: col.varchar(64),
    userAgent: col.text(),
    createdAt: col.createdAt(),
  },
  (t) => [
    index(t.teamId, t.createdAt),
    index(t.teamId, t.entity, t.entityId, t.createdAt),
    index(t.teamId, t.actorId, t.createdAt),
    check("actor", sql`${t.actorType} = 'system' or ${t.actorId} is not null`),
  ],
);

/**
 * A state of a row in the audit trail: an object of fields. Written by `changedFields` from rows, not
 * taken from a request, so its shape is checked and its fields are not: a record schema went through
 * every field and copied it, 7 of the 36 µs zod took for a ticket's insert and its audit row.
 */
const auditedFields = z.custom<Record<string, unknown>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date),
  "expected an object of fields",
);

export const auditLogSchemas = schemasFor(auditLogs, {
  action: (s) => s.trim().min(1),
  entity: (s) => s.trim().min(1),
  changes: () => z.object({ before: auditedFields.optional(), after: auditedFields.optional() }).optional(),
});
