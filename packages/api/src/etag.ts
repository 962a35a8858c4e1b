import type { Context } from "hono";
import type { AppEnv } from "./env.js";
import { HttpProblem } from "./problem.js";

/** The ETag of a versioned resource: its version, quoted. */
export function etagOf(resource: { version: number }): string {
  return `"${resource.version}"`;
}

/** The ETag header of a versioned resource, for `c.json(resource, status, etagHeader(resource))`. */
export function etagHeader(resource: { version: number }): { ETag: string } {
  return { ETag: etagOf(resource) };
}

/**
 * The version an `If-Match` header asks for, to pass on as `expectedVersion`: undefined when there is
 * no header or it is `*`. A header that names no version of ours can never match: 412.
 */
export function expectedVersion(c: Context<AppEnv>): number | undefined {
  const header = c.req.header("if-match")?.trim();
  if (header === undefined || header === "*") return undefined;
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(header);
  if (!match?.[1]) {
    throw new HttpProblem("version_conflict", { detail: 'If-Match must be an ETag from this API, such as "3"' });
  }
  return Number(match[1]);
}

/** How a route that honours If-Match says so in its OpenAPI description. */
export const IF_MATCH =
  'Send `If-Match` with the ETag from a GET (such as `"3"`) to change only what you saw: a resource that has changed since answers 412 `version_conflict`.';
