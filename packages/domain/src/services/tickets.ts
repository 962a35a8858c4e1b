import {
  type Include,
  NotFoundError,
  type Page,
  type RowOf,
  type Session,
  ValidationError,
  VersionConflictError,
} from "@groundwork/db";
import { z } from "zod";
import { NO_INCLUDES, type ProjectNeed, requireAccessVia, requireProjectAccess } from "../access/project-access.js";
import { recordChange } from "../audit.js";
import type { ServiceContext } from "../context.js";
import { ConflictError } from "../errors.js";
import { assertId } from "../ids.js";
import {
  agents,
  jsonObjectSchema,
  projects,
  queueItems,
  type TaskStatus,
  tagsSchema,
  taskSchemas,
  taskStatuses,
  tasks,
  teamMembers,
  ticketPriorities,
  ticketSchemas,
  ticketStatuses,
  tickets,
} from "../schema/index.js";
import { parseInput } from "./input.js";
import { cancelLiveItems } from "./queues.js";
import type { PageQuery } from "./teams.js";

// ---------------------------------------------------------------- inputs

/** The most tasks one request may create; they are created all or none. */
export const MAX_TASKS_PER_REQUEST = 500;
/** The most tasks a ticket's task list is read or reordered with at once. */
export const MAX_TASKS_PER_TICKET = 10_000;

const oneAssignee = (input: { assigneeUserId?: string | null; assigneeAgentId?: string | null }) =>
  !(input.assigneeUserId && input.assigneeAgentId);
const oneAssigneeMessage = { message: "give at most one of assigneeUserId and assigneeAgentId" };

export const createTicketInput = z
  .object({
    title: ticketSchemas.insert.shape.title,
    overview: z.string().max(100_000).nullable().optional(),
    status: z.enum(ticketStatuses).optional(),
    priority: z.enum(ticketPriorities).optional(),
    tags: tagsSchema.optional(),
    metadata: jsonObjectSchema.optional(),
    assigneeUserId: z.uuid().nullable().optional(),
    assigneeAgentId: z.uuid().nullable().optional(),
  })
  .strict()
  .refine(oneAssignee, oneAssigneeMessage);

/** Setting one assignee clears the other; `null` unassigns. */
export const updateTicketInput = z
  .object({
    title: ticketSchemas.insert.shape.title.optional(),
    overview: z.string().max(100_000).nullable().optional(),
    status: z.enum(ticketStatuses).optional(),
    priority: z.enum(ticketPriorities).optional(),
    tags: tagsSchema.optional(),
    metadata: jsonObjectSchema.optional(),
    assigneeUserId: z.uuid().nullable().optional(),
    assigneeAgentId: z.uuid().nullable().optional(),
  })
  .strict()
  .refine(oneAssignee, oneAssigneeMessage);

const taskFields = {
  content: taskSchemas.insert.shape.content,
  description: z.string().max(100_000).nullable().optional(),
  status: z.enum(taskStatuses).optional(),
  done: z.boolean().optional(),
  orderIndex: z.number().int().min(0).max(1_000_000).optional(),
  estimatedHours: z.number().min(0).max(100_000).nullable().optional(),
  dependencies: z.array(z.uuid()).max(200).optional(),
  tags: tagsSchema.optional(),
  assigneeAgentId: z.uuid().nullable().optional(),
};
const doneMatchesStatus = (input: { done?: boolean; status?: TaskStatus }) =>
  input.done === undefined || input.status === undefined || input.done === (input.status === "completed");
const doneMessage = { message: "done is true exactly when status is completed", path: ["done"] };

export const createTaskInput = z.object(taskFields).strict().refine(doneMatchesStatus, doneMessage);
/** One task, or an array of up to MAX_TASKS_PER_REQUEST. */
export const createTasksInput = z.union([createTaskInput, z.array(createTaskInput).min(1).max(MAX_TASKS_PER_REQUEST)]);
export const updateTaskInput = z
  .object({ ...taskFields, content: taskFields.content.optional() })
  .strict()
  .refine(doneMatchesStatus, doneMessage);
export const reorderTasksInput = z.object({ taskIds: z.array(z.uuid()).max(MAX_TASKS_PER_TICKET) }).strict();

const statusList = z.array(z.enum(ticketStatuses));
const tagFilter = z.string().trim().min(1).max(64);
const priorityList = z.array(z.enum(ticketPriorities));
const assigneeFilter = z.uuid();
const deletedFilter = z.literal("only");

