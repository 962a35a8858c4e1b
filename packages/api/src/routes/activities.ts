import { type activities, activitySchemas, activityService } from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { listOptions, listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { named } from "../schemas.js";

export const ActivitySchema = named(
  activitySchemas.select,
  "Activity",
  "A feed entry: <actor> <verb> <subject>, with data for display",
);

const idParam = z.object({ id: z.uuid() });
export const verbQuery = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .optional()
  .openapi({ description: "only activities with this verb" });
const activityListQuery = listQuery.extend({ verb: verbQuery });

const tags = ["activities"];

const listActivities = createRoute({
  method: "get",
  path: "/projects/{id}/activities",
  tags,
  summary: "The project's activity feed, newest first (`?verb` filters)",
  security: authenticated,
  request: { params: idParam, query: activityListQuery },
  responses: {
    200: jsonResponse(pageOf(ActivitySchema), "A page of activities"),
    ...problems("unauthenticated", "not_found"),
  },
});
const createActivity = createRoute({
  method: "post",
  path: "/projects/{id}/activities",
  tags,
  summary: "Add a custom entry to the project's feed (e.g. an agent reporting progress)",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(activityService.createActivityInput, "CreateActivityRequest")) },
  responses: {
    201: jsonResponse(ActivitySchema, "The activity"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});

export function activitiesRoutes(deps: AppDependencies) {
  return router()
    .openapi(listActivities, async (c) => {
      const query = c.req.valid("query");
      const options = listOptions<typeof activities>(query, ["createdAt"], "-createdAt");
      const page = await activityService.listProjectActivities(serviceContext(c, deps), c.req.valid("param").id, {
        ...options,
        verb: query.verb,
      });
      return c.json(page, 200);
    })
    .openapi(createActivity, async (c) =>
      c.json(
        await activityService.createActivity(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        201,
      ),
    );
}
