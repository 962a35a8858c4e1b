import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.js";
import { HttpProblem } from "../problem.js";

const WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

/** Request bodies are JSON: anything else answers 415 before it reaches a route. */
export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  if (WITH_BODY.has(c.req.method)) {
    const length = c.req.header("content-length");
    const hasBody = (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (hasBody && type !== "application/json" && !type?.endsWith("+json")) {
      throw new HttpProblem("unsupported_media_type", {
        detail: `send JSON with Content-Type: application/json${type ? `, not ${type}` : ""}`,
      });
    }
  }
  await next();
});
