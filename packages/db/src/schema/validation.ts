import type { BuildRefine, BuildSchema } from "drizzle-zod";
import { createInsertSchema, createSelectSchema, createUpdateSchema } from "drizzle-zod";
import type { z } from "zod";
import type { AnyTable } from "./table.js";

type PgColumns<T extends AnyTable> = T["pg"]["_"]["columns"];
type InsertColumns<T extends AnyTable> = Pick<PgColumns<T>, keyof T["pg"]["$inferInsert"]>;

/** Refinements per column, for what the column type cannot say (email format, lengths, ranges). */
export type Refinements<T extends AnyTable> = BuildRefine<InsertColumns<T>, undefined>;

export interface TableSchemas {
  readonly insert: z.ZodType;
  readonly update: z.ZodType;
  readonly select: z.ZodType;
}

// A type alias, not an interface extending TableSchemas: checking that relation for a generic table is too deep for tsc.
export type SchemasOf<T extends AnyTable, R extends Record<string, unknown> | undefined> = {
  readonly insert: BuildSchema<"insert", PgColumns<T>, R, undefined>;
  readonly update: BuildSchema<"update", PgColumns<T>, R, undefined>;
  readonly select: BuildSchema<"select", PgColumns<T>, undefined, undefined>;
};

const registry = new WeakMap<AnyTable, TableSchemas>();

/** Unknown keys are refused, not dropped: a misspelt column (`nmae`) must not look written. */
const strict = (schema: z.ZodType): z.ZodType => (schema as z.ZodObject).strict();

// drizzle-zod's overloads cannot be resolved for a generic table, so the calls go through this one signature.
type Factory = (table: unknown, refine?: unknown) => z.ZodType;

/**
 * The insert, update and select zod schemas of a table, derived from its columns with drizzle-zod
 * and refined. The repository validates with the same schemas, so declare the refinements once,
 * beside the table:
 *
 * ```ts
 * export const userSchemas = schemasFor(users, { email: (s) => s.trim().toLowerCase().pipe(z.email()) });
 * ```
 */
export function schemasFor<T extends AnyTable, R extends Refinements<T> = Refinements<T>>(
  table: T,
  refine?: R,
): SchemasOf<T, R> {
  const schemas = {
    insert: strict((createInsertSchema as Factory)(table.pg, refine)),
    update: strict((createUpdateSchema as Factory)(table.pg, refine)),
    select: (createSelectSchema as Factory)(table.pg),
  };
  registry.set(table, schemas);
  return schemas as unknown as SchemasOf<T, R>;
}

/** @internal The schemas the repository validates with: the declared ones, or plain derived ones. */
export function validationSchemas(table: AnyTable): TableSchemas {
  const known = registry.get(table);
  if (known) return known;
  const schemas: TableSchemas = {
    insert: strict((createInsertSchema as Factory)(table.pg)),
    update: strict((createUpdateSchema as Factory)(table.pg)),
    select: (createSelectSchema as Factory)(table.pg),
  };
  registry.set(table, schemas);
  return schemas;
}
