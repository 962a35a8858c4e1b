import { check, col, index, schemasFor, searchIndex, table } from "@groundwork/db";
import { sql } from "drizzle-orm";
import { type JsonObject, jsonObjectSchema } from "./common.js";
import { projects } from "./projects.js";
import { tickets } from "./tickets.js";

export const chatMessageRoles = ["user", "assistant", "system", "tool"] as const;
export type ChatMessageRole = (typeof chatMessageRoles)[number];

/** Chats of a project, optionally about one ticket. */
export const chats = table(
  "chats",
  {
    id: col.id(),
    projectId: col
      .uuid()
      .notNull()
      .references(() => projects, { onDelete: "cascade" }),
    title: col.varchar(200).notNull(),
    ticketId: col.uuid().references(() => tickets, { onDelete: "set null" }),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [index(t.projectId, t.createdAt), index(t.ticketId)],
);

export const chatSchemas = schemasFor(chats, {
  title: (s) => s.trim().min(1),
});

/** The messages of a chat, in `createdAt` order (ids are UUIDv7, so `id` order agrees). */
export const chatMessages = table(
  "chat_messages",
  {
    id: col.id(),
    chatId: col
      .uuid()
      .notNull()
      .references(() => chats, { onDelete: "cascade" }),
    role: col.enum(chatMessageRoles).notNull(),
    content: col.text().notNull(),
    metadata: col.json<JsonObject>().notNull().default({}),
    inputTokens: col.bigint().notNull().default(0),
    outputTokens: col.bigint().notNull().default(0),
    createdAt: col.createdAt(),
  },
  (t) => [
    index(t.chatId, t.createdAt),
    check("input_tokens_non_negative", sql`${t.inputTokens} >= 0`),
    check("output_tokens_non_negative", sql`${t.outputTokens} >= 0`),
    searchIndex(t.content),
  ],
);

export const chatMessageSchemas = schemasFor(chatMessages, {
  content: (s) => s.max(1_000_000),
  metadata: () => jsonObjectSchema.optional(),
  inputTokens: (s) => s.min(0).optional(),
  outputTokens: (s) => s.min(0).optional(),
});
