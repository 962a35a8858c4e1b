import {
  asc,
  Column,
  count as countRows,
  desc,
  eq,
  fillPlaceholders,
  getTableColumns,
  is,
  isNotNull,
  isNull,
  or,
  Placeholder,
  SQL,
  sql,
  type Table,
} from "drizzle-orm";
import { type PgColumn, type PgDatabase, getTableConfig as pgTableConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig } from "drizzle-orm/sqlite-core";
import type { Dialect, Session } from "../database/session.js";
import { NotFoundError, ValidationError, VersionConflictError } from "../errors/errors.js";
import type { ColumnKind, ColumnMeta } from "../schema/columns.js";
import { storableIssues } from "../schema/storable.js";
import type { AnyTable, InsertOf, RowOf } from "../schema/table.js";
import { validationSchemas } from "../schema/validation.js";
import { searchExpression, searchInfoOf, searchParts, searchTerms } from "../search/text-search.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { dateFromTimestampText, isoString } from "./iso-string.js";
import { allOf, buildAll, compileWhere, type Deferred, placeholder, type Where, type WhereContext } from "./where.js";

export type { Condition, Where } from "./where.js";

type Row<T extends AnyTable> = RowOf<T>;
type ColumnKey<T extends AnyTable> = keyof Row<T> & string;

type PgColumnsOf<T extends AnyTable> = T["pg"]["_"]["columns"];
/** The property whose column is the primary key (never for a composite key, which is declared apart). */
type PrimaryKeyOf<T extends AnyTable> = {
  [K in keyof PgColumnsOf<T>]: PgColumnsOf<T>[K]["_"]["isPrimaryKey"] extends true ? K : never;
}[keyof PgColumnsOf<T>];

/** A primary key: the key column's value, or an object of the key's columns for a composite key. */
export type Key<T extends AnyTable> = [PrimaryKeyOf<T>] extends [never]
  ? Partial<Row<T>>
  : Row<T>[PrimaryKeyOf<T> & keyof Row<T>];

/** Update values: any insertable column but the key and `createdAt`; `updatedAt` and `version` are kept by the layer. */
export type Patch<T extends AnyTable> = Partial<Omit<InsertOf<T>, "id" | "createdAt" | "updatedAt" | "version">>;

/** The properties whose values are numbers, for `increment`. */
/** Integer columns a counter may live in: nullable ones too; never `version`, which concurrency control owns. */
export type NumericKey<T extends AnyTable> = Exclude<
  {
    [K in ColumnKey<T>]: NonNullable<Row<T>[K]> extends number ? K : never;
  }[ColumnKey<T>],
  "version"
>;

/** `"title"` sorts ascending, `"-createdAt"` descending. */
export type SortKey<T extends AnyTable> = ColumnKey<T> | `-${ColumnKey<T>}`;

/** Which soft-deleted rows a read sees: none (default), all, or only them. */
export type Deleted = "exclude" | "include" | "only";

export interface ReadOptions {
  deleted?: Deleted;
  /** PostgreSQL: lock the rows until the transaction ends (`FOR UPDATE`); SQLite transactions are exclusive already. */
  forUpdate?: boolean;
}

export interface ListOptions<T extends AnyTable> extends ReadOptions {
  where?: Where<Row<T>>;
  sort?: SortKey<T> | readonly SortKey<T>[];
  /** Rows per page; 50 by default. */
  limit?: number;
  /** From `nextCursor` of the previous page (keyset pagination). */
  cursor?: string | null;
  /** Rows to skip (offset pagination); not combined with `cursor`. */
  offset?: number;
  /** Also count every row the filter matches. */
  count?: boolean;
}

export interface Page<R> {
  data: R[];
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
  total?: number;
}

export interface SearchOptions<T extends AnyTable> extends Pick<ReadOptions, "deleted"> {
  /** Only rows that also match this filter. */
  where?: Where<Row<T>>;
  /** Most hits returned, best first; 50 by default. */
  limit?: number;
  /** About how many words each snippet holds; 24 by default. */
  snippetWords?: number;
}

/** A row that matched a search: how well (higher is better) and a passage around the words. */
export interface SearchHit<R> {
  row: R;
  rank: number;
  snippet: string;
}

/** Child rows to load with a row: those of `table` whose `foreignKey` holds the row's key. */
export interface Include<C extends AnyTable = AnyTable> {
  table: C;
  foreignKey: ColumnKey<C>;
  /** Their order; by key when not given. */
  sort?: SortKey<C> | readonly SortKey<C>[];
}

/** The row with each include's children under its name. */
export type WithIncluded<R, I extends Record<string, Include>> = R & { [K in keyof I]: RowOf<I[K]["table"]>[] };

/**
 * Values computed along with a row by `getWith`, such as a scalar subquery about a related row. Build
 * them once (a module constant), not per call: the statement is prepared once per extras object.
 * What changes per call goes in as `sql.placeholder(name)`, given in `values`.
 */
export type Extras = Record<string, SQL>;

/** What each extra holds: the type given to `sql<T>`, as the driver returns it. */
export type ExtrasOf<E extends Extras> = { [K in keyof E]: E[K] extends SQL<infer V> ? V : unknown };

export interface GetWithOptions<E extends Extras> extends Pick<ReadOptions, "deleted"> {
  extras?: E;
  /** The values of the extras' placeholders, by name. */
  values?: Record<string, unknown>;
}

export interface UpdateOptions {
  /** Fails with `VersionConflictError` unless the row is at this version. */
  expectedVersion?: number;
}