/** Filters of the ticket list; `status` and `priority` take any of their values. */
export interface TicketFilters {
  status?: string[];
  priority?: string[];
  /** A user or agent id: tickets assigned to them. */
  assignee?: string;
  /** Tickets carrying this tag. */
  tag?: string;
  /** `only`: the soft-deleted tickets instead of the live ones (team admins and owners). */
  deleted?: "only";
}
export type TicketListQuery = PageQuery<typeof tickets> & TicketFilters;

// ---------------------------------------------------------------- results

type TicketRow = typeof tickets.pg.$inferSelect;
type TaskRow = typeof tasks.pg.$inferSelect;

/** A ticket as clients see it: everything but `deletedAt`. */
export type Ticket = Omit<TicketRow, "deletedAt">;
export type TicketWithTasks = Ticket & { tasks?: Task[] };
export type Task = TaskRow;

function ticketOf({ deletedAt: _deleted, ...ticket }: TicketRow): Ticket {
  return ticket;
}

// The fields a change to a ticket or task is audited by.
function ticketFields(t: TicketRow) {
  return {
    title: t.title,
    overview: t.overview,
    status: t.status,
    priority: t.priority,
    tags: t.tags,
    metadata: t.metadata,
    assigneeUserId: t.assigneeUserId,
    assigneeAgentId: t.assigneeAgentId,
  };
}

function taskFieldsOf(t: TaskRow) {
  return {
    content: t.content,
    description: t.description,
    status: t.status,
    done: t.done,
    orderIndex: t.orderIndex,
    estimatedHours: t.estimatedHours,
    dependencies: t.dependencies,
    tags: t.tags,
    assigneeAgentId: t.assigneeAgentId,
  };
}

// ---------------------------------------------------------------- helpers

/** If-Match: the caller changes what it last saw, or nothing. */
function assertVersion(ticket: TicketRow, expected: number | undefined): void {
  if (expected !== undefined && ticket.version !== expected) {
    throw new VersionConflictError("tickets", ticket.id, expected, ticket.version);
  }
}

/** The project, if the caller may do `need` with it; a malformed id is one that does not exist. */
function projectAccess(db: Session, ctx: ServiceContext, projectId: string, need: ProjectNeed) {
  assertId("projects", projectId);
  return requireProjectAccess(db, ctx.principal, projectId, need);
}

/**
 * The ticket (with `include`d children) as `row` and the caller's access to its project, in one
 * statement. A ticket the caller cannot see answers NotFoundError for the ticket, exactly as one that
 * does not exist. Not async: the read behind every ticket request needs no promise of its own.
 */
function ticketAccess<I extends Record<string, Include> = Record<never, Include>>(
  db: Session,
  ctx: ServiceContext,
  ticketId: string,
  need: ProjectNeed,
  include = NO_INCLUDES as I,
) {
  assertId("tickets", ticketId);
  return requireAccessVia(db, ctx.principal, tickets, ticketId, need, include);
}

/** A ticket's tasks, in order, as `getWith` loads them with the ticket. */
const ticketTasks = { tasks: { table: tasks, foreignKey: "ticketId", sort: ["orderIndex", "createdAt"] } } as const;

/** The task, its (live) ticket and the caller's access to the project. */
async function taskAccess(db: Session, ctx: ServiceContext, taskId: string, need: ProjectNeed) {
  assertId("tasks", taskId);
  const task = await db.repo(tasks).find(taskId);
  if (!task) throw new NotFoundError("tasks", taskId);
  try {
    const { row: ticket, access } = await ticketAccess(db, ctx, task.ticketId, need);
    return { task, ticket, access };
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError("tasks", taskId);
    throw error;
  }
}

/** Assignees belong to the project's team: a member (user) or one of its agents. */
async function assertAssignees(
  db: Session,
  teamId: string,
  input: { assigneeUserId?: string | null; assigneeAgentId?: string | null },
  path: (string | number)[] = [],
): Promise<void> {
  if (input.assigneeUserId && !(await db.repo(teamMembers).exists({ teamId, userId: input.assigneeUserId }))) {
    throw new ValidationError([
      { path: [...path, "assigneeUserId"], message: "must be a member of the project's team" },
    ]);
  }
  if (input.assigneeAgentId && !(await db.repo(agents).exists({ id: input.assigneeAgentId, teamId }))) {
    throw new ValidationError([
      { path: [...path, "assigneeAgentId"], message: "must be an agent of the project's team" },
    ]);
  }
}

