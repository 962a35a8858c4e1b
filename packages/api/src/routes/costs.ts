import { costSchemas, costService, type costs, dateTimeInput } from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { listOptions, listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { named } from "../schemas.js";

const CostSchema = named(costSchemas.select, "Cost", "A cost entry: tokens, and money in integer micro-units");
const CostEntryRequest = named(costService.costEntryInput, "CostEntryRequest");
const RecordCostsRequest = z
  .union([CostEntryRequest, z.array(CostEntryRequest).min(1).max(costService.MAX_COSTS_PER_REQUEST)])
  .openapi("RecordCostsRequest", { description: "One entry, or an array of up to 1,000 recorded all-or-nothing" });
const CostSummarySchema = z
  .object({
    data: z.array(
      z.object({
        key: z.string().nullable(),
        currency: z.string(),
        amountMicros: z.number().int(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        count: z.number().int(),
      }),
    ),
  })
  .openapi("CostSummary", { description: "Exact integer sums per group and currency; `key` is null for no agent" });

const projectParam = z.object({ id: z.uuid() });
const teamParam = z.object({ teamId: z.uuid() });
const from = dateTimeInput.optional().openapi({ description: "ISO-8601; costs at or after this time" });
const to = dateTimeInput.optional().openapi({ description: "ISO-8601; costs before this time; not before `from`" });
const costQuery = listQuery.extend({
  agentId: z.uuid().optional().openapi({ description: "only this agent's costs" }),
  model: z.string().trim().min(1).max(200).optional().openapi({ description: "only costs of this model" }),
  from,
  to,
});
const projectSummaryQuery = z.object({
  groupBy: z.enum(costService.projectGroupings).openapi({ description: "`agent`, `model` or `day` (UTC)" }),
  from,
  to,
});
const teamSummaryQuery = z.object({
  groupBy: z.enum(costService.teamGroupings).openapi({ description: "`project`, `agent`, `model` or `day` (UTC)" }),
  from,
  to,
});

const tags = ["costs"];

const listCosts = createRoute({
  method: "get",
  path: "/projects/{id}/costs",
  tags,
  summary: "The project's costs, newest first",
  security: authenticated,
  request: { params: projectParam, query: costQuery },
  responses: { 200: jsonResponse(pageOf(CostSchema), "A page of costs"), ...problems("unauthenticated", "not_found") },
});
const recordCosts = createRoute({
  method: "post",
  path: "/projects/{id}/costs",
  tags,
  summary: "Record one cost entry or up to 1,000, all or none (members, editors, and agents for their own costs)",
  security: authenticated,
  request: { params: projectParam, body: jsonBody(RecordCostsRequest) },
  responses: {
    201: jsonResponse(z.union([CostSchema, z.array(CostSchema)]), "The entry, or the entries in the order given"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const projectSummary = createRoute({
  method: "get",
  path: "/projects/{id}/costs/summary",
  tags,
  summary: "The project's costs summed by agent, model or UTC day",
  security: authenticated,
  request: { params: projectParam, query: projectSummaryQuery },
  responses: { 200: jsonResponse(CostSummarySchema, "The sums"), ...problems("unauthenticated", "not_found") },
});
const teamSummary = createRoute({
  method: "get",
  path: "/teams/{teamId}/costs/summary",
  tags,
  summary: "The costs of the team's projects summed by project, agent, model or UTC day",
  security: authenticated,
  request: { params: teamParam, query: teamSummaryQuery },
  responses: { 200: jsonResponse(CostSummarySchema, "The sums"), ...problems("unauthenticated", "not_found") },
});

export function costsRoutes(deps: AppDependencies) {
  return router()
    .openapi(listCosts, async (c) => {
      const query = c.req.valid("query");
      const options = listOptions<typeof costs>(query, ["occurredAt", "createdAt", "amountMicros"], "-occurredAt");
      const page = await costService.listCosts(serviceContext(c, deps), c.req.valid("param").id, {
        ...options,
        agentId: query.agentId,
        model: query.model,
        from: query.from,
        to: query.to,
      });
      return c.json(page, 200);
    })
    .openapi(recordCosts, async (c) =>
      c.json(await costService.recordCosts(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")), 201),
    )
    .openapi(projectSummary, async (c) =>
      c.json(
        await costService.summarizeProjectCosts(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("query")),
        200,
      ),
    )
    .openapi(teamSummary, async (c) =>
      c.json(
        await costService.summarizeTeamCosts(
          serviceContext(c, deps),
          c.req.valid("param").teamId,
          c.req.valid("query"),
        ),
        200,
      ),
    );
}