export interface UpsertOptions<T extends AnyTable> {
  /** The columns of the unique index that decides whether the row exists. */
  target: readonly ColumnKey<T>[];
  /** Columns to overwrite when it exists; every given column but the target and key by default. */
  update?: readonly ColumnKey<T>[];
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;
// SQLite allows 32,766 bound values per statement, PostgreSQL 65,535; stay well below both.
const MAX_BOUND_VALUES = 30_000;
const PREPARED_CACHE_LIMIT = 500;
const CACHED_INSERT_ROWS = 100;
/** Bulk insert statements kept (see `Shared.bulk`): a few, as one of 30,000 values takes 2.5 MB in SQLite. */
const BULK_STATEMENTS_KEPT = 4;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// biome-ignore lint/suspicious/noExplicitAny: prepared queries of either dialect, executed through `execute` below.
type Prepared = any;
type Values = Record<string, unknown>;
type Mode = "all" | "get" | "run";
/** The part of a postgres-js client the repository calls. */
interface PostgresClient {
  unsafe(
    text: string,
    params: unknown[],
    options: { prepare: boolean },
  ): Promise<unknown> & { values(): Promise<unknown[][]> };
}
/** The part of a PGlite client (the database or a transaction) the repository calls. */
interface PgliteClient {
  query(text: string, params: unknown[], options: { rowMode: "array" }): Promise<{ rows: unknown[][] }>;
}
/** A statement's SQL and parameters, to run on whichever connection the session holds. */
interface TextStatement {
  text: string;
  params: unknown[];
  select: boolean;
  /** Whether an insert's values can be bound by position (see InsertValues); decided on first use. */
  positional?: boolean;
}
const NOT_TAKEN = Symbol("not taken");
/** The shape of a read by key, by which rows it sees. */
const BY_KEY_SHAPES: Record<Deleted, string> = {
  exclude: "byKey|exclude",
  include: "byKey|include",
  only: "byKey|only",
};
const KEY_PLACEHOLDERS = Array.from({ length: 8 }, (_, i) => `k${i}`);
/** The placeholder name of key column `i`: `k0`, `k1`, … */
const keyPlaceholder = (i: number) => KEY_PLACEHOLDERS[i] ?? `k${i}`;
/** See `withPlan`. */
interface WithPlan {
  shape: string;
  children: { as: string; spec: Include }[];
  /** The includes' names, then the extras'. */
  fields: string[];
}
const NO_EXTRAS: Extras = {};
interface RowStatement {
  statement: import("better-sqlite3").Statement;
  params: unknown[];
  select: boolean;
  positional?: boolean;
}

/** How rows that bind the same columns are inserted: those columns, and how many rows fit a statement. */
interface InsertPlan {
  keys: string[];
  columns: Column[];
  rowsPerStatement: number;
  /**
   * Where each column of the stored row comes from, in `decoders` order: the index in `keys` of the
   * value bound for it, or the driver value the database gives a column left out (its constant
   * default, else null). Undefined when the database computes a value of its own (an SQL default, a
   * generated column, a key it assigns): such rows are read back.
   */
  stored?: (number | { value: unknown })[];
}

/** What a repository needs of its table, worked out once per table and dialect, not per session. */
interface TableInfo {
  // Typed as PostgreSQL columns because queries are built with the PostgreSQL-typed builder; at run
  // time they are the columns of the session's dialect, and the builder API is the same.
  columns: Record<string, PgColumn>;
  /** Each column's property and decoder, in the order a whole-row select or `returning()` lists them. */
  decoders: [string, Column][];
  /** A row from the driver's array of its values, in `decoders` order. */
  rowOf: (raw: unknown[]) => Values;
  /** A row from the values bound for it, in `decoders` order (see `InsertPlan.stored`). */
  boundRowOf: (raw: unknown[]) => Values;
  /** Per column, in `decoders` order: what fills it in on insert when no value is given. */
  defaults: ((() => unknown) | undefined)[];
  keyColumns: string[];
  /** Properties of the JSON columns. */
  jsonKeys: Set<string>;
  /** Properties of the text, varchar and enum columns. */
  textKeys: Set<string>;
  /** `getWith` plans, by include object, extras object and `deleted`. */
  withPlans: WeakMap<object, WeakMap<Extras, Partial<Record<Deleted, WithPlan>>>>;
  /** Insert plans, by the columns a row binds, joined with commas. */
  insertPlans: Map<string, InsertPlan>;
  /** Sort plans, by the `sort` option's keys joined with NULs ("" for none). */
  sortPlans: Map<string, SortPlan>;
}

/** One key of a list's order. */
interface OrderKey {
  key: string;
  descending: boolean;
  nullable: boolean;
}

/** A list's order: its keys, the table's key last, and their signature as cursors carry it. */
interface SortPlan {
  sort: readonly OrderKey[];
  signature: string;
}

/** The value of one column of a composite key; undefined when the key is not an object at all. */
const partOfKey = (key: unknown, name: string): unknown =>
  key !== null && typeof key === "object" ? (key as Values)[name] : undefined;

/** The bound LIMIT of a PostgreSQL select. */
const limitPlaceholder: Deferred = () => placeholder("limit");

const NO_SORT: SortPlan = { sort: [], signature: "" };
const tableInfo = new WeakMap<Table, TableInfo>();

const tableOf = (definition: AnyTable, dialect: Dialect) =>
  (dialect === "sqlite" ? definition.sqlite : definition.pg) as unknown as Table;

/** What a repository needs of `definition`'s table in `dialect`, worked out the first time it is asked. */
function infoOf(definition: AnyTable, dialect: Dialect): TableInfo {
  const table = tableOf(definition, dialect);
  let info = tableInfo.get(table);
  if (!info) {
    info = describe(definition, table);
    tableInfo.set(table, info);
  }
  return info;
}

/**
 * A row of `definition` from the values PostgreSQL's drivers give for it, as the layer sets them up
 * (timestamps as text, JSON parsed), in the order of its columns (`getTableColumns(definition.pg)`):
 * the row the layer reads, to be written to either dialect.
 */
export function rowFromPostgres<T extends AnyTable>(definition: T, raw: unknown[]): Row<T> {
  return infoOf(definition, "postgres").rowOf(raw) as Row<T>;
}

/**
 * Columns of kind uuid, in either dialect: their values must be UUIDs (as keys and in filters) and are
 * bound in lower case, as PostgreSQL stores them.
 */
const uuidColumns = new WeakSet<Column>();

/** An application-side default of a column ($defaultFn, else $onUpdateFn), if it has one. */
function defaultOf(column: Column): (() => unknown) | undefined {
  const runtime = column as Column & { defaultFn?: () => unknown; onUpdateFn?: () => unknown };
  const fill = runtime.defaultFn ?? runtime.onUpdateFn;
  return fill && (() => fill.call(column));
}

/** Timestamps come as text (see `openDatabase`), which Drizzle reads with `new Date`: wrong before the year 1000. */
const PG_TIMESTAMP_DECODER = {
  mapFromDriverValue: (value: unknown) =>
    typeof value === "string" ? dateFromTimestampText(value) : new Date(value as number),
};

/**
 * PostgreSQL JSON columns. Both drivers parse json and jsonb as they read them, where Drizzle's column
 * would parse a string it is given once more: the JSON string "123" would come back as the number 123.
 * Read, their values are taken as they come; bound, they are JSON text, which the column parses.
 */
const isPostgresJson = (column: Column) => column.columnType === "PgJsonb" || column.columnType === "PgJson";

/**
 * The function that makes a row from an array of its driver values (as read, or as `bound` for an
 * insert), written out for the table's columns as one object literal: every row of the table gets
 * the same shape at once, and only the columns that convert their values (JSON, timestamps, …) call
 * their column. Setting the properties one at a time in a loop, each through its column, took twice
 * as long: 2 µs a row of 17 columns.
 */
function rowMaker(decoders: [string, Column][], bound: boolean): (raw: unknown[]) => Values {
  const converting = decoders.map(([, column]) =>
    column.columnType === "PgTimestamp"
      ? PG_TIMESTAMP_DECODER
      : column.mapFromDriverValue === Column.prototype.mapFromDriverValue || (!bound && isPostgresJson(column))
        ? undefined
        : column,
  );
  const fields = decoders.map(([key], i) => {
    const value = `raw[${i}]`;
    const read = converting[i] ? `${value} == null ? null : c[${i}].mapFromDriverValue(${value})` : `${value} ?? null`;
    // Written as a computed key, "__proto__" is a property like any other rather than the prototype.
    const name = key === "__proto__" ? `["__proto__"]` : JSON.stringify(key);
    return `${name}: ${read}`;
  });
  return new Function("c", `return (raw) => ({ ${fields.join(", ")} });`)(converting);
}

/** Properties of the table's columns of these kinds. */
function keysOfKind(definition: AnyTable, kinds: ColumnKind[]): Set<string> {
  return new Set(
    Object.entries(definition.info.columns)
      .filter(([, c]) => kinds.includes(c.kind))
      .map(([key]) => key),
  );
}

function describe(definition: AnyTable, table: Table): TableInfo {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const decoders: [string, Column][] = Object.entries(columns);
  for (const [key, column] of decoders) if (definition.info.columns[key]?.kind === "uuid") uuidColumns.add(column);
  return {
    columns,
    decoders,
    rowOf: rowMaker(decoders, false),
    boundRowOf: rowMaker(decoders, true),
    defaults: decoders.map(([, column]) => defaultOf(column)),
    insertPlans: new Map(),
    sortPlans: new Map(),
    keyColumns: [...definition.info.primaryKey],
    jsonKeys: keysOfKind(definition, ["json"]),
    textKeys: keysOfKind(definition, ["text", "varchar", "enum"]),
    withPlans: new WeakMap(),
  };
}

/**
 * The typed repository of one table. Every statement is built once per query shape and kept as a
 * prepared statement, so a repeated `get`, `list` or `create` skips query building.
 */
export class Repository<T extends AnyTable> {
  private readonly table: Table;
  private readonly name: string;
  /** Shared by every repository of the table in the session's dialect. */
  private readonly info: TableInfo;

  constructor(
    private readonly session: Session,
    private readonly definition: T,
  ) {
    this.table = tableOf(definition, session.dialect);
    this.name = definition.name;
    this.info = infoOf(definition, session.dialect);
  }

  // ---------------------------------------------------------------- reads

  /** The row with this key; `NotFoundError` when there is none. */
  get(key: Key<T>, options: ReadOptions = {}): Promise<Row<T>> {
    return settle(
      () => this.first(key, options),
      (row) => {
        if (!row) throw new NotFoundError(this.name, key);
        return row;
      },
    );
  }

  /** The row with this key, or the first row matching `where`; `null` when there is none. */
  async find(keyOrWhere: Key<T> | Where<Row<T>>, options: ReadOptions = {}): Promise<Row<T> | null> {
    return (await this.first(keyOrWhere, options)) ?? null;
  }

  /** What `get` and `find` read: by key through the key's own statement, unless the row is to be locked. */
  private first(keyOrWhere: Key<T> | Where<Row<T>>, options: ReadOptions): Promise<Row<T> | undefined> {
    if (!options.forUpdate && this.isKey(keyOrWhere)) return this.findByKey(keyOrWhere, options.deleted ?? "exclude");
    const where = this.isKey(keyOrWhere) ? this.keyWhere(keyOrWhere) : (keyOrWhere as Where<Row<T>>);
    return this.select({ ...options, where, limit: 1 }, false).then(({ rows }) => rows[0]);
  }

  /** A page of rows: filtered, sorted, by cursor or offset, optionally with the total count. */
  async list(options: ListOptions<T> = {}): Promise<Page<Row<T>>> {
    const { rows, hasMore, cursorOf } = await this.select(options, true);
    const page: Page<Row<T>> = { data: rows, nextCursor: hasMore && cursorOf ? cursorOf(rows[rows.length - 1]) : null };
    if (options.count) page.total = await this.count(options.where, options);
    return page;
  }

  async count(where?: Where<Row<T>>, options: Pick<ReadOptions, "deleted"> = {}): Promise<number> {
    const values: Values = {};
    const shape: string[] = ["count", options.deleted ?? ""];
    const filter = this.filter(where, options.deleted, values, shape);
    const row = await this.execute<{ count: number | string }>(
      shape.join("|"),
      (db) => db.select({ count: countRows() }).from(this.table).where(buildAll(filter)),
      values,
      "get",
    );
    return Number(row?.count ?? 0);
  }

