import type { AnyTable, ListOptions, Page, SortKey } from "@groundwork/db";
import { ValidationError } from "@groundwork/db";
import { z } from "@hono/zod-openapi";

export const MAX_PAGE = 200;

/**
 * A whole-number query parameter from `min` to `max`, `fallback` when absent. Written in decimal
 * digits only: `Number` would also read `0x10`, `1e1`, ` 5` and `5.0`, which are refused here.
 */
export function wholeNumberQuery(min: number, max: number, fallback: number, description: string) {
  return z
    .string()
    .regex(/^[0-9]+$/, `a whole number from ${min} to ${max}, in digits`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback)
    .openapi({ type: "integer", minimum: min, maximum: max, default: fallback, description });
}

/** `?limit&cursor&count&sort`, shared by every list route. */
export const listQuery = z.object({
  limit: wholeNumberQuery(1, MAX_PAGE, 50, `rows per page, 1–${MAX_PAGE}`),
  cursor: z.string().max(2000).optional().openapi({ description: "`nextCursor` of the previous page" }),
  count: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true")
    .openapi({ description: "`true` adds `total`" }),
  sort: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "comma-separated fields, `-` for descending: `-createdAt,name`" }),
});
export type ListQuery = z.output<typeof listQuery>;

/** A query parameter `a,b,c` where each is one of `values`. */
export function commaList(values: readonly string[], what: string) {
  const one = values.join("|");
  return z
    .string()
    .regex(new RegExp(`^(?:${one})(?:,(?:${one}))*$`), `comma-separated, each one of ${values.join(", ")}`)
    .optional()
    .openapi({ description: `${what}, comma-separated: ${values.join(", ")}` });
}

/** `{ data, nextCursor, total? }` around the item schema. */
export function pageOf<S extends z.ZodType>(item: S) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable(), total: z.number().int().optional() });
}

/** Turns the list query into repository options, allowing sorts only on `sortable` fields. */
export function listOptions<T extends AnyTable>(
  query: ListQuery,
  sortable: readonly string[],
  defaultSort: SortKey<T> | readonly SortKey<T>[],
): ListOptions<T> {
  const sort = query.sort
    ? query.sort.split(",").map((s) => s.trim())
    : typeof defaultSort === "string"
      ? [defaultSort]
      : [...defaultSort];
  for (const key of sort) {
    if (!sortable.includes(key.replace(/^-/, ""))) {
      throw new ValidationError([{ path: ["sort"], message: `cannot sort by "${key}"; use ${sortable.join(", ")}` }]);
    }
  }
  return { limit: query.limit, cursor: query.cursor, count: query.count, sort: sort as SortKey<T>[] };
}

/** Maps the rows of a page, keeping its cursor and total. */
export function mapPage<A, B>(page: Page<A>, map: (row: A) => B): Page<B> {
  return { ...page, data: page.data.map(map) };
}
