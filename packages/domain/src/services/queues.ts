import { NotFoundError, type Page, type Session, timestampValue, ValidationError } from "@groundwork/db";
import { sql } from "drizzle-orm";
import { z } from "zod";
import {
  type ProjectAccess,
  type ProjectNeed,
  requireAccessVia,
  requireProjectAccess,
} from "../access/project-access.js";
import { recordChange } from "../audit.js";
import type { ServiceContext } from "../context.js";
import { ConflictError, ForbiddenError } from "../errors.js";
import { assertId } from "../ids.js";
import {
  activities,
  agents,
  jsonValueSchema,
  liveQueueItemStatuses,
  maxQueuePriority,
  minQueuePriority,
  type QueueItemStatus,
  queueItemStatuses,
  queueItems,
  queueSchemas,
  queueStatuses,
  queues,
  tasks,
  tickets,
} from "../schema/index.js";
import { costEntryInput, MAX_COSTS_PER_REQUEST, writeCosts } from "./costs.js";
import { parseInput } from "./input.js";
import type { PageQuery } from "./teams.js";

// ---------------------------------------------------------------- inputs

const queueFields = {
  name: queueSchemas.insert.shape.name,
  description: z.string().max(10_000).nullable().optional(),
  maxParallel: z.number().int().min(1).max(1_000).optional(),
  leaseSeconds: z.number().int().min(1).max(86_400).optional(),
  maxAttempts: z.number().int().min(1).max(100).optional(),
};

export const createQueueInput = z.object(queueFields).strict();
/** `status` pauses (`paused`) or resumes (`active`) the queue. */
export const updateQueueInput = z
  .object({ ...queueFields, name: queueFields.name.optional(), status: z.enum(queueStatuses).optional() })
  .strict();

export const enqueueInput = z
  .object({
    ticketId: z.uuid().optional(),
    taskId: z.uuid().optional(),
    priority: z.number().int().min(minQueuePriority).max(maxQueuePriority).optional(),
  })
  .strict()
  .refine((input) => (input.ticketId === undefined) !== (input.taskId === undefined), {
    message: "give exactly one of ticketId and taskId",
  });

/** Agents claim for themselves; a team admin claims on behalf of an agent of the team. */
export const claimInput = z.object({ agentId: z.uuid().optional() }).strict();

export const completeItemInput = z
  .object({
    result: jsonValueSchema.optional(),
    costs: z.array(costEntryInput).max(MAX_COSTS_PER_REQUEST).optional(),
  })
  .strict();

export const failItemInput = z.object({ error: z.string().trim().min(1).max(100_000) }).strict();

const statusList = z.array(z.enum(queueItemStatuses));

export type QueueItemListQuery = PageQuery<typeof queueItems> & { status?: string[] };

// ---------------------------------------------------------------- results

export type Queue = typeof queues.pg.$inferSelect;
export type QueueItem = typeof queueItems.pg.$inferSelect;

export interface QueueStats {
  queueId: string;
  /** Items per status; every status is present. */
  counts: Record<QueueItemStatus, number>;
  /** Mean of completedAt − startedAt over completed items, in milliseconds; null when none completed. */
  meanProcessingMs: number | null;
  /** Items completed in the last hour and the last 24 hours. */
  throughput: { lastHour: number; last24Hours: number };
}

function queueFieldsOf(q: Queue) {
  return {
    name: q.name,
    description: q.description,
    status: q.status,
    maxParallel: q.maxParallel,
    leaseSeconds: q.leaseSeconds,
    maxAttempts: q.maxAttempts,
  };
}

function itemFieldsOf(item: QueueItem) {
  return {
    status: item.status,
    attempts: item.attempts,
    agentId: item.agentId,
    error: item.error,
  };
}

// ---------------------------------------------------------------- helpers

/** The queue and the caller's access to its project; a queue the caller cannot see does not exist. */
async function queueAccess(
  db: Session,
  ctx: ServiceContext,
  queueId: string,
  need: ProjectNeed,
): Promise<{ queue: Queue; access: ProjectAccess }> {
  assertId("queues", queueId);
  const { row: queue, access } = await requireAccessVia(db, ctx.principal, queues, queueId, need);
  return { queue, access };
}

