import { createRoute, z } from "@hono/zod-openapi";
import type { AppDependencies } from "../env.js";
import { ProblemSchema } from "../problem.js";
import { router } from "../router.js";

const health = createRoute({
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "The process is up",
  responses: {
    200: { description: "Up", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } },
  },
});

const ready = createRoute({
  method: "get",
  path: "/ready",
  tags: ["system"],
  summary: "The database answers and its schema is current",
  responses: {
    200: {
      description: "Ready",
      content: { "application/json": { schema: z.object({ status: z.literal("ready") }) } },
    },
    503: { description: "Not ready", content: { "application/problem+json": { schema: ProblemSchema } } },
  },
});

export function systemRoutes(deps: AppDependencies) {
  return router()
    .openapi(health, (c) => c.json({ status: "ok" as const }, 200))
    .openapi(ready, async (c) => {
      const reachable = await deps.db.ping();
      const current = reachable && (deps.migrationsCurrent ? await deps.migrationsCurrent().catch(() => false) : true);
      if (!reachable || !current) {
        return c.json(
          {
            type: "https://groundwork.dev/problems/unavailable",
            title: "Service unavailable",
            status: 503,
            detail: reachable ? "the database schema is not current: run migrations" : "the database does not answer",
            code: "unavailable" as const,
          },
          503,
          { "Content-Type": "application/problem+json" },
        );
      }
      return c.json({ status: "ready" as const }, 200);
    });
}
