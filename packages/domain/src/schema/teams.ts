import { col, index, primaryKey, schemasFor, table, uniqueIndex } from "@groundwork/db";
import { isNull } from "drizzle-orm";
import { type JsonPresent, jsonPresentSchema, keyPattern, keyRule, slugPattern, slugRule } from "./common.js";
import { users } from "./users.js";

export const teamRoles = ["owner", "admin", "member", "viewer"] as const;
export type TeamRole = (typeof teamRoles)[number];

/** Teams. Soft-deleted; a slug can be taken again once its team is deleted. */
export const teams = table(
  "teams",
  {
    id: col.id(),
    name: col.varchar(200).notNull(),
    slug: col.varchar(64).notNull(),
    // Optimistic concurrency for renames: the API's ETag and If-Match.
    version: col.integer().notNull().default(1),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
    deletedAt: col.timestamp(),
  },
  (t) => [uniqueIndex(t.slug).where(isNull(t.deletedAt))],
);

export const teamSchemas = schemasFor(teams, {
  name: (s) => s.trim().min(1),
  slug: (s) => s.regex(slugPattern, slugRule),
});

export const teamMembers = table(
  "team_members",
  {
    teamId: col
      .uuid()
      .notNull()
      .references(() => teams, { onDelete: "cascade" }),
    userId: col
      .uuid()
      .notNull()
      .references(() => users, { onDelete: "cascade" }),
    role: col.enum(teamRoles).notNull().default("member"),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [primaryKey(t.teamId, t.userId), index(t.userId)],
);

export const teamMemberSchemas = schemasFor(teamMembers);

/** A team's settings: key → JSON value. */
export const teamSettings = table(
  "team_settings",
  {
    teamId: col
      .uuid()
      .notNull()
      .references(() => teams, { onDelete: "cascade" }),
    key: col.varchar(100).notNull(),
    value: col.json<JsonPresent>().notNull(),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [primaryKey(t.teamId, t.key)],
);

export const teamSettingSchemas = schemasFor(teamSettings, {
  key: (s) => s.regex(keyPattern, keyRule),
  value: () => jsonPresentSchema,
});
