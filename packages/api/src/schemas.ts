import { z } from "@hono/zod-openapi";

/**
 * Registers a schema from the domain as a named OpenAPI component. zod 4 gives each schema its
 * methods when it is built, so a schema built before @hono/zod-openapi was loaded has no
 * `.openapi()`; a clone, built now, has.
 */
export function named<S extends z.ZodType>(schema: S, name: string, description?: string): S {
  const copy = schema.clone() as S;
  return copy.openapi(name, description ? { description } : {}) as S;
}

/**
 * Any JSON value but null, written without recursion: the OpenAPI generator cannot follow z.json().
 * Services validate the value again with the schema they store it by.
 */
export const jsonPresentValue = z
  .union([z.string(), z.number(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown())])
  .openapi({ description: "any JSON value but null" });
