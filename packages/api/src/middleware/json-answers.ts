import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.js";
import { jsonResponse, withIsoDates } from "../respond.js";

/**
 * `c.json(object, status, headers)` answers through `jsonResponse`: the object with its dates
 * written first, its headers (content type, request id, those given) one plain record. Calls
 * without a status (where `c.status()` decides it) or with a `ResponseInit` go through Hono, with
 * the dates still written first.
 */
export const jsonAnswers = createMiddleware<AppEnv>((c, next) => {
  const json = c.json as (object: unknown, ...rest: unknown[]) => Response;
  (c as { json: unknown }).json = (object: unknown, status?: unknown, headers?: Record<string, string>) =>
    typeof status === "number"
      ? jsonResponse(c, object, status, headers)
      : json(withIsoDates(object, 0), status, headers);
  return next();
});
