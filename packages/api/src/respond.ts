import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env.js";
import { type ProblemCode, type ProblemInit, problem } from "./problem.js";

/** Sends a problem document (RFC 9457) with its status and headers. */
export function sendProblem(c: Context<AppEnv>, code: ProblemCode, init: ProblemInit = {}): Response {
  const body = problem(code, init, c.get("requestId"));
  return c.body(JSON.stringify(body), body.status as ContentfulStatusCode, {
    "Content-Type": "application/problem+json",
    ...init.headers,
  });
}

/** A problem document as a response of its own, carrying no header the request had set before. */
export function problemResponse(code: ProblemCode, init: ProblemInit, requestId: string | undefined): Response {
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
