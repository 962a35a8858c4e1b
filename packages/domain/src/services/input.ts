import { ValidationError } from "@groundwork/db";
import type { z } from "zod";

/** The input, parsed by `schema`; a ValidationError listing every problem otherwise. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(result.error);
  return result.data;
}
