import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env.js";
import { HttpProblem } from "./problem.js";

/**
 * A router whose request validation failures become `validation_failed` problems, with one entry
 * per invalid field (`body.email`, `query.limit`, `path.teamId`).
 */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const target = result.target === "json" ? "body" : result.target === "param" ? "path" : result.target;
      throw new HttpProblem("validation_failed", {
        detail: `the request ${target} is not valid`,
        errors: result.error.issues.map((issue) => ({
          path: [target, ...issue.path.map(String)].join("."),
          message: issue.message,
        })),
      });
    },
  });
}
