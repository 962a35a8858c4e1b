import type { Context, Next } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.js";
import { HttpProblem } from "../problem.js";

const WITH_BODY = new Set(["POST", "PUT", "PATCH"]);
/** Deeper JSON than this is refused before any validator walks it (recursively, so it could overflow). */
export const MAX_JSON_DEPTH = 64;

/**
 * Request bodies are JSON: anything else answers 415 before it reaches a route, and JSON nested
 * deeper than MAX_JSON_DEPTH answers 400.
 */
export const requireJsonBody = createMiddleware<AppEnv>((c, next) =>
  WITH_BODY.has(c.req.method) ? checkJsonBody(c, next) : next(),
);

async function checkJsonBody(c: Context<AppEnv>, next: Next): Promise<void> {
  const length = c.req.header("content-length");
  const hasBody = (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (hasBody && type !== "application/json" && !type?.endsWith("+json")) {
    throw new HttpProblem("unsupported_media_type", {
      detail: `send JSON with Content-Type: application/json${type ? `, not ${type}` : ""}`,
    });
  }
  // The text is cached: the route's validator parses it from there.
  if (hasBody && jsonDepth(await c.req.text()) > MAX_JSON_DEPTH) {
    const message = `the body is nested more than ${MAX_JSON_DEPTH} levels deep`;
    throw new HttpProblem("validation_failed", { detail: message, errors: [{ path: "body", message }] });
  }
  await next();
}

/** The deepest nesting of arrays and objects in JSON text (valid or not), without parsing it. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) max = Math.max(max, ++depth);
    else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return max;
}
