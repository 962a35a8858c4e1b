import { promptSchemas, promptService, type prompts } from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { listOptions, listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { named } from "../schemas.js";

const PromptSchema = named(promptSchemas.select, "Prompt", "A reusable prompt of a team, optionally of one project");

const idParam = z.object({ id: z.uuid() });
const teamParam = z.object({ teamId: z.uuid() });
const tags = ["prompts"];
const SORTABLE = ["createdAt", "updatedAt", "title"];
const promptListQuery = listQuery.extend({
  tag: z.string().trim().min(1).max(64).optional().openapi({ description: "only prompts carrying this tag" }),
});

const listTeamPrompts = createRoute({
  method: "get",
  path: "/teams/{teamId}/prompts",
  tags,
  summary: "The team's prompts, team-wide and per project (`?sort` by createdAt, updatedAt, title; newest first)",
  security: authenticated,
  request: { params: teamParam, query: promptListQuery },
  responses: {
    200: jsonResponse(pageOf(PromptSchema), "A page of prompts"),
    ...problems("unauthenticated", "not_found"),
  },
});
const createPrompt = createRoute({
  method: "post",
  path: "/teams/{teamId}/prompts",
  tags,
  summary: "Create a prompt; projectId ties it to a project of the team",
  security: authenticated,
  request: { params: teamParam, body: jsonBody(named(promptService.createPromptInput, "CreatePromptRequest")) },
  responses: {
    201: jsonResponse(PromptSchema, "The prompt"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const listProjectPrompts = createRoute({
  method: "get",
  path: "/projects/{id}/prompts",
  tags,
  summary: "The prompts tied to the project (`?sort` by createdAt, updatedAt, title; newest first)",
  security: authenticated,
  request: { params: idParam, query: promptListQuery },
  responses: {
    200: jsonResponse(pageOf(PromptSchema), "A page of prompts"),
    ...problems("unauthenticated", "not_found"),
  },
});
const getPrompt = createRoute({
  method: "get",
  path: "/prompts/{id}",
  tags,
  summary: "One prompt",
  security: authenticated,
  request: { params: idParam },
  responses: { 200: jsonResponse(PromptSchema, "The prompt"), ...problems("unauthenticated", "not_found") },
});
const updatePrompt = createRoute({
  method: "patch",
  path: "/prompts/{id}",
  tags,
  summary: "Change a prompt (team members and up)",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(promptService.updatePromptInput, "UpdatePromptRequest")) },
  responses: {
    200: jsonResponse(PromptSchema, "The prompt"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const deletePrompt = createRoute({
  method: "delete",
  path: "/prompts/{id}",
  tags,
  summary: "Delete a prompt (team members and up)",
  security: authenticated,
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problems("unauthenticated", "forbidden", "not_found") },
});

export function promptsRoutes(deps: AppDependencies) {
  return router()
    .openapi(listTeamPrompts, async (c) => {
      const query = c.req.valid("query");
      const options = { ...listOptions<typeof prompts>(query, SORTABLE, "-createdAt"), tag: query.tag };
      const ctx = serviceContext(c, deps);
      return c.json(await promptService.listTeamPrompts(ctx, c.req.valid("param").teamId, options), 200);
    })
    .openapi(createPrompt, async (c) =>
      c.json(
        await promptService.createPrompt(serviceContext(c, deps), c.req.valid("param").teamId, c.req.valid("json")),
        201,
      ),
    )
    .openapi(listProjectPrompts, async (c) => {
      const query = c.req.valid("query");
      const options = { ...listOptions<typeof prompts>(query, SORTABLE, "-createdAt"), tag: query.tag };
      return c.json(
        await promptService.listProjectPrompts(serviceContext(c, deps), c.req.valid("param").id, options),
        200,
      );
    })
    .openapi(getPrompt, async (c) =>
      c.json(await promptService.getPrompt(serviceContext(c, deps), c.req.valid("param").id), 200),
    )
    .openapi(updatePrompt, async (c) =>
      c.json(
        await promptService.updatePrompt(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
    )
    .openapi(deletePrompt, async (c) => {
      await promptService.deletePrompt(serviceContext(c, deps), c.req.valid("param").id);
      return c.body(null, 204);
    });
}