/** The item, its queue and the caller's access; an item the caller cannot see does not exist. */
async function itemAccess(db: Session, ctx: ServiceContext, itemId: string, need: ProjectNeed) {
  assertId("queue_items", itemId);
  const item = await db.repo(queueItems).find(itemId);
  if (!item) throw new NotFoundError("queue_items", itemId);
  try {
    const { queue, access } = await queueAccess(db, ctx, item.queueId, need);
    return { item, queue, access };
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError("queue_items", itemId);
    throw error;
  }
}

const isTeamAdmin = (access: ProjectAccess) => access.teamRole === "admin" || access.teamRole === "owner";

/**
 * Locks the item and checks the caller holds it: its agent, or a team admin. People below admin
 * may never act for an agent (403); an item no longer in progress, or now held by another agent
 * (the caller's lease expired and it was claimed again), is a conflict (409).
 */
async function heldItem(tx: Session, ctx: ServiceContext, itemId: string) {
  const { queue, access } = await itemAccess(tx, ctx, itemId, "read");
  const isAgent = ctx.principal.kind === "agent";
  if (!isAgent && !isTeamAdmin(access)) {
    throw new ForbiddenError("only the claiming agent or a team admin may do this");
  }
  // Locked until commit: a concurrent claim of an expired lease waits and then sees the new state.
  const item = await tx.repo(queueItems).get(itemId, { forUpdate: true });
  if (item.status !== "in_progress") {
    throw new ConflictError(`the item is ${item.status}, not in progress`, ["status"]);
  }
  if (ctx.principal.kind === "agent" && item.agentId !== ctx.principal.agentId) {
    throw new ConflictError("the item is held by another agent", ["agentId"]);
  }
  return { item, queue, access };
}

/**
 * Keeps an agent's `status` and `lastSeenAt` in step with its queue work, in one statement: a claim
 * makes an idle agent busy; a release makes a busy agent idle once it holds no in-progress item.
 * `offline` and `error` were set by an admin or the agent itself, and only they change them.
 * `lastSeenAt` moves only when the agent itself is the caller: an admin acting for it has not seen it.
 */
async function trackAgent(
  tx: Session,
  ctx: ServiceContext,
  agentId: string | null,
  change: "busy" | "release" | "seen",
): Promise<void> {
  if (agentId === null) return;
  const seen = ctx.principal.kind === "agent" && ctx.principal.agentId === agentId;
  const now = timestampValue(tx.dialect, new Date());
  const move =
    change === "busy"
      ? { when: sql`agents.status = 'idle'`, to: sql`'busy'` }
      : change === "release"
        ? {
            when: sql`agents.status = 'busy' and not exists (select 1 from queue_items q
              where q.agent_id = agents.id and q.status = 'in_progress')`,
            to: sql`'idle'`,
          }
        : undefined;
  if (seen) {
    const status = move ? sql`, status = case when ${move.when} then ${move.to} else agents.status end` : sql``;
    await tx.execute(
      sql`update agents set last_seen_at = ${now}, updated_at = ${now}${status} where agents.id = ${agentId}`,
    );
  } else if (move) {
    await tx.execute(
      sql`update agents set status = ${move.to}, updated_at = ${now} where agents.id = ${agentId} and ${move.when}`,
    );
  }
}

/**
 * Releases agents that may no longer hold any item, one statement each, in id order: transactions
 * that lock several agent rows lock them in the same order, never into a deadlock.
 */
async function releaseAgents(tx: Session, ctx: ServiceContext, agentIds: Iterable<string | null>): Promise<void> {
  const ids = [...new Set([...agentIds].filter((id): id is string => id !== null))].sort();
  for (const id of ids) await trackAgent(tx, ctx, id, "release");
}

/**
 * Records an item that died without its holder failing it (its last lease ran out, or its agent was
 * deleted): the audit names the caller whose request did it, the feed names the system, with the holder.
 */
function recordDeath(tx: Session, ctx: ServiceContext, teamId: string, queue: Queue, item: QueueItem, dead: QueueItem) {
  recordChange(tx, ctx, {
    teamId,
    action: "queue_item.dead",
    entity: "queue_item",
    entityId: item.id,
    before: itemFieldsOf(item),
    after: itemFieldsOf(dead),
  });
  tx.repo(activities).createPipelined({
    teamId,
    projectId: queue.projectId,
    actorType: "system",
    actorId: null,
    verb: "dead",
    subjectType: "queue_item",
    subjectId: item.id,
    data: { queueId: queue.id, agentId: item.agentId, attempts: dead.attempts },
  });
}

