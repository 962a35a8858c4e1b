import type { Context } from "hono";
import type { AppEnv } from "./env.js";
import { type ProblemCode, type ProblemInit, problem } from "./problem.js";

/**
 * A problem document (RFC 9457) as a response of its own: its status, its headers and the request
 * id, and no header set for the answer it replaces (an ETag of what could not be sent).
 */
export function sendProblem(c: Context<AppEnv>, code: ProblemCode, init: ProblemInit = {}): Response {
  const requestId = c.get("requestId");
  const body = problem(code, init, requestId);
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: {
      "Content-Type": "application/problem+json",
      ...(requestId ? { "X-Request-Id": requestId } : {}),
      ...init.headers,
    },
  });
}
