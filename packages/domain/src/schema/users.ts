import { check, col, index, primaryKey, schemasFor, table, uniqueIndex } from "@groundwork/db";
import { isNull } from "drizzle-orm";
import { z } from "zod";
import { agents } from "./agents.js";
import { exactlyOne, type JsonPresent, jsonPresentSchema, keyPattern, keyRule, scopesSchema } from "./common.js";

/** People. Soft-deleted; an email can be signed up again once its user is deleted. */
export const users = table(
  "users",
  {
    id: col.id(),
    email: col.varchar(320).notNull(),
    name: col.varchar(200).notNull(),
    passwordHash: col.text().notNull(),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
    deletedAt: col.timestamp(),
  },
  (t) => [uniqueIndex(t.email).where(isNull(t.deletedAt))],
);

export const userSchemas = schemasFor(users, {
  email: (s) => s.trim().toLowerCase().pipe(z.email()),
  name: (s) => s.trim().min(1),
  passwordHash: (s) => s.min(1),
});

/**
 * Refresh tokens, rotated on every use. A token presented after it was rotated (revoked) revokes its
 * whole family. Owned by a user or an agent: exactly one of the two.
 */
export const refreshTokens = table(
  "refresh_tokens",
  {
    id: col.id(),
    userId: col.uuid().references(() => users, { onDelete: "cascade" }),
    agentId: col.uuid().references(() => agents, { onDelete: "cascade" }),
    familyId: col.uuid().notNull(),
    name: col.varchar(200),
    tokenHash: col.varchar(255).notNull(),
    scopes: col.json<string[]>().notNull().default([]),
    expiresAt: col.timestamp().notNull(),
    revokedAt: col.timestamp(),
    lastUsedAt: col.timestamp(),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [
    uniqueIndex(t.tokenHash),
    index(t.familyId),
    index(t.userId),
    index(t.agentId),
    check("one_owner", exactlyOne(t.userId, t.agentId)),
  ],
);

export const refreshTokenSchemas = schemasFor(refreshTokens, {
  name: (s) => s.trim().min(1).optional(),
  tokenHash: (s) => s.min(1),
  scopes: () => scopesSchema.optional(),
});

/** Personal and agent API tokens: shown once, stored hashed, revocable, optionally expiring. */
export const apiTokens = table(
  "api_tokens",
  {
    id: col.id(),
    userId: col.uuid().references(() => users, { onDelete: "cascade" }),
    agentId: col.uuid().references(() => agents, { onDelete: "cascade" }),
    name: col.varchar(200).notNull(),
    tokenHash: col.varchar(255).notNull(),
    scopes: col.json<string[]>().notNull().default([]),
    expiresAt: col.timestamp(),
    revokedAt: col.timestamp(),
    lastUsedAt: col.timestamp(),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [
    uniqueIndex(t.tokenHash),
    index(t.userId),
    index(t.agentId),
    check("one_owner", exactlyOne(t.userId, t.agentId)),
  ],
);

export const apiTokenSchemas = schemasFor(apiTokens, {
  name: (s) => s.trim().min(1),
  tokenHash: (s) => s.min(1),
  scopes: () => scopesSchema.optional(),
});

/** A user's preferences: key → JSON value. */
export const userPreferences = table(
  "user_preferences",
  {
    userId: col
      .uuid()
      .notNull()
      .references(() => users, { onDelete: "cascade" }),
    key: col.varchar(100).notNull(),
    value: col.json<JsonPresent>().notNull(),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [primaryKey(t.userId, t.key)],
);

export const userPreferenceSchemas = schemasFor(userPreferences, {
  key: (s) => s.regex(keyPattern, keyRule),
  value: () => jsonPresentSchema,
});