/** Statuses with counts, in a fixed order. */
function emptyCounts(): Record<QueueItemStatus, number> {
  return Object.fromEntries(queueItemStatuses.map((s) => [s, 0])) as Record<QueueItemStatus, number>;
}

/** A driver's number, bigint or numeric text as a JavaScript number. */
function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value === null || value === undefined) return 0;
  return Number(String(value));
}

/** Claimable items come in this order: priority (lower first), enqueue time, id. */
const claimOrder = ["priority", "enqueuedAt", "id"] as const;

function before(a: QueueItem, b: QueueItem): boolean {
  if (a.priority !== b.priority) return a.priority < b.priority;
  if (a.enqueuedAt.getTime() !== b.enqueuedAt.getTime()) return a.enqueuedAt < b.enqueuedAt;
  return a.id < b.id;
}

/** The first claimable item: queued, or in progress with an expired lease. */
async function nextClaimable(tx: Session, queueId: string, now: Date): Promise<QueueItem | undefined> {
  const [queued] = (
    await tx.repo(queueItems).list({ where: { queueId, status: "queued" }, sort: claimOrder, limit: 1 })
  ).data;
  const [expired] = (
    await tx.repo(queueItems).list({
      where: { queueId, status: "in_progress", leaseExpiresAt: { lte: now } },
      sort: claimOrder,
      limit: 1,
    })
  ).data;
  if (!queued) return expired;
  if (!expired) return queued;
  return before(expired, queued) ? expired : queued;
}

const claimable = (item: QueueItem, now: Date) =>
  item.status === "queued" ||
  (item.status === "in_progress" && item.leaseExpiresAt !== null && item.leaseExpiresAt <= now);

// ---------------------------------------------------------------- queues

/** The project's queues, by name (anyone who may read the project). */
export async function listQueues(
  ctx: ServiceContext,
  projectId: string,
  query: PageQuery<typeof queues> = {},
): Promise<Page<Queue>> {
  assertId("projects", projectId);
  await requireProjectAccess(ctx.db, ctx.principal, projectId, "read");
  return ctx.db.repo(queues).list({
    where: { projectId },
    sort: query.sort ?? "name",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}

/** Creates a queue (team admins); names are unique per project. */
export async function createQueue(ctx: ServiceContext, projectId: string, input: unknown): Promise<Queue> {
  const values = parseInput(createQueueInput, input);
  return ctx.db.transaction(async (tx) => {
    assertId("projects", projectId);
    const { project } = await requireProjectAccess(tx, ctx.principal, projectId, "manage");
    const queue = await tx.repo(queues).create({ ...values, projectId });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "queue.created",
      entity: "queue",
      entityId: queue.id,
      after: queueFieldsOf(queue),
      activity: { verb: "created", projectId, data: { name: queue.name } },
    });
    return queue;
  });
}

export async function getQueue(ctx: ServiceContext, queueId: string): Promise<Queue> {
  return (await queueAccess(ctx.db, ctx, queueId, "read")).queue;
}

/** Changes a queue (team admins); `status` pauses or resumes it. */
export async function updateQueue(ctx: ServiceContext, queueId: string, input: unknown): Promise<Queue> {
  const patch = parseInput(updateQueueInput, input);
  return ctx.db.transaction(async (tx) => {
    const { access } = await queueAccess(tx, ctx, queueId, "manage");
    const current = await tx.repo(queues).get(queueId, { forUpdate: true });
    const fields = queueFieldsOf(current);
    const changed = (Object.keys(patch) as (keyof typeof patch)[]).some(
      (k) => patch[k] !== undefined && patch[k] !== fields[k],
    );
    if (!changed) return current;
    const after = await tx.repo(queues).update(queueId, patch);
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "queue.updated",
      entity: "queue",
      entityId: queueId,
      before: fields,
      after: queueFieldsOf(after),
    });
    return after;
  });
}

/** Deletes a queue and its items (team admins); costs keep their amounts, without the item. */
export async function deleteQueue(ctx: ServiceContext, queueId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { queue, access } = await queueAccess(tx, ctx, queueId, "manage");
    const holders = await tx.repo(queueItems).list({ where: { queueId, status: "in_progress" }, limit: 1_000 });
    await tx.repo(queues).delete(queueId);
    // Its in-progress items went with it: their agents may hold nothing any more.
    await releaseAgents(
      tx,
      ctx,
      holders.data.map((item) => item.agentId),
    );
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "queue.deleted",
      entity: "queue",
      entityId: queueId,
      before: queueFieldsOf(queue),
    });
  });
}

