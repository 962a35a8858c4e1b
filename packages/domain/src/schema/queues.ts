import { check, col, index, schemasFor, table, uniqueIndex } from "@groundwork/db";
import { sql } from "drizzle-orm";
import { agents } from "./agents.js";
import { exactlyOne, inValues, type JsonValue, jsonValueSchema } from "./common.js";
import { projects } from "./projects.js";
import { tasks, tickets } from "./tickets.js";

export const queueStatuses = ["active", "paused"] as const;
export type QueueStatus = (typeof queueStatuses)[number];
export const queueItemStatuses = ["queued", "in_progress", "completed", "failed", "cancelled", "dead"] as const;
export type QueueItemStatus = (typeof queueItemStatuses)[number];
/** The statuses of a live item: a ticket or task is in at most one live item per queue. */
export const liveQueueItemStatuses = ["queued", "in_progress"] as const satisfies readonly QueueItemStatus[];

export const minQueuePriority = 0;
export const maxQueuePriority = 10;
export const defaultQueuePriority = 5;

/** Work queues of a project; agents claim items from them. */
export const queues = table(
  "queues",
  {
    id: col.id(),
    projectId: col
      .uuid()
      .notNull()
      .references(() => projects, { onDelete: "cascade" }),
    name: col.varchar(100).notNull(),
    description: col.text(),
    status: col.enum(queueStatuses).notNull().default("active"),
    maxParallel: col.integer().notNull().default(1),
    leaseSeconds: col.integer().notNull().default(300),
    maxAttempts: col.integer().notNull().default(3),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [
    uniqueIndex(t.projectId, t.name),
    check("max_parallel_positive", sql`${t.maxParallel} >= 1`),
    check("lease_seconds_positive", sql`${t.leaseSeconds} >= 1`),
    check("max_attempts_positive", sql`${t.maxAttempts} >= 1`),
  ],
);

export const queueSchemas = schemasFor(queues, {
  name: (s) => s.trim().min(1),
  description: (s) => s.max(10_000).optional(),
  maxParallel: (s) => s.min(1).max(1_000).optional(),
  leaseSeconds: (s) => s.min(1).max(86_400).optional(),
  maxAttempts: (s) => s.min(1).max(100).optional(),
});

/**
 * The items of a queue: exactly one of ticket or task. Claimed in (priority, enqueuedAt) order,
 * lower priority first; `leaseExpiresAt` makes an abandoned in-progress item claimable again.
 */
export const queueItems = table(
  "queue_items",
  {
    id: col.id(),
    queueId: col
      .uuid()
      .notNull()
      .references(() => queues, { onDelete: "cascade" }),
    ticketId: col.uuid().references(() => tickets, { onDelete: "cascade" }),
    taskId: col.uuid().references(() => tasks, { onDelete: "cascade" }),
    priority: col.integer().notNull().default(defaultQueuePriority),
    status: col.enum(queueItemStatuses).notNull().default("queued"),
    attempts: col.integer().notNull().default(0),
    agentId: col.uuid().references(() => agents, { onDelete: "set null" }),
    leaseExpiresAt: col.timestamp(),
    enqueuedAt: col
      .timestamp()
      .notNull()
      .$defaultFn(() => new Date()),
    startedAt: col.timestamp(),
    completedAt: col.timestamp(),
    error: col.text(),
    result: col.json<JsonValue>(),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [
    // Claiming: the next queued item of a queue by priority, then enqueue time; also counts by status.
    index(t.queueId, t.status, t.priority, t.enqueuedAt),
    uniqueIndex(t.queueId, t.ticketId).where(inValues(t.status, liveQueueItemStatuses)),
    uniqueIndex(t.queueId, t.taskId).where(inValues(t.status, liveQueueItemStatuses)),
    index(t.ticketId),
    index(t.taskId),
    index(t.agentId),
    check("one_subject", exactlyOne(t.ticketId, t.taskId)),
    check("priority_range", sql`${t.priority} between ${sql.raw(`${minQueuePriority} and ${maxQueuePriority}`)}`),
    check("attempts_non_negative", sql`${t.attempts} >= 0`),
  ],
);

export const queueItemSchemas = schemasFor(queueItems, {
  priority: (s) => s.min(minQueuePriority).max(maxQueuePriority).optional(),
  attempts: (s) => s.min(0).optional(),
  error: (s) => s.max(100_000).optional(),
  result: () => jsonValueSchema.optional(),
});
