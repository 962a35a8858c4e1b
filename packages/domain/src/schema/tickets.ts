import { check, col, index, schemasFor, searchIndex, table, uniqueIndex } from "@groundwork/db";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { agents } from "./agents.js";
import { atMostOne, type JsonObject, jsonObjectSchema, tagsSchema } from "./common.js";
import { projects } from "./projects.js";
import { users } from "./users.js";

export const ticketStatuses = ["open", "in_progress", "closed"] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
export const ticketPriorities = ["low", "normal", "high", "urgent"] as const;
export type TicketPriority = (typeof ticketPriorities)[number];
export const taskStatuses = ["pending", "in_progress", "completed", "cancelled"] as const;
export type TaskStatus = (typeof taskStatuses)[number];

/**
 * Tickets: numbered per project (`#12`, allocated from `projects.ticketSequence`), soft-deleted,
 * versioned. Assignee and creator are each a user or an agent (at most one of the pair is set).
 */
export const tickets = table(
  "tickets",
  {
    id: col.id(),
    projectId: col
      .uuid()
      .notNull()
      .references(() => projects, { onDelete: "cascade" }),
    number: col.integer().notNull(),
    title: col.varchar(300).notNull(),
    overview: col.text(),
    status: col.enum(ticketStatuses).notNull().default("open"),
    priority: col.enum(ticketPriorities).notNull().default("normal"),
    tags: col.json<string[]>().notNull().default([]),
    metadata: col.json<JsonObject>().notNull().default({}),
    assigneeUserId: col.uuid().references(() => users, { onDelete: "set null" }),
    assigneeAgentId: col.uuid().references(() => agents, { onDelete: "set null" }),
    createdByUserId: col.uuid().references(() => users, { onDelete: "set null" }),
    createdByAgentId: col.uuid().references(() => agents, { onDelete: "set null" }),
    version: col.integer().notNull().default(1),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
    deletedAt: col.timestamp(),
  },
  (t) => [
    uniqueIndex(t.projectId, t.number),
    index(t.projectId, t.status),
    index(t.projectId, t.priority),
    index(t.projectId, t.createdAt),
    index(t.assigneeUserId),
    index(t.assigneeAgentId),
    index(t.createdByUserId),
    index(t.createdByAgentId),
    check("number_positive", sql`${t.number} >= 1`),
    check("one_assignee", atMostOne(t.assigneeUserId, t.assigneeAgentId)),
    check("one_creator", atMostOne(t.createdByUserId, t.createdByAgentId)),
    searchIndex(t.title, t.overview),
  ],
);

export const ticketSchemas = schemasFor(tickets, {
  number: (s) => s.min(1),
  title: (s) => s.trim().min(1),
  overview: (s) => s.max(100_000).optional(),
  tags: () => tagsSchema.optional(),
  metadata: () => jsonObjectSchema.optional(),
});

/** The tasks of a ticket, ordered by `orderIndex`; `dependencies` holds ids of other tasks. */
export const tasks = table(
  "tasks",
  {
    id: col.id(),
    ticketId: col
      .uuid()
      .notNull()
      .references(() => tickets, { onDelete: "cascade" }),
    content: col.text().notNull(),
    description: col.text(),
    status: col.enum(taskStatuses).notNull().default("pending"),
    done: col.boolean().notNull().default(false),
    orderIndex: col.integer().notNull().default(0),
    estimatedHours: col.real(),
    dependencies: col.json<string[]>().notNull().default([]),
    tags: col.json<string[]>().notNull().default([]),
    assigneeAgentId: col.uuid().references(() => agents, { onDelete: "set null" }),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [
    index(t.ticketId, t.orderIndex),
    index(t.assigneeAgentId),
    check("order_index_non_negative", sql`${t.orderIndex} >= 0`),
    check("estimated_hours_non_negative", sql`${t.estimatedHours} is null or ${t.estimatedHours} >= 0`),
    searchIndex(t.content, t.description),
  ],
);

export const taskSchemas = schemasFor(tasks, {
  content: (s) => s.trim().min(1).max(10_000),
  description: (s) => s.max(100_000).optional(),
  orderIndex: (s) => s.min(0).optional(),
  estimatedHours: (s) => s.min(0).max(100_000).optional(),
  dependencies: () => z.array(z.uuid()).max(200).optional(),
  tags: () => tagsSchema.optional(),
});