/** Counts by status, mean processing time and throughput (anyone who may read the project). */
export async function queueStats(ctx: ServiceContext, queueId: string): Promise<QueueStats> {
  await queueAccess(ctx.db, ctx, queueId, "read");
  const db = ctx.db;
  const counts = emptyCounts();
  const rows = await db.execute<Record<string, unknown>>(
    sql`select status as "status", count(*) as "count" from queue_items where queue_id = ${queueId} group by status`,
  );
  for (const row of rows) counts[String(row.status) as QueueItemStatus] = toNumber(row.count);
  // SQLite keeps timestamps as epoch milliseconds; PostgreSQL subtracts to an interval.
  const duration =
    db.dialect === "sqlite"
      ? sql`avg(completed_at - started_at)`
      : sql`avg(extract(epoch from (completed_at - started_at)) * 1000)`;
  const [mean] = await db.execute<Record<string, unknown>>(
    sql`select ${duration} as "mean" from queue_items
      where queue_id = ${queueId} and status = 'completed' and started_at is not null and completed_at is not null`,
  );
  const now = Date.now();
  const completedSince = (ms: number) =>
    db.repo(queueItems).count({ queueId, status: "completed", completedAt: { gte: new Date(now - ms) } });
  const [lastHour, last24Hours] = await Promise.all([completedSince(3_600_000), completedSince(86_400_000)]);
  const meanValue = mean?.mean;
  return {
    queueId,
    counts,
    meanProcessingMs: meanValue === null || meanValue === undefined ? null : Math.round(toNumber(meanValue)),
    throughput: { lastHour, last24Hours },
  };
}

// ---------------------------------------------------------------- items

/** The queue's items, by priority then enqueue time; `status` takes any of the item statuses. */
export async function listItems(
  ctx: ServiceContext,
  queueId: string,
  query: QueueItemListQuery = {},
): Promise<Page<QueueItem>> {
  const status = query.status === undefined ? undefined : parseInput(statusList, query.status);
  await queueAccess(ctx.db, ctx, queueId, "read");
  return ctx.db.repo(queueItems).list({
    where: { queueId, ...(status ? { status: { in: status } } : {}) },
    sort: query.sort ?? ["priority", "enqueuedAt"],
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}

/**
 * Puts a ticket or task of the queue's project in the queue (members, editors, agents). One that
 * is already live (queued or in progress) in this queue is a conflict.
 */
export async function enqueue(ctx: ServiceContext, queueId: string, input: unknown): Promise<QueueItem> {
  const values = parseInput(enqueueInput, input);
  return ctx.db.transaction(async (tx) => {
    const { queue, access } = await queueAccess(tx, ctx, queueId, "write");
    let subject: { ticketId: string } | { taskId: string };
    if (values.ticketId !== undefined) {
      const ticket = await tx.repo(tickets).find(values.ticketId);
      if (!ticket || ticket.projectId !== queue.projectId) {
        throw new ValidationError([{ path: ["ticketId"], message: "no such ticket in the queue's project" }]);
      }
      subject = { ticketId: ticket.id };
    } else {
      const taskId = values.taskId as string;
      const task = await tx.repo(tasks).find(taskId);
      const ticket = task ? await tx.repo(tickets).find(task.ticketId) : null;
      if (!task || !ticket || ticket.projectId !== queue.projectId) {
        throw new ValidationError([{ path: ["taskId"], message: "no such task in the queue's project" }]);
      }
      subject = { taskId: task.id };
    }
    const field = "ticketId" in subject ? "ticketId" : "taskId";
    if (await tx.repo(queueItems).exists({ queueId, ...subject, status: { in: [...liveQueueItemStatuses] } })) {
      throw new ConflictError(`the ${field === "ticketId" ? "ticket" : "task"} is already live in this queue`, [field]);
    }
    // The partial unique index refuses a concurrent duplicate the check above could not see.
    const item = await tx
      .repo(queueItems)
      .create({ queueId, ...subject, ...(values.priority !== undefined ? { priority: values.priority } : {}) });
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "queue_item.enqueued",
      entity: "queue_item",
      entityId: item.id,
      after: { queueId, ...subject, priority: item.priority, status: item.status },
    });
    return item;
  });
}