  async exists(keyOrWhere: Key<T> | Where<Row<T>>, options: Pick<ReadOptions, "deleted"> = {}): Promise<boolean> {
    if (!this.isKey(keyOrWhere)) return (await this.find(keyOrWhere, options)) !== null;
    // Asked on every authenticated request: a constant, not the row, so no column is read or converted.
    const deleted = options.deleted ?? "exclude";
    const row = await this.execute<unknown>(
      `existsByKey|${deleted}`,
      (db) =>
        db
          .select({ found: sql`1` })
          .from(this.table)
          .where(this.keyMatch(deleted))
          .limit(sql.raw("1") as unknown as number),
      this.keyValues(keyOrWhere),
      "get",
    );
    return row !== undefined && row !== null;
  }

  /**
   * Full-text search over the table's `searchIndex`: rows holding every word of `text` (as a word
   * or the start of one), best first. Any text is a valid query; one without words finds nothing.
   */
  async search(text: string, options: SearchOptions<T> = {}): Promise<SearchHit<Row<T>>[]> {
    const search = searchInfoOf(this.definition);
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new ValidationError([{ path: ["limit"], message: `must be a whole number from 1 to ${MAX_LIMIT}` }]);
    }
    const terms = searchTerms(text);
    if (terms.length === 0) return [];
    const dialect = this.session.dialect;
    const bound: Values = { query: searchExpression(dialect, terms) };
    const shape = ["search", options.deleted ?? "", String(options.snippetWords ?? "")];
    const limitSql = this.limitOf(limit, bound, shape);
    const filter = this.filter(options.where, options.deleted, bound, shape);
    const parts = searchParts(dialect, this.name, search, placeholder("query"), options);
    const rank = sql<number>`${parts.rank}`.mapWith(Number);
    return this.execute<SearchHit<Row<T>>[]>(
      shape.join("|"),
      (db) => {
        let query = db
          .select({ row: this.table as never, rank, snippet: sql<string>`${parts.snippet}` })
          .from(this.table)
          .$dynamic();
        if (parts.join) query = query.innerJoin(parts.join.table, parts.join.on);
        return query
          .where(allOf([parts.match, ...filter.map((part) => part())]))
          .orderBy(desc(parts.rank), ...this.info.keyColumns.map((key) => asc(this.columnOf(key))))
          .limit(limitSql() as unknown as number);
      },
      bound,
      "all",
    );
  }

  // ---------------------------------------------------------------- writes

  /** Inserts one row (validated, ids and timestamps filled in) and returns it as stored. */
  async create(values: InsertOf<T>): Promise<Row<T>> {
    const row = this.prepareInsert(this.validate("insert", values));
    return this.insertRows([row]).then((rows) => rows[0] as Row<T>);
  }

  /**
   * Inserts one row inside a transaction without waiting for it, for rows nobody reads back, such as
   * an audit trail: validated at once (a `ValidationError` is thrown here), then sent. The
   * transaction waits for it and fails with its error if it fails, so the row commits with the rest
   * or nothing does. On PostgreSQL (postgres-js) it travels with the statements after it, the
   * COMMIT among them: one round trip fewer than `create`.
   */
  createPipelined(values: InsertOf<T>): void {
    const row = this.prepareInsert(this.validate("insert", values));
    this.session.pipeline(() => this.insertRows([row], undefined, false));
  }

  /** Inserts many rows in one transaction, in as few statements as the drivers allow. */
  async createMany(values: readonly InsertOf<T>[]): Promise<Row<T>[]> {
    if (!Array.isArray(values)) throw new ValidationError([{ path: [], message: "createMany takes an array of rows" }]);
    if (values.length === 0) return [];
    const rows = values.map((v, i) => this.prepareInsert(this.validate("insert", v, i)));
    const groups = this.insertGroups(rows);
    // One statement is atomic on its own; several need a transaction to stand or fall together.
    if (this.statementsFor(groups) === 1) return this.insertRows(rows, groups);
    return this.session.transaction(async (tx) => tx.repo(this.definition).insertRows(rows, groups));
  }

