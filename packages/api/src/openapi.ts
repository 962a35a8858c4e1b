import type { RouteConfig, z } from "@hono/zod-openapi";
import { type ProblemCode, ProblemSchema, problemStatus } from "./problem.js";

const descriptions: Partial<Record<ProblemCode, string>> = {
  validation_failed: "The request is not valid; `errors` lists each problem",
  unauthenticated: "No valid bearer token",
  forbidden: "The caller's role does not allow this",
  not_found: "No such resource, or the caller may not see it",
  conflict: "The change conflicts with existing data; `fields` names the fields",
  version_conflict: "If-Match does not match the current version",
  rate_limited: "Too many attempts; see Retry-After",
};

/** The problem responses a route can give, for its OpenAPI description. */
export function problems(...codes: ProblemCode[]): RouteConfig["responses"] {
  const all: ProblemCode[] = [...new Set<ProblemCode>(["validation_failed", ...codes, "internal"])];
  return Object.fromEntries(
    all.map((code) => [
      problemStatus[code],
      {
        description: descriptions[code] ?? code,
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
    ]),
  );
}

/** Routes that need a bearer token. */
export const authenticated = [{ bearerAuth: [] }];

/** A JSON request body of the given schema. */
export function jsonBody<S extends z.ZodType>(schema: S, required = true) {
  return { content: { "application/json": { schema } }, required };
}

/** A JSON response of the given schema. */
export function jsonResponse<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}