/**
 * The next item of the locked queue, claimed for `agentId`, or null. Items whose last lease ran out
 * on the way die; the agents of the expired items it passes are added to `formerHolders`.
 */
async function takeNext(
  tx: Session,
  ctx: ServiceContext,
  teamId: string,
  queue: Queue,
  agentId: string,
  formerHolders: Set<string>,
): Promise<QueueItem | null> {
  if (queue.status !== "active") return null;
  const now = new Date();
  const running = await tx
    .repo(queueItems)
    .count({ queueId: queue.id, status: "in_progress", leaseExpiresAt: { gt: now } });
  if (running >= queue.maxParallel) return null;
  for (;;) {
    const candidate = await nextClaimable(tx, queue.id, now);
    if (!candidate) return null;
    // Locked, then checked again: a holder completing it concurrently wins, and we pick another.
    const item = await tx.repo(queueItems).get(candidate.id, { forUpdate: true });
    if (!claimable(item, now)) continue;
    if (item.status === "in_progress" && item.agentId !== null) formerHolders.add(item.agentId);
    if (item.status === "in_progress" && item.attempts >= queue.maxAttempts) {
      // Its last attempt's lease ran out: an abandoned final attempt is a failure like any other.
      const dead = await tx
        .repo(queueItems)
        .update(item.id, { status: "dead", leaseExpiresAt: null, error: item.error ?? "lease expired" });
      recordDeath(tx, ctx, teamId, queue, item, dead);
      continue;
    }
    const claimed = await tx.repo(queueItems).update(item.id, {
      status: "in_progress",
      agentId,
      attempts: item.attempts + 1,
      startedAt: now,
      completedAt: null,
      leaseExpiresAt: new Date(now.getTime() + queue.leaseSeconds * 1000),
    });
    recordChange(tx, ctx, {
      teamId,
      action: "queue_item.claimed",
      entity: "queue_item",
      entityId: item.id,
      before: itemFieldsOf(item),
      after: itemFieldsOf(claimed),
      activity: {
        verb: "claimed",
        projectId: queue.projectId,
        data: { queueId: queue.id, agentId, attempt: claimed.attempts },
      },
    });
    return claimed;
  }
}

/**
 * Hands the next item to an agent, or null when the queue is paused, at `maxParallel`, or has
 * nothing claimable. The queue row is locked first (PostgreSQL; SQLite transactions are exclusive
 * already), which serializes claims per queue: no item goes out twice and the in-progress count
 * read here cannot change under this claim but downwards. Only team admins claim for an agent:
 * its holder (the agent, or an admin) is who may heartbeat and complete the item.
 */
export async function claimNextItem(ctx: ServiceContext, queueId: string, input: unknown): Promise<QueueItem | null> {
  const { agentId: onBehalfOf } = parseInput(claimInput, input ?? {});
  return ctx.db.transaction(async (tx) => {
    const { access } = await queueAccess(tx, ctx, queueId, "write");
    let agentId: string;
    if (ctx.principal.kind === "agent") {
      if (onBehalfOf !== undefined && onBehalfOf !== ctx.principal.agentId) {
        throw new ForbiddenError("an agent claims for itself only");
      }
      agentId = ctx.principal.agentId;
    } else {
      if (!isTeamAdmin(access)) {
        throw new ForbiddenError("claiming on behalf of an agent needs the admin role in the team");
      }
      if (onBehalfOf === undefined) {
        throw new ValidationError([{ path: ["agentId"], message: "a person claims on behalf of an agent" }]);
      }
      if (!(await tx.repo(agents).exists({ id: onBehalfOf, teamId: access.teamId }))) {
        throw new ValidationError([{ path: ["agentId"], message: "must be an agent of the project's team" }]);
      }
      agentId = onBehalfOf;
    }
    const queue = await tx.repo(queues).get(queueId, { forUpdate: true });
    const formerHolders = new Set<string>();
    const claimed = await takeNext(tx, ctx, access.teamId, queue, agentId, formerHolders);
    // Agent rows last, after every item lock, and in id order (see releaseAgents). An agent asking
    // for work is seen even when there is none.
    for (const id of [...new Set([...formerHolders, agentId])].sort()) {
      if (id === agentId && claimed) await trackAgent(tx, ctx, id, "busy");
      else if (formerHolders.has(id)) await trackAgent(tx, ctx, id, "release");
      else await trackAgent(tx, ctx, id, "seen");
    }
    return claimed;
  });
}

