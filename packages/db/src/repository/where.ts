import {
  and,
  type Column,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  ne,
  not,
  notInArray,
  type SQL,
  sql,
} from "drizzle-orm";
import { ValidationError } from "../errors/errors.js";

/** Conditions on one column; several in one object all have to hold. */
export interface Condition<V> {
  eq?: V;
  ne?: V;
  lt?: V;
  lte?: V;
  gt?: V;
  gte?: V;
  in?: readonly V[];
  notIn?: readonly V[];
  /** A case-insensitive pattern on both dialects (`%` and `_` wildcards). */
  like?: string;
  /** Text columns: the value begins with exactly this text (case-sensitive; no wildcards). */
  startsWith?: string;
  /** `true`: the column is null; `false`: it is not. */
  isNull?: boolean;
  /** JSON array columns: the array holds this element. */
  contains?: V extends readonly (infer E)[] ? E : never;
}

/** A filter on a row's columns: a plain value means equality, `null` means "is null". */
export type Where<Row> = {
  [K in keyof Row]?: NonNullable<Row[K]> | null | Condition<NonNullable<Row[K]>>;
};

const OPERATORS = new Set([
  "eq",
  "ne",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "notIn",
  "like",
  "startsWith",
  "isNull",
  "contains",
]);

function isCondition(value: unknown): value is Condition<unknown> {
  if (value === null || typeof value !== "object" || value instanceof Date || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => OPERATORS.has(k));
}

/**
 * Compiles a `Where` into SQL with placeholders, so one prepared statement serves every call of
 * the same shape. `bind` registers a value and returns its placeholder.
 */
export interface WhereContext {
  columns: Record<string, Column>;
  /** Registers a value, encoded as the column stores it, and returns its placeholder. */
  bind: (column: Column, value: unknown) => SQL;
  /** Registers a value as it is (for values that are not whole column values) and returns its placeholder. */
  bindRaw: (value: unknown) => SQL;
  dialect: "sqlite" | "postgres";
  /** Properties of JSON columns, the only ones `contains` applies to. */
  jsonKeys: ReadonlySet<string>;
}

export function compileWhere(
  where: Record<string, unknown> | undefined,
  context: WhereContext,
  shape: string[],
): SQL[] {
  const { columns, bind } = context;
  if (!where) return [];
  const parts: SQL[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    const column = columns[key];
    if (!column) throw new ValidationError([{ path: ["where", key], message: `unknown column "${key}"` }]);
    if (value === null) {
      parts.push(isNull(column));
      shape.push(`${key}:null`);
      continue;
    }
    if (!isCondition(value)) {
      parts.push(eq(column, bind(column, value)));
      shape.push(`${key}:eq`);
      continue;
    }
    for (const [op, operand] of Object.entries(value)) {
      if (operand === undefined) continue;
      shape.push(`${key}:${op}${Array.isArray(operand) ? operand.length : ""}`);
      parts.push(compileOperator(key, column, op, operand, context));
    }
  }
  return parts;
}

function compileOperator(key: string, column: Column, op: string, operand: unknown, context: WhereContext): SQL {
  const { bind, bindRaw } = context;
  const invalid = (message: string) => new ValidationError([{ path: ["where", key, op], message }]);
  switch (op) {
    case "contains": {
      if (!context.jsonKeys.has(key)) throw invalid("contains applies to JSON array columns only");
      if (operand === null || typeof operand === "object") throw invalid("expected a string, number or boolean");
      // SQLite walks the array; PostgreSQL asks jsonb containment, which a GIN index can serve.
      return context.dialect === "sqlite"
        ? sql`exists (select 1 from json_each(${column}) where json_each.value = ${bindRaw(operand)})`
        : sql`${column} @> ${bindRaw(JSON.stringify([operand]))}::jsonb`;
    }
    case "isNull":
      if (typeof operand !== "boolean") throw invalid("expected true or false");
      return operand ? isNull(column) : isNotNull(column);
    case "in":
    case "notIn": {
      if (!Array.isArray(operand)) throw invalid("expected a list");
      if (operand.length === 0) return op === "in" ? sql`1 = 0` : sql`1 = 1`;
      const values = operand.map((v) => bind(column, v));
      return op === "in" ? inArray(column, values) : notInArray(column, values);
    }
    case "like":
      if (typeof operand !== "string") throw invalid("expected a string pattern");
      return sql`lower(${column}) like lower(${bind(column, operand)})`;
    case "startsWith":
      if (typeof operand !== "string") throw invalid("expected a string");
      // Both dialects count characters in substr, as Array.from does.
      return sql`substr(${column}, 1, ${bindRaw(Array.from(operand).length)}) = ${bind(column, operand)}`;
    default: {
      if (operand === null) throw invalid("null is only allowed as { isNull: true }");
      const placeholder = bind(column, operand);
      const compare = { eq, ne, lt, lte, gt, gte }[op as "eq"];
      return op === "ne" ? not(eq(column, placeholder)) : compare(column, placeholder);
    }
  }
}

export const allOf = (parts: SQL[]): SQL | undefined => (parts.length === 0 ? undefined : and(...parts));
