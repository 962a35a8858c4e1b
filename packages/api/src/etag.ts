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
 * no header or it is `*`. The header may list several entity tags (RFC 9110 §13.1.1); they are
 * compared strongly, so weak ones (`W/"3"`) and tags this API never sends can never match. A header
 * where no tag can match answers 412; one naming two versions of ours answers 400, as a resource has
 * one version to change from.
 */
export function expectedVersion(c: Context<AppEnv>): number | undefined {
  const header = c.req.header("if-match")?.trim();
  if (header === undefined || header === "*") return undefined;
  const versions = new Set<number>();
  for (const tag of header.split(",")) {
    const match = /^"(\d{1,9})"$/.exec(tag.trim());
    if (match?.[1]) versions.add(Number(match[1]));
  }
  if (versions.size > 1) {
    const message = "If-Match may name one version of the resource";
    throw new HttpProblem("validation_failed", { detail: message, errors: [{ path: "header.if-match", message }] });
  }
  const [version] = versions;
  if (version === undefined) {
    throw new HttpProblem("version_conflict", {
      detail: 'If-Match must hold an ETag from this API, such as "3" (weak ones never match)',
    });
  }
  return version;
}

/** How a route that honours If-Match says so in its OpenAPI description. */
export const IF_MATCH =
  'Send `If-Match` with the ETag from a GET (such as `"3"`) to change only what you saw: a resource that has changed since answers 412 `version_conflict`.';
