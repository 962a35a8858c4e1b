import {
  taskSchemas,
  type tasks,
  ticketPriorities,
  ticketSchemas,
  ticketService,
  ticketStatuses,
  type tickets,
} from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { etagHeader, expectedVersion, IF_MATCH } from "../etag.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { commaList, listOptions, listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { named } from "../schemas.js";

const TaskSchema = named(taskSchemas.select, "Task", "A task of a ticket");
const TicketSchema = named(ticketSchemas.select.omit({ deletedAt: true }), "Ticket", "A ticket, numbered per project");
const TicketWithTasksSchema = named(
  ticketSchemas.select.omit({ deletedAt: true }).extend({ tasks: z.array(TaskSchema).optional() }),
  "TicketWithTasks",
  "A ticket; with `?include=tasks`, its tasks in order",
);
const CreateTasksRequest = named(
  ticketService.createTasksInput,
  "CreateTasksRequest",
  `One task, or an array of up to ${ticketService.MAX_TASKS_PER_REQUEST} created all or none`,
);

const idParam = z.object({ id: z.uuid() });
const ticketListQuery = listQuery.extend({
  status: commaList(ticketStatuses, "only tickets with one of these statuses"),
  priority: commaList(ticketPriorities, "only tickets with one of these priorities"),
  assignee: z.uuid().optional().openapi({ description: "only tickets assigned to this user or agent" }),
  tag: z.string().trim().min(1).max(64).optional().openapi({ description: "only tickets carrying this tag" }),
  deleted: z.enum(["only"]).optional().openapi({
    description:
      "`only`: the deleted tickets instead of the live ones, to find one to restore (team admins and owners)",
  }),
});
const ticketQuery = z.object({
  include: z.enum(["tasks"]).optional().openapi({ description: "`tasks` adds the ticket's tasks, in order" }),
});

const tags = ["tickets"];