/** Every task of a ticket, in order. */
async function tasksOf(db: Session, ticketId: string, forUpdate = false): Promise<TaskRow[]> {
  const page = await db.repo(tasks).list({
    where: { ticketId },
    sort: ["orderIndex", "createdAt"],
    limit: MAX_TASKS_PER_TICKET,
    forUpdate,
  });
  return page.data;
}

/** Dependencies name other tasks of the same ticket, each once. */
function assertDependencies(
  dependencies: readonly string[] | undefined,
  known: ReadonlySet<string>,
  self: string | undefined,
  path: (string | number)[],
): void {
  const seen = new Set<string>();
  for (const [i, id] of (dependencies ?? []).entries()) {
    if (id === self || !known.has(id)) {
      throw new ValidationError([
        { path: [...path, "dependencies", i], message: "must be another task of the ticket" },
      ]);
    }
    if (seen.has(id)) {
      throw new ValidationError([{ path: [...path, "dependencies", i], message: `lists task ${id} twice` }]);
    }
    seen.add(id);
  }
}

/**
 * Refuses dependencies of `taskId` that would close a cycle: a task that depends, directly or
 * through others, on `taskId` itself. The error names the tasks of the cycle.
 */
function assertNoCycle(taskId: string, dependencies: readonly string[], ticketTasks: readonly TaskRow[]): void {
  const dependsOn = new Map<string, readonly string[]>(ticketTasks.map((t) => [t.id, t.dependencies]));
  dependsOn.set(taskId, dependencies);
  // Depth first from each new dependency, looking for a way back to taskId; `reachedFrom` is the
  // task each one was reached from, so the cycle can be told.
  const reachedFrom = new Map<string, string>();
  for (const [i, start] of dependencies.entries()) {
    if (reachedFrom.has(start)) continue;
    reachedFrom.set(start, taskId);
    const stack = [start];
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      for (const next of dependsOn.get(id) ?? []) {
        if (next === taskId) {
          const back = [taskId];
          for (let at = id; at !== taskId; at = reachedFrom.get(at) as string) back.push(at);
          const cycle = [taskId, ...back.slice(1).reverse(), taskId];
          throw new ValidationError([
            { path: ["dependencies", i], message: `would make a dependency cycle: ${cycle.join(" → ")}` },
          ]);
        }
        if (!reachedFrom.has(next)) {
          reachedFrom.set(next, id);
          stack.push(next);
        }
      }
    }
  }
}

/** done and status tell the same thing: the one given decides the other. */
function doneAndStatus(
  input: { done?: boolean; status?: TaskStatus },
  current?: { done: boolean; status: TaskStatus },
): { done?: boolean; status?: TaskStatus } {
  if (input.status !== undefined) return { status: input.status, done: input.status === "completed" };
  if (input.done === true) return { done: true, status: "completed" };
  if (input.done === false) {
    return { done: false, ...(!current || current.status === "completed" ? { status: "pending" as const } : {}) };
  }
  return {};
}

// ---------------------------------------------------------------- tickets

/** The project's tickets, filtered and paged. */
export async function listTickets(
  ctx: ServiceContext,
  projectId: string,
  query: TicketListQuery = {},
): Promise<Page<Ticket>> {
  const status = query.status === undefined ? undefined : parseInput(statusList, query.status);
  const priority = query.priority === undefined ? undefined : parseInput(priorityList, query.priority);
  const assignee = query.assignee === undefined ? undefined : parseInput(assigneeFilter, query.assignee);
  const tag = query.tag === undefined ? undefined : parseInput(tagFilter, query.tag);
  const deleted = query.deleted === undefined ? undefined : parseInput(deletedFilter, query.deleted);
  // Deleted tickets are for those who may restore them.
  const { project } = await projectAccess(ctx.db, ctx, projectId, deleted ? "manage" : "read");
  let assigneeWhere = {};
  if (assignee !== undefined) {
    // Ids are unique across users and agents: an agent of the team is an agent assignee, anything else a user.
    const isAgent = await ctx.db.repo(agents).exists({ id: assignee, teamId: project.teamId });
    assigneeWhere = isAgent ? { assigneeAgentId: assignee } : { assigneeUserId: assignee };
  }
  const page = await ctx.db.repo(tickets).list({
    where: {
      projectId,
      ...(status ? { status: { in: status } } : {}),
      ...(priority ? { priority: { in: priority } } : {}),
      ...(tag !== undefined ? { tags: { contains: tag } } : {}),
      ...assigneeWhere,
    },
    sort: query.sort ?? "-number",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
    ...(deleted ? { deleted } : {}),
  });
  return { ...page, data: page.data.map(ticketOf) };
}

