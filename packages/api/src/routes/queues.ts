import {
  costService,
  queueItemSchemas,
  queueItemStatuses,
  type queueItems,
  queueSchemas,
  queueService,
  type queues,
} from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { commaList, listOptions, listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { jsonPresentValue, named } from "../schemas.js";

const QueueSchema = named(queueSchemas.select, "Queue", "A work queue of a project");
const QueueItemSchema = named(
  queueItemSchemas.select.extend({ result: jsonPresentValue.nullable() }),
  "QueueItem",
  "An item of a queue: exactly one of ticketId and taskId",
);
const countsSchema = z.object(
  Object.fromEntries(queueItemStatuses.map((s) => [s, z.number().int()])) as Record<
    (typeof queueItemStatuses)[number],
    z.ZodNumber
  >,
);
const QueueStatsSchema = z
  .object({
    queueId: z.string(),
    counts: countsSchema,
    meanProcessingMs: z.number().nullable(),
    throughput: z.object({ lastHour: z.number().int(), last24Hours: z.number().int() }),
  })
  .openapi("QueueStats", {
    description: "Items per status, mean processing time (completedAt − startedAt) and completions per hour/day",
  });
const CompleteItemRequest = z
  .object({
    result: jsonPresentValue.nullable().optional(),
    costs: z
      .array(named(costService.costEntryInput, "QueueItemCostEntry"))
      .max(costService.MAX_COSTS_PER_REQUEST)
      .optional(),
  })
  .strict()
  .openapi("CompleteQueueItemRequest", {
    description:
      "The result, and costs recorded with this item and its agent in the same transaction (an entry's agentId, if given, must be the item's agent)",
  });

const idParam = z.object({ id: z.uuid() });
const itemListQuery = listQuery.extend({
  status: commaList(queueItemStatuses, "only items with one of these statuses"),
});

const tags = ["queues"];

const listQueues = createRoute({
  method: "get",
  path: "/projects/{id}/queues",
  tags,
  summary: "The project's queues (`?sort` by name, createdAt, updatedAt; by name)",
  security: authenticated,
  request: { params: idParam, query: listQuery },
  responses: {
    200: jsonResponse(pageOf(QueueSchema), "A page of queues"),
    ...problems("unauthenticated", "not_found"),
  },
});
const createQueue = createRoute({
  method: "post",
  path: "/projects/{id}/queues",
  tags,
  summary: "Create a queue (team admins); names are unique per project",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(queueService.createQueueInput, "CreateQueueRequest")) },
  responses: {
    201: jsonResponse(QueueSchema, "The queue"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const getQueue = createRoute({
  method: "get",
  path: "/queues/{id}",
  tags,
  summary: "One queue",
  security: authenticated,
  request: { params: idParam },
  responses: { 200: jsonResponse(QueueSchema, "The queue"), ...problems("unauthenticated", "not_found") },
});
const updateQueue = createRoute({
  method: "patch",
  path: "/queues/{id}",
  tags,
  summary: "Change a queue (team admins); `status: paused` stops handing out items, `active` resumes",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(queueService.updateQueueInput, "UpdateQueueRequest")) },
  responses: {
    200: jsonResponse(QueueSchema, "The queue"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const deleteQueue = createRoute({
  method: "delete",
  path: "/queues/{id}",
  tags,
  summary: "Delete a queue and its items (team admins)",
  security: authenticated,
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problems("unauthenticated", "forbidden", "not_found") },
});
const queueStats = createRoute({
  method: "get",
  path: "/queues/{id}/stats",
  tags,
  summary: "Counts by status, mean processing time and throughput",
  security: authenticated,
  request: { params: idParam },
  responses: {
    200: jsonResponse(QueueStatsSchema, "The queue's statistics"),
    ...problems("unauthenticated", "not_found"),
  },
});
const listItems = createRoute({
  method: "get",
  path: "/queues/{id}/items",
  tags,
  summary: "The queue's items, by priority then enqueue time (`?sort` by priority, enqueuedAt, createdAt, status)",
  security: authenticated,
  request: { params: idParam, query: itemListQuery },
  responses: {
    200: jsonResponse(pageOf(QueueItemSchema), "A page of items"),
    ...problems("unauthenticated", "not_found"),
  },
});
const enqueue = createRoute({
  method: "post",
  path: "/queues/{id}/items",
  tags,
  summary: "Enqueue a ticket or task of the queue's project; one already live in this queue is a conflict",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(queueService.enqueueInput, "EnqueueRequest")) },
  responses: {
    201: jsonResponse(QueueItemSchema, "The item"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const claim = createRoute({
  method: "post",
  path: "/queues/{id}/claim",
  tags,
  summary: "Claim the next item: agents for themselves, team admins for `agentId`; it makes the agent busy",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(queueService.claimInput, "ClaimRequest"), false) },
  responses: {
    200: jsonResponse(QueueItemSchema, "The claimed item, in progress with a lease"),
    204: { description: "Nothing to claim: the queue is empty, paused or at maxParallel" },
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const heartbeat = createRoute({
  method: "post",
  path: "/queue-items/{id}/heartbeat",
  tags,
  summary: "Extend the lease (the claiming agent or a team admin)",
  security: authenticated,
  request: { params: idParam },
  responses: {
    200: jsonResponse(QueueItemSchema, "The item, with its new lease"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const complete = createRoute({
  method: "post",
  path: "/queue-items/{id}/complete",
  tags,
  summary: "Complete the item, closing its ticket or completing its task, and record costs, all at once",
  security: authenticated,
  request: { params: idParam, body: jsonBody(CompleteItemRequest, false) },
  responses: {
    200: jsonResponse(QueueItemSchema, "The completed item"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const fail = createRoute({
  method: "post",
  path: "/queue-items/{id}/fail",
  tags,
  summary: "Fail the attempt: queued again while attempts remain, dead after maxAttempts",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(queueService.failItemInput, "FailQueueItemRequest")) },
  responses: {
    200: jsonResponse(QueueItemSchema, "The item, queued again or dead"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const cancel = createRoute({
  method: "post",
  path: "/queue-items/{id}/cancel",
  tags,
  summary: "Cancel a queued or in-progress item",
  security: authenticated,
  request: { params: idParam },
  responses: {
    200: jsonResponse(QueueItemSchema, "The cancelled item"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});

export function queuesRoutes(deps: AppDependencies) {
  return router()
    .openapi(listQueues, async (c) => {
      const options = listOptions<typeof queues>(c.req.valid("query"), ["name", "createdAt", "updatedAt"], "name");
      return c.json(await queueService.listQueues(serviceContext(c, deps), c.req.valid("param").id, options), 200);
    })
    .openapi(createQueue, async (c) =>
      c.json(
        await queueService.createQueue(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        201,
      ),
    )
    .openapi(getQueue, async (c) =>
      c.json(await queueService.getQueue(serviceContext(c, deps), c.req.valid("param").id), 200),
    )
    .openapi(updateQueue, async (c) =>
      c.json(
        await queueService.updateQueue(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
    )
    .openapi(deleteQueue, async (c) => {
      await queueService.deleteQueue(serviceContext(c, deps), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(queueStats, async (c) =>
      c.json(await queueService.queueStats(serviceContext(c, deps), c.req.valid("param").id), 200),
    )
    .openapi(listItems, async (c) => {
      const query = c.req.valid("query");
      const options = listOptions<typeof queueItems>(
        query,
        ["priority", "enqueuedAt", "createdAt", "updatedAt", "status"],
        ["priority", "enqueuedAt"],
      );
      const page = await queueService.listItems(serviceContext(c, deps), c.req.valid("param").id, {
        ...options,
        status: query.status?.split(","),
      });
      return c.json(page, 200);
    })
    .openapi(enqueue, async (c) =>
      c.json(await queueService.enqueue(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")), 201),
    )
    .openapi(claim, async (c) => {
      const item = await queueService.claimNextItem(
        serviceContext(c, deps),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return item ? c.json(item, 200) : c.body(null, 204);
    })
    .openapi(heartbeat, async (c) =>
      c.json(await queueService.heartbeat(serviceContext(c, deps), c.req.valid("param").id), 200),
    )
    .openapi(complete, async (c) =>
      c.json(
        await queueService.completeItem(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
    )
    .openapi(fail, async (c) =>
      c.json(await queueService.failItem(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")), 200),
    )
    .openapi(cancel, async (c) =>
      c.json(await queueService.cancelItem(serviceContext(c, deps), c.req.valid("param").id), 200),
    );
}