/** Extends the lease by the queue's leaseSeconds from now (the claiming agent or a team admin). */
export async function heartbeat(ctx: ServiceContext, itemId: string): Promise<QueueItem> {
  return ctx.db.transaction(async (tx) => {
    const { item, queue } = await heldItem(tx, ctx, itemId);
    const extended = await tx
      .repo(queueItems)
      .update(item.id, { leaseExpiresAt: new Date(Date.now() + queue.leaseSeconds * 1000) });
    await trackAgent(tx, ctx, item.agentId, "seen");
    return extended;
  });
}

/**
 * Completes the item (the claiming agent or a team admin): closes its ticket or completes its
 * task and records the costs given, all in one transaction.
 */
export async function completeItem(ctx: ServiceContext, itemId: string, input: unknown): Promise<QueueItem> {
  const { result, costs: entries = [] } = parseInput(completeItemInput, input ?? {});
  return ctx.db.transaction(async (tx) => {
    const { item, queue, access } = await heldItem(tx, ctx, itemId);
    const teamId = access.teamId;
    const projectId = queue.projectId;
    const now = new Date();
    const completed = await tx.repo(queueItems).update(item.id, {
      status: "completed",
      completedAt: now,
      leaseExpiresAt: null,
      result: result ?? null,
    });
    recordChange(tx, ctx, {
      teamId,
      action: "queue_item.completed",
      entity: "queue_item",
      entityId: item.id,
      before: itemFieldsOf(item),
      after: itemFieldsOf(completed),
      activity: { verb: "completed", projectId, data: { queueId: queue.id, agentId: item.agentId } },
    });

    if (item.ticketId) {
      const ticket = await tx.repo(tickets).find(item.ticketId);
      if (ticket && ticket.status !== "closed") {
        await tx.repo(tickets).get(ticket.id, { forUpdate: true });
        await tx.repo(tickets).update(ticket.id, { status: "closed" });
        recordChange(tx, ctx, {
          teamId,
          action: "ticket.updated",
          entity: "ticket",
          entityId: ticket.id,
          before: { status: ticket.status },
          after: { status: "closed" },
        });
      }
    } else if (item.taskId) {
      const task = await tx.repo(tasks).get(item.taskId, { forUpdate: true });
      if (task.status !== "completed" || !task.done) {
        await tx.repo(tasks).update(task.id, { status: "completed", done: true });
        recordChange(tx, ctx, {
          teamId,
          action: "task.updated",
          entity: "task",
          entityId: task.id,
          before: { status: task.status, done: task.done },
          after: { status: "completed", done: true },
        });
      }
    }

    if (entries.length > 0) {
      // The item's costs are its agent's: naming another would charge it with work it did not do.
      const errors: { path: (string | number)[]; message: string }[] = [];
      entries.forEach((entry, i) => {
        if (entry.agentId && entry.agentId !== item.agentId) {
          errors.push({ path: ["costs", i, "agentId"], message: "must be the item's agent, or left out" });
        }
        if (entry.queueItemId && entry.queueItemId !== item.id) {
          errors.push({ path: ["costs", i, "queueItemId"], message: "must be this item, or left out" });
        }
      });
      if (errors.length > 0) throw new ValidationError(errors.slice(0, 100));
      await writeCosts(tx, ctx, { id: projectId, teamId }, entries, {
        agentId: item.agentId,
        queueItemId: item.id,
        occurredAt: now,
      });
    }
    await trackAgent(tx, ctx, item.agentId, "release");
    return completed;
  });
}

/**
 * Fails the current attempt (the claiming agent or a team admin): back to the queue while attempts
 * remain, `dead` after the last one. The error is kept either way.
 */
export async function failItem(ctx: ServiceContext, itemId: string, input: unknown): Promise<QueueItem> {
  const { error } = parseInput(failItemInput, input);
  return ctx.db.transaction(async (tx) => {
    const { item, queue, access } = await heldItem(tx, ctx, itemId);
    const retry = item.attempts < queue.maxAttempts;
    const after = await tx.repo(queueItems).update(item.id, {
      status: retry ? "queued" : "dead",
      agentId: retry ? null : item.agentId,
      leaseExpiresAt: null,
      error,
    });
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: retry ? "queue_item.failed" : "queue_item.dead",
      entity: "queue_item",
      entityId: item.id,
      before: itemFieldsOf(item),
      after: itemFieldsOf(after),
      ...(retry
        ? {}
        : {
            activity: {
              verb: "dead",
              projectId: queue.projectId,
              data: { queueId: queue.id, agentId: item.agentId, attempts: after.attempts },
            },
          }),
    });
    await trackAgent(tx, ctx, item.agentId, "release");
    return after;
  });
}

