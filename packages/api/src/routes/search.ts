import { searchService } from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { authenticated, jsonResponse, problems } from "../openapi.js";
import { commaList, wholeNumberQuery } from "../pagination.js";
import { router } from "../router.js";

const SearchResultSchema = z
  .object({
    type: z.enum(searchService.searchTypes),
    id: z.uuid(),
    projectId: z.uuid().nullable().openapi({ description: "null for a team-wide prompt" }),
    ticketId: z.uuid().optional().openapi({ description: "a task's ticket" }),
    chatId: z.uuid().optional().openapi({ description: "a message's chat" }),
    title: z
      .string()
      .openapi({ description: "ticket or prompt title, task text, file path, or the message's chat title" }),
    snippet: z.string().openapi({ description: "plain text around the matched words" }),
    rank: z.number().openapi({ description: "higher is better; comparable within one answer" }),
  })
  .openapi("SearchResult");

const searchQuery = z.object({
  q: z.string().min(1).max(searchService.MAX_SEARCH_QUERY).openapi({
    description:
      "the words to find; each must match as a word or the start of one. Quotes, operators and other punctuation are not syntax: any text is a valid query",
  }),
  teamId: z.uuid().optional().openapi({ description: "only this team's projects and prompts" }),
  projectId: z.uuid().optional().openapi({ description: "only this project" }),
  types: commaList(searchService.searchTypes, "only these kinds"),
  limit: wholeNumberQuery(1, 100, 20, "most results, 1–100"),
});

const search = createRoute({
  method: "get",
  path: "/search",
  tags: ["search"],
  summary: "Full-text search over tickets, tasks, prompts, files and chat messages the caller can see, best first",
  security: authenticated,
  request: { query: searchQuery },
  responses: {
    200: jsonResponse(z.object({ data: z.array(SearchResultSchema) }), "The best matches"),
    ...problems("unauthenticated", "not_found"),
  },
});

export function searchRoutes(deps: AppDependencies) {
  return router().openapi(search, async (c) => {
    const { types, ...query } = c.req.valid("query");
    const input = { ...query, ...(types ? { types: types.split(",") } : {}) };
    return c.json(await searchService.search(serviceContext(c, deps), input), 200);
  });
}