/** Creates a ticket with the project's next number; the caller is recorded as its creator. */
export async function createTicket(ctx: ServiceContext, projectId: string, input: unknown): Promise<Ticket> {
  const values = parseInput(createTicketInput, input);
  return ctx.db.transaction(async (tx) => {
    const { project } = await projectAccess(tx, ctx, projectId, "write");
    await assertAssignees(tx, project.teamId, values);
    // Atomic, and the row stays locked until commit: two creates never get the same number. A counter
    // is no edit of the project, so its version (and anyone's If-Match on it) is left alone.
    const number = await tx.repo(projects).increment(projectId, "ticketSequence");
    const creator =
      ctx.principal.kind === "user"
        ? { createdByUserId: ctx.principal.userId }
        : { createdByAgentId: ctx.principal.agentId };
    const ticket = await tx.repo(tickets).create({ ...values, projectId, number, ...creator });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "ticket.created",
      entity: "ticket",
      entityId: ticket.id,
      after: { number, ...ticketFields(ticket) },
      activity: { verb: "created", projectId, data: { number, title: ticket.title } },
    });
    return ticketOf(ticket);
  });
}

/** One ticket; with `include: ["tasks"]`, its tasks in order. */
export async function getTicket(
  ctx: ServiceContext,
  ticketId: string,
  options: { include?: readonly "tasks"[] } = {},
): Promise<TicketWithTasks> {
  if (!options.include?.includes("tasks")) return ticketOf((await ticketAccess(ctx.db, ctx, ticketId, "read")).row);
  // The ticket, its tasks and the caller's access in one statement.
  const { tasks: taskRows, ...ticket } = (await ticketAccess(ctx.db, ctx, ticketId, "read", ticketTasks)).row;
  return { ...ticketOf(ticket), tasks: taskRows };
}

/** Changes a ticket; closing it shows in the activity feed. */
export async function updateTicket(
  ctx: ServiceContext,
  ticketId: string,
  input: unknown,
  options: { expectedVersion?: number } = {},
): Promise<Ticket> {
  const patch = parseInput(updateTicketInput, input);
  return ctx.db.transaction(async (tx) => {
    const { access } = await ticketAccess(tx, ctx, ticketId, "write");
    const before = await tx.repo(tickets).get(ticketId, { forUpdate: true });
    assertVersion(before, options.expectedVersion);
    await assertAssignees(tx, access.teamId, patch);
    const changes: typeof patch = { ...patch };
    if (patch.assigneeUserId) changes.assigneeAgentId = null;
    if (patch.assigneeAgentId) changes.assigneeUserId = null;
    const current = ticketFields(before);
    const changed = (Object.keys(changes) as (keyof typeof changes)[]).some(
      (k) => changes[k] !== undefined && JSON.stringify(changes[k]) !== JSON.stringify(current[k]),
    );
    if (!changed) return ticketOf(before);
    const after = await tx.repo(tickets).update(ticketId, changes);
    const closed = before.status !== "closed" && after.status === "closed";
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "ticket.updated",
      entity: "ticket",
      entityId: ticketId,
      before: ticketFields(before),
      after: ticketFields(after),
      ...(closed
        ? {
            activity: {
              verb: "closed",
              projectId: after.projectId,
              data: { number: after.number, title: after.title },
            },
          }
        : {}),
    });
    return ticketOf(after);
  });
}

/**
 * Soft-deletes a ticket; its tasks stay with it. Its live queue items and those of its tasks are
 * cancelled with it: no agent claims or completes work on a deleted ticket.
 */
export async function deleteTicket(
  ctx: ServiceContext,
  ticketId: string,
  options: { expectedVersion?: number } = {},
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { access } = await ticketAccess(tx, ctx, ticketId, "write");
    const ticket = await tx.repo(tickets).get(ticketId, { forUpdate: true });
    assertVersion(ticket, options.expectedVersion);
    await tx.repo(tickets).delete(ticketId);
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "ticket.deleted",
      entity: "ticket",
      entityId: ticketId,
      before: { number: ticket.number, title: ticket.title },
    });
    await cancelLiveItems(tx, ctx, access.teamId, { ticketId }, "ticket deleted");
    const taskIds = (await tasksOf(tx, ticketId)).map((t) => t.id);
    await cancelLiveItems(tx, ctx, access.teamId, { taskId: { in: taskIds } }, "ticket deleted");
  });
}