/** Cancels a queued or in-progress item (members, editors, agents). */
export async function cancelItem(ctx: ServiceContext, itemId: string): Promise<QueueItem> {
  return ctx.db.transaction(async (tx) => {
    const { access } = await itemAccess(tx, ctx, itemId, "write");
    const item = await tx.repo(queueItems).get(itemId, { forUpdate: true });
    if (item.status !== "queued" && item.status !== "in_progress") {
      throw new ConflictError(`the item is ${item.status}; only live items can be cancelled`, ["status"]);
    }
    const after = await tx.repo(queueItems).update(itemId, { status: "cancelled", leaseExpiresAt: null });
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "queue_item.cancelled",
      entity: "queue_item",
      entityId: itemId,
      before: itemFieldsOf(item),
      after: itemFieldsOf(after),
    });
    if (item.status === "in_progress") await trackAgent(tx, ctx, item.agentId, "release");
    return after;
  });
}

/**
 * Cancels the live queue items (queued or in progress) of a ticket, or of its tasks, because
 * `reason`: an agent holding one is told so when it completes, fails or heartbeats (409), and no
 * claim hands it out again. Each cancellation is audited.
 */
export async function cancelLiveItems(
  tx: Session,
  ctx: ServiceContext,
  teamId: string,
  subject: { ticketId: string } | { taskId: { in: string[] } },
  reason: string,
): Promise<void> {
  if ("taskId" in subject && subject.taskId.in.length === 0) return;
  const holders: (string | null)[] = [];
  // Each page is cancelled before the next is read, so the next page is what is still live.
  for (;;) {
    const live = await tx.repo(queueItems).list({
      where: { ...subject, status: { in: [...liveQueueItemStatuses] } },
      sort: "createdAt",
      limit: 200,
      forUpdate: true,
    });
    if (live.data.length === 0) break;
    for (const item of live.data) {
      if (item.status === "in_progress") holders.push(item.agentId);
      const after = await tx
        .repo(queueItems)
        .update(item.id, { status: "cancelled", leaseExpiresAt: null, error: reason });
      recordChange(tx, ctx, {
        teamId,
        action: "queue_item.cancelled",
        entity: "queue_item",
        entityId: item.id,
        before: itemFieldsOf(item),
        after: itemFieldsOf(after),
      });
    }
  }
  // Their agents hold one item fewer: idle again when it was their last.
  await releaseAgents(tx, ctx, holders);
}

/**
 * Puts the items an agent holds back in their queues, in the caller's transaction, before the agent
 * is deleted: otherwise they would keep a `maxParallel` slot, held by nobody, until their lease ran
 * out. The attempt stays counted; an item on its last attempt is dead, as when its lease runs out.
 */
export async function releaseItemsOf(
  tx: Session,
  ctx: ServiceContext,
  agent: { id: string; teamId: string },
): Promise<void> {
  const queuesById = new Map<string, Queue>();
  for (;;) {
    const held = await tx
      .repo(queueItems)
      .list({ where: { agentId: agent.id, status: "in_progress" }, sort: "id", limit: 100, forUpdate: true });
    for (const item of held.data) {
      let queue = queuesById.get(item.queueId);
      if (!queue) {
        queue = await tx.repo(queues).get(item.queueId);
        queuesById.set(queue.id, queue);
      }
      const error = "its agent was deleted";
      if (item.attempts >= queue.maxAttempts) {
        const dead = await tx.repo(queueItems).update(item.id, { status: "dead", leaseExpiresAt: null, error });
        recordDeath(tx, ctx, agent.teamId, queue, item, dead);
      } else {
        const after = await tx
          .repo(queueItems)
          .update(item.id, { status: "queued", agentId: null, leaseExpiresAt: null, error });
        recordChange(tx, ctx, {
          teamId: agent.teamId,
          action: "queue_item.released",
          entity: "queue_item",
          entityId: item.id,
          before: itemFieldsOf(item),
          after: itemFieldsOf(after),
        });
      }
    }
    if (held.nextCursor === null) return;
  }
}