  /** Changes some columns of one row and returns it; bumps `version` and `updatedAt` where the table has them. */
  async update(key: Key<T>, patch: Patch<T>, options: UpdateOptions = {}): Promise<Row<T>> {
    const changes = this.validate("update", patch) as Values;
    const info = this.definition.info;
    const values: Values = {};
    const shape: string[] = ["update", String(options.expectedVersion !== undefined)];
    // Values are bound now, the SET and WHERE made only when the statement is first built.
    const keys: string[] = [];
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || this.info.keyColumns.includes(k) || k === "createdAt" || k === "version") continue;
      values[`s_${k}`] = encode(this.columnOf(k), v);
      keys.push(k);
      shape.push(k);
    }
    const touch = info.timestamps.updatedAt;
    if (touch) values.s_updatedAt = encode(this.columnOf("updatedAt"), new Date());
    if (keys.length === 0) {
      // Nothing to change is no edit: version and updatedAt stay, so nobody else's If-Match fails.
      const current = await this.find(key);
      if (
        current &&
        (options.expectedVersion === undefined || (current as Values).version === options.expectedVersion)
      ) {
        return current;
      }
      return this.explainMiss(key, options.expectedVersion);
    }
    const set = () => {
      const set: Record<string, SQL> = {};
      for (const k of keys) set[k] = placeholder(`s_${k}`);
      if (touch) set.updatedAt = placeholder("s_updatedAt");
      if (info.versioned) set.version = sql`${this.columnOf("version")} + 1`;
      return set;
    };

    const conditions = [this.keyCondition(key, values, shape)];
    if (info.softDelete) conditions.push(() => isNull(this.columnOf("deletedAt")));
    if (options.expectedVersion !== undefined) conditions.push(this.versionIs(options.expectedVersion, values));
    const row = await this.execute<Row<T>>(
      shape.join("|"),
      (db) => db.update(this.table).set(set()).where(buildAll(conditions)).returning(),
      values,
      "get",
      true,
      true,
    );
    if (row) return row;
    return this.explainMiss(key, options.expectedVersion);
  }

  /**
   * Adds `by` to an integer column of one row atomically and returns the new value: a counter, such
   * as a per-project sequence. Concurrent calls never see the same value. It is bookkeeping, not an
   * edit: `version` and `updatedAt` stay as they are.
   */
  async increment(key: Key<T>, column: NumericKey<T>, by = 1): Promise<number> {
    const info = this.definition.info.columns[column];
    if (
      !info ||
      (info.kind !== "integer" && info.kind !== "bigint") ||
      column === "version" ||
      !Number.isSafeInteger(by)
    ) {
      throw new ValidationError([{ path: [column], message: "increment takes an integer column and a whole number" }]);
    }
    const values: Values = { by };
    const shape = ["increment", column];
    const conditions = [this.keyCondition(key, values, shape)];
    if (this.definition.info.softDelete) conditions.push(() => isNull(this.columnOf("deletedAt")));
    const target = this.columnOf(column);
    const set = () => {
      // A null counter counts from 0, as the value returned says.
      const set: Record<string, SQL> = { [column]: sql`coalesce(${target}, 0) + ${placeholder("by")}` };
      // Drizzle fills `$onUpdate` columns in any update that leaves them out: keep updatedAt as it is.
      if (this.definition.info.timestamps.updatedAt) set.updatedAt = sql`${this.columnOf("updatedAt")}`;
      return set;
    };
    const row = await this.execute<Values>(
      shape.join("|"),
      (db) => db.update(this.table).set(set()).where(buildAll(conditions)).returning({ value: target }),
      values,
      "get",
    );
    if (!row) throw new NotFoundError(this.name, key);
    return Number(row.value);
  }

  /** Inserts the row, or updates the existing one that has the same `target` columns; returns it. */
  async upsert(values: InsertOf<T>, options: UpsertOptions<T>): Promise<Row<T>> {
    const row = this.prepareInsert(this.validate("insert", values));
    const { columns: target, where: targetWhere } = this.conflictTarget(options.target);
    const protectedKeys = new Set<string>([...options.target, ...this.info.keyColumns, "createdAt"]);
    const updateKeys = (options.update ?? Object.keys(row)).filter((k) => !protectedKeys.has(k));
    const set: Record<string, SQL> = {};
    for (const k of updateKeys) set[k] = sql.raw(`excluded.${quote(this.columnOf(k).name)}`);
    if (this.definition.info.timestamps.updatedAt)
      set.updatedAt = sql.raw(`excluded.${quote(this.columnOf("updatedAt").name)}`);
    if (this.definition.info.versioned) set.version = sql`${this.columnOf("version")} + 1`;
    const bound: Values = {};
    const names = this.bindValues(bound, row, "");
    const shape = ["upsert", Object.keys(row).join(","), options.target.join(","), updateKeys.join(",")].join("|");
    const result = await this.execute<Row<T>>(
      shape,
      (db) => {
        const insert = db.insert(this.table).values(placeholders(names));
        return (
          Object.keys(set).length > 0
            ? insert.onConflictDoUpdate({ target, targetWhere, set })
            : insert.onConflictDoUpdate({
                target,
                targetWhere,
                set: { [options.target[0] as string]: sql.raw(`excluded.${quote(target[0]?.name ?? "")}`) },
              })
        ).returning();
      },
      bound,
      "get",
      true,
      true,
    );
    return result as Row<T>;
  }

  /**
   * Deletes one row. Where the table has `deletedAt` the row is only marked deleted (and can be
   * restored); `purge` removes it for good.
   */
  async delete(key: Key<T>, options: UpdateOptions = {}): Promise<void> {
    if (!this.definition.info.softDelete) return this.purge(key, options);
    const values: Values = {};
    const shape = ["softDelete", String(options.expectedVersion !== undefined)];
    const deletedAt = this.columnOf("deletedAt");
    values.s_deletedAt = encode(deletedAt, new Date());
    const set = () => {
      const set: Record<string, SQL> = { deletedAt: placeholder("s_deletedAt") };
      if (this.definition.info.versioned) set.version = sql`${this.columnOf("version")} + 1`;
      return set;
    };
    const conditions = [this.keyCondition(key, values, shape), () => isNull(deletedAt)];
    if (options.expectedVersion !== undefined) conditions.push(this.versionIs(options.expectedVersion, values));
    const row = await this.execute(
      shape.join("|"),
      (db) => db.update(this.table).set(set()).where(buildAll(conditions)).returning(this.keySelection()),
      values,
      "get",
    );
    if (!row) await this.explainMiss(key, options.expectedVersion);
  }

  /** Removes one row for good (cascades as the schema says); `NotFoundError` when there is none. */
  async purge(key: Key<T>, options: UpdateOptions = {}): Promise<void> {
    const values: Values = {};
    const shape = ["purge", String(options.expectedVersion !== undefined)];
    const conditions = [this.keyCondition(key, values, shape)];
    if (options.expectedVersion !== undefined) conditions.push(this.versionIs(options.expectedVersion, values));
    const row = await this.execute(
      shape.join("|"),
      (db) => db.delete(this.table).where(buildAll(conditions)).returning(this.keySelection()),
      values,
      "get",
    );
    if (!row) await this.explainMiss(key, options.expectedVersion, "include");
  }

  /** Brings back a soft-deleted row and returns it; `NotFoundError` when no deleted row has this key. */
  async restore(key: Key<T>): Promise<Row<T>> {
    if (!this.definition.info.softDelete) throw new NotFoundError(this.name, key);
    const values: Values = {};
    const shape = ["restore"];
    const deletedAt = this.columnOf("deletedAt");
    const { timestamps, versioned } = this.definition.info;
    if (timestamps.updatedAt) values.s_updatedAt = encode(this.columnOf("updatedAt"), new Date());
    const set = () => {
      const set: Record<string, SQL> = { deletedAt: sql`null` };
      if (timestamps.updatedAt) set.updatedAt = placeholder("s_updatedAt");
      if (versioned) set.version = sql`${this.columnOf("version")} + 1`;
      return set;
    };
    const conditions = [this.keyCondition(key, values, shape), () => isNotNull(deletedAt)];
    const row = await this.execute<Row<T>>(
      shape.join("|"),
      (db) => db.update(this.table).set(set()).where(buildAll(conditions)).returning(),
      values,
      "get",
      true,
      true,
    );
    if (!row) throw new NotFoundError(this.name, key);
    return row;
  }

  // ---------------------------------------------------------------- internals

  /** Rows with the same columns, by those columns, each group in input order. */
  private insertGroups(rows: Values[]): Map<string, number[]> {
    const groups = new Map<string, number[]>();
    // Rows mostly bind what the row before them binds: comparing the keys costs a tenth of joining
    // them into a signature and looking that up.
    let previous: string[] | undefined;
    let group: number[] = [];
    rows.forEach((row, i) => {
      const keys = Object.keys(row);
      if (previous === undefined || !sameKeys(keys, previous)) {
        const signature = keys.join(",");
        const known = groups.get(signature);
        group = known ?? [];
        if (!known) groups.set(signature, group);
        previous = keys;
      }
      group.push(i);
    });
    return groups;
  }

  /** The insert plan of rows that bind the columns of `signature`, made once per table. */
  private insertPlan(signature: string): InsertPlan {
    let plan = this.info.insertPlans.get(signature);
    if (!plan) {
      const keys = signature.split(",");
      plan = {
        keys,
        columns: keys.map((key) => this.columnOf(key)),
        // Drizzle binds on SQLite the constant default of every column a row leaves out, not only the
        // values given: a row may take as many parameters as the table has columns.
        rowsPerStatement: Math.max(1, Math.floor(MAX_BOUND_VALUES / this.info.decoders.length)),
        stored: this.storedFrom(keys),
      };
      remember(this.info.insertPlans, signature, plan);
    }
    return plan;
  }

  /** See `InsertPlan.stored`. */
  private storedFrom(keys: string[]): InsertPlan["stored"] {
    const stored: (number | { value: unknown })[] = [];
    for (const [key, column] of this.info.decoders) {
      const bound = keys.indexOf(key);
      if (bound >= 0) {
        stored.push(bound);
        continue;
      }
      const computed = column as Column & { generated?: unknown; generatedIdentity?: unknown };
      if (column.primary || computed.generated || computed.generatedIdentity) return undefined;
      if (!column.hasDefault) stored.push({ value: null });
      else if (column.default === undefined || is(column.default, SQL)) return undefined;
      else stored.push({ value: encode(column, column.default) });
    }
    return stored;
  }

  /**
   * The unique index (or primary key) whose columns are `keys`, as ON CONFLICT names it: with the
   * index's condition when it is partial (`where deleted_at is null`), which ON CONFLICT must repeat
   * to use it. No such index is a ValidationError: the database could not tell which row exists.
   */
  private conflictTarget(keys: readonly string[]): { columns: PgColumn[]; where?: SQL } {
    const columns = keys.map((k) => this.columnOf(k));
    const names = columns
      .map((c) => c.name)
      .sort()
      .join(",");
    type Named = readonly { name?: string }[];
    const config: {
      uniqueConstraints: { columns: Named }[];
      indexes: { config: { unique: boolean; columns: unknown[]; where?: SQL } }[];
    } = this.session.dialect === "sqlite" ? sqliteTableConfig(this.table as never) : pgTableConfig(this.table as never);
    const sameColumns = (list: Named) =>
      list
        .map((c) => c.name)
        .sort()
        .join(",") === names;
    const keyNames = this.info.keyColumns.map((k) => this.columnOf(k).name);
    if (sameColumns(keyNames.map((name) => ({ name })))) return { columns };
    if (config.uniqueConstraints.some((u) => sameColumns(u.columns))) return { columns };
    if (columns.length === 1 && columns[0]?.isUnique) return { columns };
    const index = config.indexes.find((i) => i.config.unique && sameColumns(i.config.columns as Named));
    if (!index) {
      throw new ValidationError([
        { path: ["target"], message: `no unique index of ${this.name} has exactly the columns ${keys.join(", ")}` },
      ]);
    }
    return { columns, where: index.config.where };
  }

  /** How many insert statements `insertRows` takes for these groups of rows. */
  private statementsFor(groups: Map<string, number[]>): number {
    let statements = 0;
    for (const [signature, indexes] of groups) {
      statements += Math.ceil(indexes.length / this.insertPlan(signature).rowsPerStatement);
    }
    return statements;
  }

  /**
   * @internal Inserts rows already validated and completed by `prepareInsert`, chunked by bound-value
   * limits, and returns them as stored; without `returning`, asks for nothing back and returns no rows.
   */
  async insertRows(rows: Values[], groups = this.insertGroups(rows), returning = true): Promise<Row<T>[]> {
    const result: Row<T>[] = new Array(returning ? rows.length : 0);
    // Rows with the same columns go in one statement; the result keeps the input order.
    for (const [signature, indexes] of groups) {
      const { keys, columns, rowsPerStatement, stored } = this.insertPlan(signature);
      // Where the database adds nothing of its own, the stored rows are the values sent, decoded as
      // a read decodes them: the server need not send them back, nor the driver parse them.
      const readBack = returning && !stored;
      for (let start = 0; start < indexes.length; start += rowsPerStatement) {
        const chunk = indexes.slice(start, start + rowsPerStatement);
        const values = new InsertValues(
          chunk.map((index) => rows[index] as Values),
          keys,
          columns,
        );
        const inserted = await this.execute<Row<T>[]>(
          `insert|${signature}|${chunk.length}${readBack ? "" : "|bare"}`,
          // The placeholders are made only when the statement is built, not on every call.
          (db) => {
            const insert = db.insert(this.table).values(values.placeholders());
            return readBack ? insert.returning() : insert;
          },
          values,
          readBack ? "all" : "run",
          // Bulk statements vary in size and are large: keeping each would crowd out the hot ones.
          chunk.length <= CACHED_INSERT_ROWS,
          true,
        );
        if (!returning) continue;
        chunk.forEach((index, n) => {
          result[index] = (stored ? this.info.boundRowOf(values.stored(n, stored)) : inserted[n]) as Row<T>;
        });
      }
    }
    return result;
  }

  private validate(kind: "insert" | "update", values: unknown, index?: number): Values {
    const schema = validationSchemas(this.definition)[kind];
    const parsed = schema.safeParse(values);
    if (!parsed.success) {
      const error = ValidationError.fromZod(parsed.error, this.name);
      if (index === undefined) throw error;
      throw new ValidationError(
        error.issues.map((issue) => ({ ...issue, path: [index, ...issue.path] })),
        this.name,
      );
    }
    // What the schema allows but the two dialects would not store alike is refused at its column.
    const unstorable = storableIssues(parsed.data);
    if (unstorable.length > 0) {
      const at = (path: (string | number)[]) => (index === undefined ? path : [index, ...path]);
      throw new ValidationError(
        unstorable.map(({ path, message }) => ({ path: at(path), message })),
        this.name,
      );
    }
    return parsed.data as Values;
  }

  /** Fills in application-side defaults (ids, timestamps) so every insert of a shape binds the same columns. */
  private prepareInsert(values: Values): Values {
    const row: Values = {};
    const { decoders, defaults } = this.info;
    for (let i = 0; i < decoders.length; i++) {
      const key = (decoders[i] as [string, Column])[0];
      let value = values[key];
      if (value === undefined) value = defaults[i]?.();
      if (value !== undefined) row[key] = value;
    }
    // A new row was created and last updated at the same instant, even when the clock ticked between
    // the two defaults.
    const { timestamps } = this.definition.info;
    if (
      timestamps.createdAt &&
      timestamps.updatedAt &&
      values.updatedAt === undefined &&
      row.createdAt instanceof Date
    ) {
      row.updatedAt = row.createdAt;
    }
    return row;
  }

  /** Registers a row's values, encoded by their columns; returns each property's placeholder name. */
  private bindValues(bound: Values, row: Values, prefix: string): Record<string, string> {
    const names: Record<string, string> = {};
    for (const key in row) {
      const name = `${prefix}${key}`;
      bound[name] = encode(this.columnOf(key), row[key]);
      names[key] = name;
    }
    return names;
  }

  private whereContext(bound: Values): WhereContext {
    const { columns, jsonKeys, textKeys } = this.info;
    return new WhereBinder(bound, columns, this.session.dialect, jsonKeys, textKeys);
  }

  /** The conditions of a read: `where`, and which soft-deleted rows it sees. Values are bound now, SQL made on demand. */
  private filter(
    where: Where<Row<T>> | undefined,
    deleted: Deleted | undefined,
    bound: Values,
    shape: string[],
  ): Deferred[] {
    const parts = compileWhere(where as Values | undefined, this.whereContext(bound), shape);
    if (this.definition.info.softDelete) {
      const mode = deleted ?? "exclude";
      if (mode === "exclude") parts.push(() => isNull(this.columnOf("deletedAt")));
      if (mode === "only") parts.push(() => isNotNull(this.columnOf("deletedAt")));
    }
    return parts;
  }

  private async select(options: ListOptions<T>, paginate: boolean) {
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new ValidationError([{ path: ["limit"], message: `must be a whole number from 1 to ${MAX_LIMIT}` }]);
    }
    if (options.offset !== undefined && (!Number.isInteger(options.offset) || options.offset < 0)) {
      throw new ValidationError([{ path: ["offset"], message: "must be a whole number, 0 or more" }]);
    }
    const bound: Values = {};
    const shape: string[] = ["select", options.deleted ?? "", String(options.forUpdate ?? false)];
    const conditions = this.filter(options.where, options.deleted, bound, shape);

    const { sort, signature } = paginate ? this.sortPlan(options.sort) : NO_SORT;
    shape.push(`sort:${signature}`);
    if (paginate && options.cursor) {
      if (options.offset !== undefined) {
        throw new ValidationError([{ path: ["cursor"], message: "use either cursor or offset, not both" }]);
      }
      const after = decodeCursor(options.cursor, signature, sort.length);
      for (const [i, s] of sort.entries()) this.assertCursorValue(s.key, after[i]);
      conditions.push(this.keyset(sort, after, bound, shape));
    }
    const fetch = paginate ? limit + 1 : limit;
    const limitSql = this.limitOf(fetch, bound, shape);
    if (options.offset !== undefined) bound.offset = options.offset;
    shape.push(`offset:${options.offset !== undefined}`);

    const rows = await this.execute<Row<T>[]>(
      shape.join("|"),
      (db) => {
        let query = db
          .select()
          .from(this.table)
          .where(buildAll(conditions))
          .orderBy(...sort.map((s) => this.orderBy(s)))
          .limit(limitSql() as unknown as number)
          .$dynamic();
        if (options.offset !== undefined) query = query.offset(sql.placeholder("offset") as unknown as number);
        if (options.forUpdate && this.session.dialect === "postgres") query = query.for("update");
        return query;
      },
      bound,
      "all",
      true,
      true,
    );
    const hasMore = paginate && rows.length > limit;
    if (hasMore) rows.length = limit;
    const cursorOf =
      paginate && options.offset === undefined
        ? (row: Row<T> | undefined) =>
            encodeCursor({ sort: signature, values: sort.map((s) => (row as Values)[s.key] ?? null) })
        : undefined;
    return { rows, hasMore, cursorOf };
  }

  /** The order of a `sort` option, worked out once per table and option (sorts are few; see `remember`). */
  private sortPlan(sort: ListOptions<T>["sort"]): SortPlan {
    const name = sort === undefined ? "" : typeof sort === "string" ? sort : sort.join("\u0000");
    let plan = this.info.sortPlans.get(name);
    if (!plan) {
      const spec = this.sortSpec(sort);
      plan = { sort: spec, signature: spec.map((s) => (s.descending ? `-${s.key}` : s.key)).join(",") };
      remember(this.info.sortPlans, name, plan);
    }
    return plan;
  }

  private sortSpec(sort: ListOptions<T>["sort"]): OrderKey[] {
    const keys = sort === undefined ? [] : typeof sort === "string" ? [sort] : [...sort];
    const spec = keys.map((raw) => {
      const descending = raw.startsWith("-");
      const key = descending ? raw.slice(1) : raw;
      const info = this.definition.info.columns[key];
      if (!info || info.kind === "json") {
        throw new ValidationError([{ path: ["sort"], message: `cannot sort by "${key}"` }]);
      }
      return { key, descending, nullable: !info.notNull };
    });
    // The key breaks ties, so every row has exactly one place in the order and cursors never skip or
    // repeat. It follows the first sort's direction: UUIDv7 keys grow with time, so "newest first" stays so.
    const descending = spec[0]?.descending ?? false;
    for (const key of this.info.keyColumns) {
      if (!spec.some((s) => s.key === key)) spec.push({ key, descending, nullable: false });
    }
    return spec;
  }

  // Nulls sort after every value in both directions' "largest" sense: ASC NULLS LAST, DESC NULLS FIRST
  // (PostgreSQL's default, made explicit so SQLite agrees).
  private orderBy(s: OrderKey): SQL {
    const column = this.sortTarget(s.key);
    if (!s.nullable) return s.descending ? desc(column) : asc(column);
    return s.descending ? sql`${column} desc nulls first` : sql`${column} asc nulls last`;
  }

  /**
   * What a sort on `key` orders by: the column, or for an enum its position among the declared
   * values, so `low, normal, high, urgent` sort as declared rather than alphabetically.
   */
  private sortTarget(key: string): SQL | PgColumn {
    const values = this.definition.info.columns[key]?.enumValues;
    if (!values) return this.columnOf(key);
    const cases = values.map((v, i) => `when '${v.replaceAll("'", "''")}' then ${i}`).join(" ");
    return sql`(case ${this.columnOf(key)} ${sql.raw(cases)} end)`;
  }

  /**
   * A cursor is opaque but not trusted: each value must fit its column, and be one both dialects
   * compare alike (the rule filter values are bound by), or the cursor is invalid.
   */
  private assertCursorValue(key: string, value: unknown): void {
    if (!fitsColumn(this.definition.info.columns[key], value) || storableIssues(value).length > 0) {
      throw new ValidationError([{ path: ["cursor"], message: "invalid or expired cursor" }]);
    }
  }

  /** Rows strictly after `values` in the sort order: (a > x) or (a = x and b > y) or … */
  private keyset(sort: readonly OrderKey[], values: unknown[], bound: Values, shape: string[]): Deferred {
    // The values are bound now; the SQL is made only if the statement is built.
    const names = sort.map((s, i) => {
      const value = values[i] ?? null;
      shape.push(`k${i}:${value === null ? "null" : "v"}`);
      if (value === null) return undefined;
      const name = keyPlaceholder(i);
      const enumValues = this.definition.info.columns[s.key]?.enumValues;
      bound[name] = enumValues ? enumValues.indexOf(value as string) : encode(this.columnOf(s.key), value);
      return name;
    });
    return () => {
      const alternatives: SQL[] = [];
      const equalSoFar: SQL[] = [];
      // Every row after the cursor is at or past it on the first key. Said on its own, the index on
      // that key (after the filter's equalities) starts its scan at the cursor; the alternatives
      // alone are an OR that the index cannot seek by, and a page deep in a list scanned every row
      // before it (1,000 rows filtered out for the page after row 1,000 on PostgreSQL).
      const [first] = sort;
      const firstName = names[0];
      const from =
        first && firstName !== undefined && (first.descending || !first.nullable)
          ? first.descending
            ? sql`${this.sortTarget(first.key)} <= ${placeholder(firstName)}`
            : sql`${this.sortTarget(first.key)} >= ${placeholder(firstName)}`
          : undefined;
      sort.forEach((s, i) => {
        const column = this.sortTarget(s.key);
        const name = names[i];
        const value = name === undefined ? undefined : placeholder(name);
        let after: SQL | undefined;
        if (value === undefined) after = s.descending ? isNotNull(column) : undefined;
        else if (s.descending) after = sql`${column} < ${value}`;
        else after = s.nullable ? sql`(${column} > ${value} or ${column} is null)` : sql`${column} > ${value}`;
        if (after) alternatives.push(allOf([...equalSoFar, after]) as SQL);
        equalSoFar.push(value === undefined ? isNull(column) : sql`${column} = ${value}`);
      });
      if (alternatives.length === 0) return sql`1 = 0`;
      const after = or(...alternatives) as SQL;
      return from ? (allOf([from, after]) as SQL) : after;
    };
  }

  /**
   * Runs a statement through the prepared-statement cache. `build` is called only the first time a
   * shape is seen (and inside PostgreSQL transactions, whose statements belong to the transaction).
   */
  private execute<R>(
    shape: string,
    // biome-ignore lint/suspicious/noExplicitAny: the query builder of either dialect (the same API); see AnyDrizzle.
    build: (db: PgDatabase<any, any>) => { prepare: (name: string) => Prepared },
    values: Values | InsertValues,
    mode: Mode,
    /** False for bulk inserts, whose statements are kept apart, among a few (`Shared.bulk`). */
    cache = true,
    /** The statement returns whole rows (true), or whole rows followed by these extra fields. */
    wholeRows: boolean | readonly string[] = false,
  ): Promise<R> {
    const session = this.session;
    const cacheable = cache && (session.dialect === "sqlite" || !session.inTransaction);
    const key = `${this.name}|${shape}|${mode}`;
    return session.run(
      () => {
        if (wholeRows) {
          const extras = wholeRows === true ? [] : wholeRows;
          return this.sqliteRows(
            key,
            keptStatements(session.shared, "prepared", cache),
            build,
            values,
            mode,
            extras,
          ) as R;
        }
        return this.drizzlePrepared(key, build, cacheable)[mode](named(values)) as R;
      },
      // Chained rather than awaited: inside a transaction every promise costs its async-context hook.
      () => {
        if (wholeRows) {
          const extras = wholeRows === true ? [] : wholeRows;
          const rows = this.postgresRows(key, build, values, mode, extras, cache);
          if (rows !== NOT_TAKEN) return rows as Promise<R>;
        }
        return this.drizzlePrepared(key, build, cacheable)
          .execute(named(values))
          .then((rows: R[]) => (mode === "get" ? rows[0] : rows) as R);
      },
    ) as Promise<R>;
  }

  /** Drizzle's prepared query of `key`, built (and kept, when `cacheable`) the first time. */
  private drizzlePrepared(
    key: string,
    // biome-ignore lint/suspicious/noExplicitAny: see execute.
    build: (db: PgDatabase<any, any>) => { prepare: (name: string) => Prepared },
    cacheable: boolean,
  ): Prepared {
    const statements = this.session.shared.prepared;
    let prepared: Prepared = cacheable ? statements.get(key) : undefined;
    if (!prepared) {
      // biome-ignore lint/suspicious/noExplicitAny: see execute.
      prepared = build(this.session.drizzle as any).prepare(key);
      if (cacheable) remember(statements, key, prepared);
    }
    return prepared;
  }

  /**
   * The row with this key and its children, in one statement: each include becomes a subquery that
   * aggregates the children into a JSON array (`json_group_array` on SQLite, `json_agg` on
   * PostgreSQL), decoded by their table's columns. `NotFoundError` when there is no such row.
   * The statement is planned once per `include` object (and `extras` object): keep them as module
   * constants rather than writing them out per call.
   *
   * ```ts
   * const ticket = await db.repo(tickets).getWith(id, { tasks: { table: tasks, foreignKey: "ticketId", sort: "orderIndex" } });
   * ticket.tasks; // typed task rows, in order
   * ```
   */
  getWith<I extends Record<string, Include>, E extends Extras = Record<never, SQL>>(
    key: Key<T>,
    include: I,
    options: GetWithOptions<E> = {},
  ): Promise<WithIncluded<Row<T>, I> & ExtrasOf<E>> {
    let children: WithPlan["children"] = [];
    return settle(
      () => {
        if (this.info.keyColumns.length !== 1) {
          throw new Error(`getWith needs a single-column key; ${this.name} has a composite one`);
        }
        const plan = this.withPlan(include, options.deleted ?? "exclude", options.extras);
        children = plan.children;
        return this.readWith(key, plan, options);
      },
      (row) => {
        if (!row) throw new NotFoundError(this.name, key);
        for (const { as, spec } of children) {
          const repo = this.session.repo(spec.table);
          const value = row[as];
          const arrays = (typeof value === "string" ? JSON.parse(value) : (value ?? [])) as unknown[][];
          row[as] = arrays.map((raw) => repo.decode(raw));
        }
        return row as WithIncluded<Row<T>, I> & ExtrasOf<E>;
      },
    );
  }

  /** The statement of `getWith`: the row with its children as JSON arrays and its extras, undecoded. */
  private readWith(key: Key<T>, { shape, children, fields }: WithPlan, options: GetWithOptions<Extras>) {
    const deleted = options.deleted ?? "exclude";
    const values = this.keyValues(key);
    const extras = options.extras;
    if (extras) {
      for (const name in options.values) {
        if (name in values) throw new Error(`getWith: the placeholder name "${name}" is taken by the key`);
        values[name] = options.values[name];
      }
    }
    return this.execute<Values | undefined>(
      shape,
      (db) => {
        const parentKey = this.columnOf(this.info.keyColumns[0] as string);
        const included = Object.fromEntries(
          children.map(({ as, spec }) => [as, this.session.repo(spec.table).childrenOf(parentKey, spec)]),
        );
        return db
          .select({ ...this.info.columns, ...included, ...extras })
          .from(this.table)
          .where(this.keyMatch(deleted))
          .limit(sql.raw("1") as unknown as number);
      },
      values,
      "get",
      true,
      fields,
    );
  }

  /**
   * What `getWith` needs of its includes and extras beyond the key: the statement's shape, the
   * included tables and the names of the fields that follow the columns. Made once per include
   * object, extras object and `deleted` (callers pass module constants), shared by every session.
   */
  private withPlan(include: Record<string, Include>, deleted: Deleted, extras: Extras | undefined): WithPlan {
    let byExtras = this.info.withPlans.get(include);
    if (!byExtras) {
      byExtras = new WeakMap();
      this.info.withPlans.set(include, byExtras);
    }
    let byDeleted = byExtras.get(extras ?? NO_EXTRAS);
    if (!byDeleted) {
      byDeleted = {};
      byExtras.set(extras ?? NO_EXTRAS, byDeleted);
    }
    let plan = byDeleted[deleted];
    if (plan) return plan;
    const names = Object.keys(include);
    const children = names.map((as) => {
      const spec = include[as] as Include;
      if (spec.table.name === this.name) throw new Error(`getWith cannot include ${this.name} in itself`);
      return { as, spec };
    });
    let shape = `with|${deleted}|${children
      .map(
        ({ as, spec }) => `${as}:${spec.table.name}.${String(spec.foreignKey)}:${[spec.sort ?? []].flat().join(",")}`,
      )
      .join(";")}`;
    const extraNames = extras ? Object.keys(extras) : [];
    if (extras) {
      shape += `|extras:${extrasId(extras)}`;
      for (const name of [...names, ...extraNames]) {
        if (name in this.info.columns) throw new Error(`getWith: "${name}" is a column of ${this.name}`);
      }
    }
    plan = { shape, children, fields: [...names, ...extraNames] };
    byDeleted[deleted] = plan;
    return plan;
  }

  /** @internal A JSON array of this table's rows whose `spec.foreignKey` equals `parentKey`, as arrays of column values. */
  childrenOf(parentKey: Column, spec: Include): SQL {
    const foreignKey = this.columnOf(String(spec.foreignKey));
    const values = sql.join(
      this.info.decoders.map(([, c]) => sql`${c}`),
      sql`, `,
    );
    const order = sql.join(
      this.sortSpec(spec.sort as ListOptions<T>["sort"]).map((s) => this.orderBy(s)),
      sql`, `,
    );
    const conditions = [sql`${foreignKey} = ${parentKey}`];
    if (this.definition.info.softDelete) conditions.push(sql`${this.columnOf("deletedAt")} is null`);
    const where = sql.join(conditions, sql` and `);
    return this.session.dialect === "sqlite"
      ? sql`(select json_group_array(json_array(${values}) order by ${order}) from ${this.table} where ${where})`
      : sql`(select coalesce(json_agg(json_build_array(${values}) order by ${order}), '[]'::json) from ${this.table} where ${where})`;
  }

  /** The row with this key: the hottest read, so it skips the general filter building. */
  private findByKey(key: unknown, deleted: Deleted): Promise<Row<T> | undefined> {
    const values = this.keyValues(key);
    return this.execute<Row<T> | undefined>(
      BY_KEY_SHAPES[deleted],
      // LIMIT written in, not bound: see limitOf.
      (db) =>
        db
          .select()
          .from(this.table)
          .where(this.keyMatch(deleted))
          .limit(sql.raw("1") as unknown as number),
      values,
      "get",
      true,
      true,
    );
  }

  /** The key checked and encoded as the placeholder values `k0`, `k1`, … of `keyMatch`. */
  private keyValues(key: unknown): Values {
    const names = this.info.keyColumns;
    const values: Values = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const column = this.columnOf(name);
      const value = names.length === 1 ? key : partOfKey(key, name);
      if (value === null || value === undefined || (typeof value === "object" && !(value instanceof Date))) {
        throw new ValidationError([{ path: [name], message: "a key value is required" }]);
      }
      assertUuidFits(column, value, [name]);
      values[keyPlaceholder(i)] = encode(column, value);
    }
    return values;
  }

  /** The condition that finds the row of `keyValues` among the `deleted` ones; built once per statement. */
  private keyMatch(deleted: Deleted): SQL | undefined {
    const conditions: SQL[] = this.info.keyColumns.map((name, i) =>
      eq(this.columnOf(name), placeholder(keyPlaceholder(i))),
    );
    if (this.definition.info.softDelete && deleted !== "include") {
      const deletedAt = this.columnOf("deletedAt");
      conditions.push(deleted === "only" ? isNotNull(deletedAt) : isNull(deletedAt));
    }
    return allOf(conditions);
  }

  /**
   * SQLite statements that return whole rows run on better-sqlite3 directly, as arrays, decoded by
   * the table's columns: the same values as Drizzle's own prepared statement, at a fraction of the
   * cost per row. Drizzle still builds the SQL, once per shape.
   */
  private sqliteRows(
    key: string,
    /** Where the statement is kept: among the hot ones, or the few bulk inserts'. */
    kept: KeptStatements,
    // biome-ignore lint/suspicious/noExplicitAny: see execute.
    build: (db: PgDatabase<any, any>) => unknown,
    values: Values | InsertValues,
    mode: Mode,
    extras: readonly string[] = [],
  ): Row<T> | Row<T>[] | undefined {
    let statement = kept.statements.get(key) as RowStatement | undefined;
    if (!statement) {
      // biome-ignore lint/suspicious/noExplicitAny: see execute.
      const query = build(this.session.drizzle as any) as { toSQL(): { sql: string; params: unknown[] } };
      const { sql: text, params } = query.toSQL();
      const client = this.session.shared.sqlite?.client as NonNullable<Session["shared"]["sqlite"]>["client"];
      const prepared = client.prepare(text);
      // A write without `returning` has no rows to take as arrays.
      statement = {
        statement: prepared.reader ? prepared.raw(true) : prepared,
        params,
        select: /^\s*select\b/i.test(text),
      };
      remember(kept.statements, key, statement, kept.limit);
    }
    const args = argsOf(statement, values);
    if (mode === "run") {
      statement.statement.run(...args);
      return undefined;
    }
    // A select stops at its first row; a write with `returning` must run to the end.
    if (mode === "get" && statement.select) {
      const raw = statement.statement.get(...args) as unknown[] | undefined;
      return raw ? this.decode(raw, extras) : undefined;
    }
    const rows = (statement.statement.all(...args) as unknown[][]).map((raw) => this.decode(raw, extras));
    return mode === "get" ? rows[0] : rows;
  }

  /**
   * The LIMIT of a select. SQLite gets it written into the statement: with a bound LIMIT it prepares
   * the statement anew on every run (a `get` took 4× as long), and the few limits in use make few
   * statements. PostgreSQL binds it.
   */
  private limitOf(limit: number, bound: Values, shape: string[]): Deferred {
    if (this.session.dialect === "sqlite") {
      shape.push(`limit:${limit}`);
      return () => sql.raw(String(Math.trunc(limit)));
    }
    bound.limit = limit;
    return limitPlaceholder;
  }

  /**
   * PostgreSQL statements that return whole rows run on the session's own client (the postgres-js
   * pool or PGlite, or the transaction's connection), as arrays decoded by the table's columns; on
   * postgres-js they are prepared per connection. Drizzle builds the SQL once per shape; unlike a
   * Drizzle prepared query, the text serves inside transactions too. On PGlite, Drizzle's queries pass
   * their type parsers with every query, which PGlite merges with its own each time (200 µs a query);
   * the database is opened with those parsers instead (see openDatabase), and these queries pass none.
   * Reads meant for replicas go the Drizzle way, which routes them.
   */
  private postgresRows(
    key: string,
    // biome-ignore lint/suspicious/noExplicitAny: see execute.
    build: (db: PgDatabase<any, any>) => unknown,
    values: Values | InsertValues,
    mode: Mode,
    extras: readonly string[],
    /** False for bulk inserts: kept among the few in `Shared.bulk`, and not prepared on the server. */
    cache: boolean,
  ): Promise<Row<T> | Row<T>[] | undefined> | typeof NOT_TAKEN {
    const session = this.session;
    // biome-ignore lint/suspicious/noExplicitAny: the Drizzle database or transaction, for its client.
    const drizzle = session.drizzle as any;
    const kept = keptStatements(session.shared, "texts", cache);
    let statement = kept.statements.get(key) as TextStatement | undefined;
    if (!statement) {
      const { sql: text, params } = (build(drizzle) as { toSQL(): { sql: string; params: unknown[] } }).toSQL();
      statement = { text, params, select: /^\s*select\b/i.test(text) };
      remember(kept.statements, key, statement, kept.limit);
    }
    const client = drizzle.session?.client as PostgresClient | PgliteClient | undefined;
    if (!client || (statement.select && drizzle.$replicas && !session.inTransaction)) return NOT_TAKEN;
    if (session.shared.driver === "pglite") {
      return (client as PgliteClient)
        .query(statement.text, argsOf(statement, values), { rowMode: "array" })
        .then((result) => this.rowsOf(result.rows, mode, extras));
    }
    const query = (client as PostgresClient).unsafe(statement.text, argsOf(statement, values), { prepare: cache });
    return mode === "run" ? query.then(() => undefined) : query.values().then((raw) => this.rowsOf(raw, mode, extras));
  }

  /** The rows a statement returned as arrays, decoded; the first only for `get`. */
  private rowsOf(raw: unknown[][], mode: Mode, extras: readonly string[]): Row<T> | Row<T>[] | undefined {
    if (mode === "run") return undefined;
    if (mode === "get") return raw.length === 0 ? undefined : this.decode(raw[0] as unknown[], extras);
    const rows = new Array<Row<T>>(raw.length);
    for (let i = 0; i < raw.length; i++) rows[i] = this.decode(raw[i] as unknown[], extras);
    return rows;
  }

  /**
   * @internal A row as the driver returns it (an array in selection order) as the table's typed row;
   * values after the columns go under the `extras` names as they are.
   */
  decode(raw: unknown[], extras: readonly string[] = []): Row<T> {
    const row = this.info.rowOf(raw);
    const columns = this.info.decoders.length;
    for (let i = 0; i < extras.length; i++) row[extras[i] as string] = raw[columns + i];
    return row as Row<T>;
  }

  private isKey(value: unknown): value is Key<T> {
    if (value === null || typeof value !== "object") return true;
    const keys = Object.keys(value);
    return (
      this.info.keyColumns.length > 1 &&
      keys.length === this.info.keyColumns.length &&
      this.info.keyColumns.every((k) => k in value)
    );
  }

  private keyWhere(key: Key<T>): Where<Row<T>> {
    if (this.info.keyColumns.length === 1) return { [this.info.keyColumns[0] as string]: key } as Where<Row<T>>;
    return Object.fromEntries(this.info.keyColumns.map((k) => [k, partOfKey(key, k)])) as Where<Row<T>>;
  }

  /** The condition on the key for a write, its values registered in `bound` (see `keyValues`). */
  private keyCondition(key: Key<T>, bound: Values, shape: string[]): Deferred {
    Object.assign(bound, this.keyValues(key));
    shape.push("key");
    return () => this.keyMatch("include") as SQL;
  }

  private versionIs(expected: number, bound: Values): Deferred {
    const version = this.columnOf("version");
    bound.v = encode(version, expected);
    return () => eq(version, placeholder("v"));
  }

  private keySelection(): Record<string, PgColumn> {
    return Object.fromEntries(this.info.keyColumns.map((k) => [k, this.columnOf(k)]));
  }

  /** After a write matched no row: was it missing, or at another version? */
  private async explainMiss(
    key: Key<T>,
    expectedVersion: number | undefined,
    deleted: Deleted = "exclude",
  ): Promise<never> {
    const current = await this.find(key, { deleted });
    if (current && expectedVersion !== undefined) {
      throw new VersionConflictError(this.name, key, expectedVersion, Number((current as Values).version));
    }
    throw new NotFoundError(this.name, key);
  }

  private columnOf(key: string): PgColumn {
    const column = this.info.columns[key];
    if (!column) throw new ValidationError([{ path: [key], message: `unknown column "${key}"` }]);
    return column;
  }
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** A value as its column stores it; null stays null. */
const encode = (column: Column, value: unknown) => {
  if (value === null || value === undefined) return null;
  // Drizzle sends a PostgreSQL timestamp as `toISOString()`; `isoString` writes the same text for a
  // quarter of the cost (a 100-row insert has 200 of them). An invalid date still throws as before.
  if (value instanceof Date && column.columnType === "PgTimestamp") return isoString(value) ?? value.toISOString();
  // PostgreSQL stores a uuid in lower case whatever case it was given; SQLite would keep text as given.
  if (typeof value === "string" && uuidColumns.has(column)) return value.toLowerCase();
  return column.mapToDriverValue(value);
};