/**
 * Brings back a soft-deleted ticket (team admins and owners); restoring a live one changes nothing.
 * Queue items cancelled by its deletion stay cancelled. A ticket of a deleted project is a conflict:
 * the project comes back first.
 */
export async function restoreTicket(ctx: ServiceContext, ticketId: string): Promise<Ticket> {
  assertId("tickets", ticketId);
  return ctx.db.transaction(async (tx) => {
    const ticket = await tx.repo(tickets).find(ticketId, { deleted: "include", forUpdate: true });
    if (!ticket) throw new NotFoundError("tickets", ticketId);
    const { project } = await requireProjectAccess(tx, ctx.principal, ticket.projectId, "manage", {
      deleted: "include",
    }).catch((error: unknown) => {
      throw error instanceof NotFoundError ? new NotFoundError("tickets", ticketId) : error;
    });
    if (project.deletedAt !== null) {
      throw new ConflictError("the ticket's project is deleted: restore the project first", ["projectId"]);
    }
    if (ticket.deletedAt === null) return ticketOf(ticket);
    const restored = await tx.repo(tickets).restore(ticketId);
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "ticket.restored",
      entity: "ticket",
      entityId: ticketId,
      after: { number: restored.number, title: restored.title },
      activity: {
        verb: "restored",
        projectId: restored.projectId,
        data: { number: restored.number, title: restored.title },
      },
    });
    return ticketOf(restored);
  });
}

// ---------------------------------------------------------------- tasks

/** The ticket's tasks, paged, in order by default. */
export async function listTasks(
  ctx: ServiceContext,
  ticketId: string,
  query: PageQuery<typeof tasks> = {},
): Promise<Page<Task>> {
  await ticketAccess(ctx.db, ctx, ticketId, "read");
  return ctx.db.repo(tasks).list({
    where: { ticketId },
    sort: query.sort ?? "orderIndex",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}

/**
 * Creates one task or many, all or none. Without `orderIndex` a task goes to the end; dependencies
 * name existing tasks of the ticket.
 */
export async function createTasks(ctx: ServiceContext, ticketId: string, input: unknown): Promise<Task | Task[]> {
  const parsed = parseInput(createTasksInput, input);
  const many = Array.isArray(parsed);
  const items = many ? parsed : [parsed];
  return ctx.db.transaction(async (tx) => {
    const { access } = await ticketAccess(tx, ctx, ticketId, "write");
    // The ticket row is locked until commit, so concurrent creates append after one another.
    await tx.repo(tickets).get(ticketId, { forUpdate: true });
    const existing = await tasksOf(tx, ticketId);
    const known = new Set(existing.map((t) => t.id));
    let next = existing.reduce((max, t) => Math.max(max, t.orderIndex + 1), 0);
    const rows = [];
    for (const [i, item] of items.entries()) {
      const path = many ? [i] : [];
      assertDependencies(item.dependencies, known, undefined, path);
      await assertAssignees(tx, access.teamId, { assigneeAgentId: item.assigneeAgentId }, path);
      const orderIndex = item.orderIndex ?? next;
      next = Math.max(next, orderIndex + 1);
      rows.push({ ...item, ...doneAndStatus(item), orderIndex, ticketId });
    }
    const created = await tx.repo(tasks).createMany(rows);
    for (const task of created) {
      recordChange(tx, ctx, {
        teamId: access.teamId,
        action: "task.created",
        entity: "task",
        entityId: task.id,
        after: { ticketId, ...taskFieldsOf(task) },
      });
    }
    return many ? created : (created[0] as Task);
  });
}

/** Changes a task; completing it shows in the activity feed. */
export async function updateTask(ctx: ServiceContext, taskId: string, input: unknown): Promise<Task> {
  const patch = parseInput(updateTaskInput, input);
  return ctx.db.transaction(async (tx) => {
    const { ticket, access } = await taskAccess(tx, ctx, taskId, "write");
    const before = await tx.repo(tasks).get(taskId, { forUpdate: true });
    if (patch.dependencies !== undefined) {
      const ticketTaskRows = await tasksOf(tx, ticket.id);
      assertDependencies(patch.dependencies, new Set(ticketTaskRows.map((t) => t.id)), taskId, []);
      assertNoCycle(taskId, patch.dependencies, ticketTaskRows);
    }
    await assertAssignees(tx, access.teamId, { assigneeAgentId: patch.assigneeAgentId });
    const changes = { ...patch, ...doneAndStatus(patch, before) };
    const current = taskFieldsOf(before);
    const changed = (Object.keys(changes) as (keyof typeof changes)[]).some(
      (k) => changes[k] !== undefined && JSON.stringify(changes[k]) !== JSON.stringify(current[k]),
    );
    if (!changed) return before;
    const after = await tx.repo(tasks).update(taskId, changes);
    const completed = before.status !== "completed" && after.status === "completed";
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "task.updated",
      entity: "task",
      entityId: taskId,
      before: taskFieldsOf(before),
      after: taskFieldsOf(after),
      ...(completed
        ? {
            activity: {
              verb: "completed",
              projectId: ticket.projectId,
              data: { ticketId: ticket.id, number: ticket.number, content: after.content },
            },
          }
        : {}),
    });
    return after;
  });
}