const listTickets = createRoute({
  method: "get",
  path: "/projects/{id}/tickets",
  tags,
  summary: "The project's tickets (`?sort` by number, createdAt, updatedAt, priority, status; newest first)",
  description: "`?deleted=only` lists the deleted tickets instead; it needs team admin or owner (403 otherwise).",
  security: authenticated,
  request: { params: idParam, query: ticketListQuery },
  responses: {
    200: jsonResponse(pageOf(TicketSchema), "A page of tickets"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const createTicket = createRoute({
  method: "post",
  path: "/projects/{id}/tickets",
  tags,
  summary: "Create a ticket with the project's next number",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(ticketService.createTicketInput, "CreateTicketRequest")) },
  responses: {
    201: jsonResponse(TicketSchema, "The ticket"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const getTicket = createRoute({
  method: "get",
  path: "/tickets/{id}",
  tags,
  summary: "One ticket, with its tasks on `?include=tasks`",
  security: authenticated,
  request: { params: idParam, query: ticketQuery },
  responses: { 200: jsonResponse(TicketWithTasksSchema, "The ticket"), ...problems("unauthenticated", "not_found") },
});
const updateTicket = createRoute({
  method: "patch",
  path: "/tickets/{id}",
  tags,
  summary: "Change a ticket; setting one assignee clears the other",
  security: authenticated,
  description: IF_MATCH,
  request: { params: idParam, body: jsonBody(named(ticketService.updateTicketInput, "UpdateTicketRequest")) },
  responses: {
    200: jsonResponse(TicketSchema, "The ticket, with its new ETag"),
    ...problems("unauthenticated", "forbidden", "not_found", "version_conflict"),
  },
});
const deleteTicket = createRoute({
  method: "delete",
  path: "/tickets/{id}",
  tags,
  summary: "Delete a ticket (soft: admins can restore it); its live queue items and its tasks' are cancelled",
  security: authenticated,
  description: IF_MATCH,
  request: { params: idParam },
  responses: {
    204: { description: "Deleted" },
    ...problems("unauthenticated", "forbidden", "not_found", "version_conflict"),
  },
});
const restoreTicket = createRoute({
  method: "post",
  path: "/tickets/{id}/restore",
  tags,
  summary: "Bring back a deleted ticket (team admins and owners)",
  description:
    "Restoring a live ticket changes nothing. A ticket of a deleted project answers 409: restore the project first. Queue items cancelled when the ticket was deleted stay cancelled; enqueue it again.",
  security: authenticated,
  request: { params: idParam },
  responses: {
    200: jsonResponse(TicketSchema, "The ticket, with its ETag"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const listTasks = createRoute({
  method: "get",
  path: "/tickets/{id}/tasks",
  tags,
  summary: "The ticket's tasks, in order (`?sort` by orderIndex, createdAt, updatedAt, status)",
  security: authenticated,
  request: { params: idParam, query: listQuery },
  responses: { 200: jsonResponse(pageOf(TaskSchema), "A page of tasks"), ...problems("unauthenticated", "not_found") },
});
const createTasks = createRoute({
  method: "post",
  path: "/tickets/{id}/tasks",
  tags,
  summary: "Create one task, or an array of them all or none; without orderIndex a task goes last",
  description:
    "`dependencies` name tasks the ticket already has, each once; tasks of the same request cannot name one another (create them first, then PATCH).",
  security: authenticated,
  request: { params: idParam, body: jsonBody(CreateTasksRequest) },
  responses: {
    201: jsonResponse(z.union([TaskSchema, z.array(TaskSchema)]), "The task, or the tasks in the order given"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const reorderTasks = createRoute({
  method: "post",
  path: "/tickets/{id}/tasks/reorder",
  tags,
  summary: "Put the ticket's tasks in this order; the list names each task exactly once",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(ticketService.reorderTasksInput, "ReorderTasksRequest")) },
  responses: {
    200: jsonResponse(z.array(TaskSchema), "The tasks, in their new order"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const updateTask = createRoute({
  method: "patch",
  path: "/tasks/{id}",
  tags,
  summary: "Change a task; done and status follow each other (done ⇔ completed)",
  description:
    "`dependencies` replaces the list: other tasks of the same ticket, each once, and none that depends on this task, directly or through others (a cycle answers 400).",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(ticketService.updateTaskInput, "UpdateTaskRequest")) },
  responses: { 200: jsonResponse(TaskSchema, "The task"), ...problems("unauthenticated", "forbidden", "not_found") },
});
const deleteTask = createRoute({
  method: "delete",
  path: "/tasks/{id}",
  tags,
  summary: "Delete a task for good; it leaves the dependencies of the others",
  description:
    "The task's queue items are deleted with it. While an agent works on one (in progress) the answer is 409: cancel that item (`POST /queue-items/{id}/cancel`) first.",
  security: authenticated,
  request: { params: idParam },
  responses: {
    204: { description: "Deleted" },
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});

const split = (list: string | undefined) => list?.split(",");

export function ticketsRoutes(deps: AppDependencies) {
  return router()
    .openapi(listTickets, async (c) => {
      const query = c.req.valid("query");
      const options = listOptions<typeof tickets>(
        query,
        ["number", "createdAt", "updatedAt", "priority", "status"],
        "-number",
      );
      const page = await ticketService.listTickets(serviceContext(c, deps), c.req.valid("param").id, {
        ...options,
        status: split(query.status),
        priority: split(query.priority),
        assignee: query.assignee,
        tag: query.tag,
        deleted: query.deleted,
      });
      return c.json(page, 200);
    })
    .openapi(createTicket, async (c) => {
      const ticket = await ticketService.createTicket(
        serviceContext(c, deps),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return c.json(ticket, 201, etagHeader(ticket));
    })
    .openapi(getTicket, async (c) => {
      const include = c.req.valid("query").include === "tasks" ? (["tasks"] as const) : [];
      const ticket = await ticketService.getTicket(serviceContext(c, deps), c.req.valid("param").id, { include });
      return c.json(ticket, 200, etagHeader(ticket));
    })
    .openapi(updateTicket, async (c) => {
      const options = { expectedVersion: expectedVersion(c) };
      const ctx = serviceContext(c, deps);
      const ticket = await ticketService.updateTicket(ctx, c.req.valid("param").id, c.req.valid("json"), options);
      return c.json(ticket, 200, etagHeader(ticket));
    })
    .openapi(deleteTicket, async (c) => {
      const options = { expectedVersion: expectedVersion(c) };
      await ticketService.deleteTicket(serviceContext(c, deps), c.req.valid("param").id, options);
      return c.body(null, 204);
    })
    .openapi(restoreTicket, async (c) => {
      const ticket = await ticketService.restoreTicket(serviceContext(c, deps), c.req.valid("param").id);
      return c.json(ticket, 200, etagHeader(ticket));
    })
    .openapi(listTasks, async (c) => {
      const options = listOptions<typeof tasks>(
        c.req.valid("query"),
        ["orderIndex", "createdAt", "updatedAt", "status"],
        "orderIndex",
      );
      return c.json(await ticketService.listTasks(serviceContext(c, deps), c.req.valid("param").id, options), 200);
    })
    .openapi(createTasks, async (c) =>
      c.json(
        await ticketService.createTasks(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        201,
      ),
    )
    .openapi(reorderTasks, async (c) =>
      c.json(
        await ticketService.reorderTasks(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
    )
    .openapi(updateTask, async (c) =>
      c.json(
        await ticketService.updateTask(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
    )
    .openapi(deleteTask, async (c) => {
      await ticketService.deleteTask(serviceContext(c, deps), c.req.valid("param").id);
      return c.body(null, 204);
    });
}