/**
 * The values of an insert's rows (all with the same `keys`, in table order), bound by position: a
 * bulk insert has over a thousand values, and naming each placeholder, then looking each name up,
 * took a tenth of a 100-row `createMany`. Drizzle writes an insert's values row by row, column by
 * column; each statement is checked to be written so once, and bound by name otherwise.
 */
class InsertValues {
  constructor(
    private readonly rows: Values[],
    private readonly keys: string[],
    private readonly columns: Column[],
  ) {}

  /** The rows as placeholders, for building the statement. */
  placeholders(): Record<string, SQL>[] {
    return this.rows.map((_, n) => {
      const row: Record<string, SQL> = {};
      for (const key of this.keys) row[key] = placeholder(`r${n}_${key}`);
      return row;
    });
  }

  /** The values by placeholder name. */
  named(): Values {
    const named: Values = {};
    const encoded = this.encoded();
    let i = 0;
    for (let n = 0; n < this.rows.length; n++) {
      for (const key of this.keys) named[`r${n}_${key}`] = encoded[i++];
    }
    return named;
  }

  /** The values in the order of `statement`'s parameters. */
  args(statement: { params: unknown[]; positional?: boolean }): unknown[] {
    statement.positional ??= this.inOrder(statement.params);
    return statement.positional ? this.encoded() : fillPlaceholders(statement.params, this.named());
  }