/**
 * Deletes a task for good, and takes it out of the dependencies of the ticket's other tasks. Its
 * queue items go with it (the schema cascades); while an agent works on one (in progress) the task
 * is not deleted: a conflict, until that item is completed, failed or cancelled.
 */
export async function deleteTask(ctx: ServiceContext, taskId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { task, ticket, access } = await taskAccess(tx, ctx, taskId, "write");
    // Every item of the task, locked page by page: a task may have been enqueued any number of times.
    const items: RowOf<typeof queueItems>[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await tx
        .repo(queueItems)
        .list({ where: { taskId }, sort: "createdAt", limit: 1_000, cursor, forUpdate: true });
      items.push(...page.data);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    const held = items.find((item) => item.status === "in_progress");
    if (held) {
      throw new ConflictError(
        `an agent is working on this task (queue item ${held.id}); cancel that item before deleting the task`,
        ["queueItemId"],
      );
    }
    await tx.repo(tasks).delete(taskId);
    for (const item of items) {
      recordChange(tx, ctx, {
        teamId: access.teamId,
        action: "queue_item.deleted",
        entity: "queue_item",
        entityId: item.id,
        before: { queueId: item.queueId, taskId, status: item.status, attempts: item.attempts, reason: "task deleted" },
      });
    }
    for (const other of await tasksOf(tx, ticket.id)) {
      if (other.dependencies.includes(taskId)) {
        await tx.repo(tasks).update(other.id, { dependencies: other.dependencies.filter((id) => id !== taskId) });
      }
    }
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "task.deleted",
      entity: "task",
      entityId: taskId,
      before: { ticketId: ticket.id, ...taskFieldsOf(task) },
    });
  });
}

/** Puts the ticket's tasks in the given order (orderIndex 0…n-1); the list must name each task once. */
export async function reorderTasks(ctx: ServiceContext, ticketId: string, input: unknown): Promise<Task[]> {
  const { taskIds } = parseInput(reorderTasksInput, input);
  return ctx.db.transaction(async (tx) => {
    const { access } = await ticketAccess(tx, ctx, ticketId, "write");
    await tx.repo(tickets).get(ticketId, { forUpdate: true });
    const current = await tasksOf(tx, ticketId);
    const byId = new Map(current.map((t) => [t.id, t]));
    const given = new Set(taskIds);
    if (given.size !== taskIds.length || taskIds.length !== current.length || taskIds.some((id) => !byId.has(id))) {
      throw new ValidationError([{ path: ["taskIds"], message: "must list each task of the ticket exactly once" }]);
    }
    if (current.every((task, i) => task.id === taskIds[i] && task.orderIndex === i)) return current;
    const ordered: Task[] = [];
    for (const [orderIndex, id] of taskIds.entries()) {
      const task = byId.get(id) as TaskRow;
      ordered.push(task.orderIndex === orderIndex ? task : await tx.repo(tasks).update(id, { orderIndex }));
    }
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "tasks.reordered",
      entity: "ticket",
      entityId: ticketId,
      before: { taskIds: current.map((t) => t.id) },
      after: { taskIds },
    });
    return ordered;
  });
}
