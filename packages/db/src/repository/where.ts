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
  not,
  notInArray,
  type SQL,
  sql,
} from "drizzle-orm";
import type { Dialect } from "../database/session.js";
import { ValidationError } from "../errors/errors.js";
import { storableIssues } from "../schema/storable.js";

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
  /** A case-insensitive pattern on both dialects: `%` and `_` are wildcards, `\` takes the next character literally (see `escapeLike`). */
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

const OPERATOR_LIST = [...OPERATORS].join(", ");

/** A plain object, as conditions are written (not a Date, an array or null). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !(value instanceof Date) && !Array.isArray(value);
}

function isCondition(value: unknown): value is Condition<unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => OPERATORS.has(k));
}

/**
 * A condition whose SQL is made only when its statement is first built. Its values are bound at
 * once (every call has its own), but a cached statement needs no SQL: Drizzle takes a few
 * microseconds per comparison, placeholder and `and` to make it, which a list page paid on every call.
 */
export type Deferred = () => SQL;

/**
 * The placeholder bound under `name`, its value already encoded by its column. It is wrapped in SQL
 * so Drizzle passes the value through untouched (it would encode `null` otherwise).
 */
export const placeholder = (name: string): SQL => sql`${sql.placeholder(name)}`;

/**
 * Compiles a `Where` into conditions with placeholders, so one prepared statement serves every call
 * of the same shape. `bind` registers a value and returns its placeholder's name.
 */
export interface WhereContext {
  columns: Record<string, Column>;
  /**
   * Registers a value, encoded as the column stores it, and returns its placeholder's name; a value
   * the column cannot hold is a ValidationError at `path`.
   */
  bind(column: Column, value: unknown, path: (string | number)[]): string;
  /** Registers a value as it is (for values that are not whole column values) and returns its placeholder's name. */
  bindRaw(value: unknown): string;
  dialect: "sqlite" | "postgres";
  /** Properties of JSON columns, the only ones `contains` applies to. */
  jsonKeys: ReadonlySet<string>;
  /** Properties of text, varchar and enum columns, the only ones `like` and `startsWith` apply to. */
  textKeys: ReadonlySet<string>;
}

export function compileWhere(
  where: Record<string, unknown> | undefined,
  context: WhereContext,
  shape: string[],
): Deferred[] {
  if (!where) return [];
  const columns = context.columns;
  const parts: Deferred[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    const column = columns[key];
    if (!column) throw new ValidationError([{ path: ["where", key], message: `unknown column "${key}"` }]);
    if (value === null) {
      parts.push(() => isNull(column));
      shape.push(`${key}:null`);
      continue;
    }
    // An object is conditions, except on a JSON column, where it may be a value to compare with.
    if (!isCondition(value) && !(isPlainObject(value) && !context.jsonKeys.has(key))) {
      const name = context.bind(column, value, ["where", key]);
      parts.push(() => eq(column, placeholder(name)));
      shape.push(`${key}:eq`);
      continue;
    }
    const operators = Object.entries(value);
    if (operators.length === 0) {
      throw new ValidationError([{ path: ["where", key], message: `give a value or conditions (${OPERATOR_LIST})` }]);
    }
    for (const [op, operand] of operators) {
      if (!OPERATORS.has(op)) {
        throw new ValidationError([
          { path: ["where", key, op], message: `not a known condition; conditions are ${OPERATOR_LIST}` },
        ]);
      }
      if (operand === undefined) continue;
      // isNull's operand decides the SQL itself; every other operand is bound.
      shape.push(`${key}:${op}${Array.isArray(operand) ? operand.length : op === "isNull" ? operand : ""}`);
      parts.push(compileOperator(key, column, op, operand, context));
    }
  }
  return parts;
}

function compileOperator(key: string, column: Column, op: string, operand: unknown, context: WhereContext): Deferred {
  const invalid = (message: string) => new ValidationError([{ path: ["where", key, op], message }]);
  switch (op) {
    case "contains": {
      if (!context.jsonKeys.has(key)) throw invalid("contains applies to JSON array columns only");
      if (operand === null || typeof operand === "object") throw invalid("expected a string, number or boolean");
      const [unstorable] = storableIssues(operand);
      if (unstorable) throw invalid(unstorable.message);
      // SQLite walks the array; PostgreSQL asks jsonb containment, which a GIN index can serve.
      // json_each walks an object's values too: only arrays hold elements, as jsonb's @> [x] has it.
      if (context.dialect === "sqlite") {
        const name = context.bindRaw(operand);
        return () =>
          sql`(json_type(${column}) = 'array' and exists (select 1 from json_each(${column}) where json_each.value = ${placeholder(name)}))`;
      }
      const name = context.bindRaw(JSON.stringify([operand]));
      return () => sql`${column} @> ${placeholder(name)}::jsonb`;
    }
    case "isNull":
      if (typeof operand !== "boolean") throw invalid("expected true or false");
      return operand ? () => isNull(column) : () => isNotNull(column);
    case "in":
    case "notIn": {
      if (!Array.isArray(operand)) throw invalid("expected a list");
      if (operand.length === 0) return op === "in" ? () => sql`1 = 0` : () => sql`1 = 1`;
      const names = operand.map((v, i) => context.bind(column, v, ["where", key, op, i]));
      const compare = op === "in" ? inArray : notInArray;
      return () => compare(column, names.map(placeholder));
    }
    case "like": {
      if (typeof operand !== "string") throw invalid("expected a string pattern");
      if (!context.textKeys.has(key)) throw invalid("like applies to text columns only");
      // PostgreSQL refuses a pattern that ends in its escape character; SQLite would match nothing.
      if (/(?:^|[^\\])(?:\\\\)*\\$/.test(operand))
        throw invalid("a pattern may not end with a lone \\ (escape it: \\\\)");
      const name = context.bind(column, operand, ["where", key, op]);
      return () => sql`lower(${column}) like lower(${placeholder(name)}) escape '\\'`;
    }
    case "startsWith": {
      if (typeof operand !== "string") throw invalid("expected a string");
      if (!context.textKeys.has(key)) throw invalid("startsWith applies to text columns only");
      // Both dialects count characters in substr, as Array.from does.
      const length = context.bindRaw(Array.from(operand).length);
      const name = context.bind(column, operand, ["where", key, op]);
      return () => sql`substr(${column}, 1, ${placeholder(length)}) = ${placeholder(name)}`;
    }
    default: {
      if (operand === null) throw invalid("null is only allowed as { isNull: true }");
      const name = context.bind(column, operand, ["where", key, op]);
      if (op === "ne") return () => not(eq(column, placeholder(name)));
      const compare = { eq, lt, lte, gt, gte }[op as "eq"];
      return () => compare(column, placeholder(name));
    }
  }
}

/** Text to match literally inside a `like` pattern: `%`, `_` and `\` escaped. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, "\\$&");

/**
 * A Date as a value of raw SQL, comparable with a timestamp column as the dialect stores it: epoch
 * milliseconds on SQLite, `timestamptz` on PostgreSQL.
 */
export function timestampValue(dialect: Dialect, time: Date): SQL {
  return dialect === "sqlite" ? sql`${time.getTime()}` : sql`${time.toISOString()}::timestamptz`;
}

export const allOf = (parts: SQL[]): SQL | undefined => (parts.length === 0 ? undefined : and(...parts));

/** Builds deferred conditions and joins them with AND; none gives `undefined`. */
export const buildAll = (parts: readonly Deferred[]): SQL | undefined => allOf(parts.map((part) => part()));