  /** Row `n` as the database stores it, as driver values in `decoders` order (see `InsertPlan.stored`). */
  stored(n: number, stored: (number | { value: unknown })[]): unknown[] {
    const encoded = this.encoded();
    const offset = n * this.keys.length;
    return stored.map((from) => (typeof from === "number" ? encoded[offset + from] : from.value));
  }

  private encodedValues?: unknown[];
  /** Every row's values encoded by their columns, row after row, each in `keys` order. */
  private encoded(): unknown[] {
    if (this.encodedValues) return this.encodedValues;
    const { rows, keys, columns } = this;
    const encoded = new Array(rows.length * keys.length);
    let i = 0;
    for (const row of rows) {
      for (let k = 0; k < keys.length; k++) encoded[i++] = encode(columns[k] as Column, row[keys[k] as string]);
    }
    this.encodedValues = encoded;
    return encoded;
  }

  private inOrder(params: unknown[]): boolean {
    if (params.length !== this.rows.length * this.keys.length) return false;
    let i = 0;
    for (let n = 0; n < this.rows.length; n++) {
      for (const key of this.keys) {
        const param = params[i++];
        if (!is(param, Placeholder) || param.name !== `r${n}_${key}`) return false;
      }
    }
    return true;
  }
}

const named = (values: Values | InsertValues): Values => (values instanceof InsertValues ? values.named() : values);

