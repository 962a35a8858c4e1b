import { agentSchemas, agentService, agentStatuses, type agents, apiTokenInput } from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { listOptions, listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { named } from "../schemas.js";
import { ApiTokenSchema, CreatedTokenSchema } from "./me.js";

const AgentSchema = named(agentSchemas.select, "Agent", "An AI agent of a team");

const teamParam = z.object({ teamId: z.uuid() });
const idParam = z.object({ id: z.uuid() });
const agentQuery = listQuery.extend({
  status: z.enum(agentStatuses).optional().openapi({ description: "only agents with this status" }),
});

const tags = ["agents"];

const listAgents = createRoute({
  method: "get",
  path: "/teams/{teamId}/agents",
  tags,
  summary: "The team's agents",
  security: authenticated,
  request: { params: teamParam, query: agentQuery },
  responses: {
    200: jsonResponse(pageOf(AgentSchema), "A page of agents"),
    ...problems("unauthenticated", "not_found"),
  },
});
const createAgent = createRoute({
  method: "post",
  path: "/teams/{teamId}/agents",
  tags,
  summary: "Add an agent to the team (admins and owners)",
  security: authenticated,
  request: { params: teamParam, body: jsonBody(named(agentService.createAgentInput, "CreateAgentRequest")) },
  responses: { 201: jsonResponse(AgentSchema, "The agent"), ...problems("unauthenticated", "forbidden", "not_found") },
});
const getAgent = createRoute({
  method: "get",
  path: "/agents/{id}",
  tags,
  summary: "One agent (anyone in its team, the agent itself included)",
  security: authenticated,
  request: { params: idParam },
  responses: { 200: jsonResponse(AgentSchema, "The agent"), ...problems("unauthenticated", "not_found") },
});
const updateAgent = createRoute({
  method: "patch",
  path: "/agents/{id}",
  tags,
  summary: "Change an agent (admins and owners); an agent may set its own status, which also sets lastSeenAt",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(agentService.updateAgentInput, "UpdateAgentRequest")) },
  responses: { 200: jsonResponse(AgentSchema, "The agent"), ...problems("unauthenticated", "forbidden", "not_found") },
});
const deleteAgent = createRoute({
  method: "delete",
  path: "/agents/{id}",
  tags,
  summary:
    "Delete an agent and its tokens (admins and owners); its costs stay, without it; its items go back to their queues",
  security: authenticated,
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problems("unauthenticated", "forbidden", "not_found") },
});
const createToken = createRoute({
  method: "post",
  path: "/agents/{id}/tokens",
  tags,
  summary: "Create an API token for the agent (admins and owners); its secret is shown once",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(apiTokenInput, "CreateAgentTokenRequest")) },
  responses: {
    201: jsonResponse(CreatedTokenSchema, "The token, with its secret"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});

const tokenParams = z.object({ id: z.uuid(), tokenId: z.uuid() });
const listTokens = createRoute({
  method: "get",
  path: "/agents/{id}/tokens",
  tags,
  summary: "The agent's API tokens, newest first, revoked ones included (admins and owners); never their secrets",
  security: authenticated,
  request: { params: idParam },
  responses: {
    200: jsonResponse(z.object({ data: z.array(ApiTokenSchema) }), "The tokens"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const revokeToken = createRoute({
  method: "delete",
  path: "/agents/{id}/tokens/{tokenId}",
  tags,
  summary: "Revoke one of the agent's tokens (admins and owners); it stops working at once",
  security: authenticated,
  request: { params: tokenParams },
  responses: { 204: { description: "Revoked" }, ...problems("unauthenticated", "forbidden", "not_found") },
});

export function agentsRoutes(deps: AppDependencies) {
  return router()
    .openapi(listAgents, async (c) => {
      const query = c.req.valid("query");
      const options = listOptions<typeof agents>(query, ["name", "status", "createdAt"], "name");
      const page = await agentService.listAgents(serviceContext(c, deps), c.req.valid("param").teamId, {
        ...options,
        status: query.status,
      });
      return c.json(page, 200);
    })
    .openapi(createAgent, async (c) =>
      c.json(
        await agentService.createAgent(serviceContext(c, deps), c.req.valid("param").teamId, c.req.valid("json")),
        201,
      ),
    )
    .openapi(getAgent, async (c) =>
      c.json(await agentService.getAgent(serviceContext(c, deps), c.req.valid("param").id), 200),
    )
    .openapi(updateAgent, async (c) =>
      c.json(
        await agentService.updateAgent(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
    )
    .openapi(deleteAgent, async (c) => {
      await agentService.deleteAgent(serviceContext(c, deps), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(createToken, async (c) => {
      const ctx = serviceContext(c, deps);
      const token = await agentService.createAgentToken(ctx, deps.auth, c.req.valid("param").id, c.req.valid("json"));
      return c.json(token, 201);
    })
    .openapi(listTokens, async (c) =>
      c.json({ data: await agentService.listAgentTokens(serviceContext(c, deps), c.req.valid("param").id) }, 200),
    )
    .openapi(revokeToken, async (c) => {
      const { id, tokenId } = c.req.valid("param");
      await agentService.revokeAgentToken(serviceContext(c, deps), id, tokenId);
      return c.body(null, 204);
    });
}