/**
 * `then` applied to what `run` gives: at once when it is a value (SQLite answers synchronously),
 * else when its promise settles. A read on SQLite so costs its caller one await, not one per layer.
 * Whatever throws becomes the rejection, as in an async function.
 */
function settle<V, R>(run: () => V | Promise<V>, then: (value: V) => R): Promise<R> {
  try {
    const value = run();
    return value instanceof Promise ? value.then(then) : Promise.resolve(then(value));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Binds the values of a `Where` in `bound`, each under a name of its own (`w0`, `w1`, …; `j0`, … as given). */
class WhereBinder implements WhereContext {
  private columnValues = 0;
  private rawValues = 0;

  constructor(
    private readonly bound: Values,
    readonly columns: Record<string, Column>,
    readonly dialect: "sqlite" | "postgres",
    readonly jsonKeys: ReadonlySet<string>,
    readonly textKeys: ReadonlySet<string>,
  ) {}

  bind(column: Column, value: unknown, path: (string | number)[]): string {
    assertUuidFits(column, value, path);
    if (column.dataType === "date" && !(value instanceof Date && !Number.isNaN(value.getTime()))) {
      throw new ValidationError([{ path, message: "must be a valid Date" }]);
    }
    // What PostgreSQL would refuse (NaN, U+0000, …) where SQLite would quietly match nothing.
    const unstorable = storableIssues(value, path);
    if (unstorable.length > 0) throw new ValidationError(unstorable);
    const name = `w${this.columnValues++}`;
    this.bound[name] = encode(column, value);
    return name;
  }

  bindRaw(value: unknown): string {
    const name = `j${this.rawValues++}`;
    this.bound[name] = value;
    return name;
  }
}

/** A value of a uuid column must be a UUID: PostgreSQL rejects a malformed one where SQLite would just find nothing. */
function assertUuidFits(column: Column, value: unknown, path: (string | number)[]): void {
  if (uuidColumns.has(column) && (typeof value !== "string" || !UUID.test(value))) {
    throw new ValidationError([{ path, message: "must be a UUID" }]);
  }
}

/** Whether a cursor's value can be a value of this column. */
function fitsColumn(column: ColumnMeta | undefined, value: unknown): boolean {
  if (value === null) return !column?.notNull;
  switch (column?.kind) {
    case "uuid":
      return typeof value === "string" && UUID.test(value);
    case "text":
    case "varchar":
      return typeof value === "string";
    case "enum":
      return typeof value === "string" && (column.enumValues ?? []).includes(value);
    case "integer":
    case "bigint":
      return Number.isSafeInteger(value);
    case "real":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "timestamp":
      return value instanceof Date && !Number.isNaN(value.getTime());
    default:
      return false;
  }
}

/** A statement's parameter values. */
function argsOf(statement: { params: unknown[]; positional?: boolean }, values: Values | InsertValues): unknown[] {
  return values instanceof InsertValues ? values.args(statement) : fillPlaceholders(statement.params, values);
}

/** A row of placeholders, from the names `bindValues` gave. */
function placeholders(names: Record<string, string>): Record<string, SQL> {
  const row: Record<string, SQL> = {};
  for (const key in names) row[key] = placeholder(names[key] as string);
  return row;
}

const extrasIds = new WeakMap<Extras, number>();
let extrasCount = 0;
/** A number per extras object, for the statement cache: one statement per object, whatever its SQL. */
function extrasId(extras: Extras): number {
  let id = extrasIds.get(extras);
  if (id === undefined) {
    id = ++extrasCount;
    extrasIds.set(extras, id);
  }
  return id;
}

/** One of `Shared`'s statement maps, and how many statements it keeps. */
interface KeptStatements {
  statements: Map<string, unknown>;
  limit: number;
}

/** Where a statement is kept: among the hot ones (`hot`), or, for a bulk insert, among the few in `Shared.bulk`. */
function keptStatements(shared: Session["shared"], hot: "prepared" | "texts", cache: boolean): KeptStatements {
  return cache
    ? { statements: shared[hot], limit: PREPARED_CACHE_LIMIT }
    : { statements: shared.bulk, limit: BULK_STATEMENTS_KEPT };
}

function remember<V>(cache: Map<string, V>, key: string, value: V, limit = PREPARED_CACHE_LIMIT): void {
  if (cache.size >= limit) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, value);
}
