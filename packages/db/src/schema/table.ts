import { type Assume, type BuildColumns, Column as DrizzleColumn, is, SQL, sql, type Table } from "drizzle-orm";
import * as pg from "drizzle-orm/pg-core";
import * as sqlite from "drizzle-orm/sqlite-core";
import type { AnyColumn, Column, ColumnMeta } from "./columns.js";
import { constraintName, snakeCase } from "./naming.js";

type ColumnMap = Record<string, AnyColumn>;

type SqliteBuilders<C extends ColumnMap> = {
  [K in keyof C]: C[K] extends Column<infer S, infer _P> ? S : never;
};
type PgBuilders<C extends ColumnMap> = {
  [K in keyof C]: C[K] extends Column<infer _S, infer P> ? P : never;
};

type SqliteTableOf<N extends string, C extends ColumnMap> = sqlite.SQLiteTableWithColumns<{
  name: N;
  schema: undefined;
  columns: BuildColumns<N, Assume<SqliteBuilders<C>, Record<string, sqlite.SQLiteColumnBuilderBase>>, "sqlite">;
  dialect: "sqlite";
}>;
type PgTableOf<N extends string, C extends ColumnMap> = pg.PgTableWithColumns<{
  name: N;
  schema: undefined;
  columns: BuildColumns<N, Assume<PgBuilders<C>, Record<string, pg.PgColumnBuilderBase>>, "pg">;
  dialect: "pg";
}>;

/** The columns handed to a table's `extras`: real Drizzle columns of whichever dialect is being built. */
export type ExtraColumns<C extends ColumnMap> = { [K in keyof C]: DrizzleColumn };

/** An index, unique index, check, composite primary key or search index, declared once for both dialects. */
export type TableExtra = IndexSpec | CheckSpec | PrimaryKeySpec | SearchSpec;

export class IndexSpec {
  readonly kind = "index";
  constructor(
    readonly columns: readonly DrizzleColumn[],
    readonly isUnique: boolean,
    readonly condition?: SQL,
    readonly explicitName?: string,
  ) {}
  /** Makes it a partial index. */
  where(condition: SQL): IndexSpec {
    return new IndexSpec(this.columns, this.isUnique, condition, this.explicitName);
  }
  name(name: string): IndexSpec {
    return new IndexSpec(this.columns, this.isUnique, this.condition, name);
  }
}

export interface CheckSpec {
  readonly kind: "check";
  readonly name: string;
  readonly condition: SQL;
}

export interface PrimaryKeySpec {
  readonly kind: "primaryKey";
  readonly columns: readonly DrizzleColumn[];
}

/** A full-text search index over text columns; the first column weighs most in the ranking. */
export interface SearchSpec {
  readonly kind: "search";
  readonly columns: readonly DrizzleColumn[];
}

export const index = (...columns: [DrizzleColumn, ...DrizzleColumn[]]) => new IndexSpec(columns, false);
export const uniqueIndex = (...columns: [DrizzleColumn, ...DrizzleColumn[]]) => new IndexSpec(columns, true);
/** A check constraint; `name` is prefixed with the table name. */
export const check = (name: string, condition: SQL): CheckSpec => ({ kind: "check", name, condition });
export const primaryKey = (...columns: [DrizzleColumn, ...DrizzleColumn[]]): PrimaryKeySpec => ({
  kind: "primaryKey",
  columns,
});

/**
 * Makes the table searchable by `textSearch`: an FTS5 table kept current by triggers on SQLite, a
 * GIN index over a weighted `tsvector` on PostgreSQL. At most one per table; list the columns most
 * telling first (a title before a body): a match there ranks higher.
 */
export const searchIndex = (...columns: [DrizzleColumn, ...DrizzleColumn[]]): SearchSpec => ({
  kind: "search",
  columns,
});

/** The search index of a table: its name and its columns' SQL names, most telling first. */
export interface SearchInfo {
  readonly name: string;
  readonly columns: readonly string[];
}

export interface TableInfo {
  /** Property name → column facts, in declaration order. */
  readonly columns: Readonly<Record<string, ColumnMeta & { sqlName: string }>>;
  /** Property names of the primary key. */
  readonly primaryKey: readonly string[];
  /** Unique indexes by name → property names, to name the columns of a unique violation. */
  readonly uniqueIndexes: Readonly<Record<string, readonly string[]>>;
  readonly softDelete: boolean;
  readonly versioned: boolean;
  readonly timestamps: { createdAt: boolean; updatedAt: boolean };
  /** The full-text search index, when the table declares one. */
  readonly search?: SearchInfo;
}

/** A table declared once: the Drizzle table of each dialect, and what the layer knows about it. */
export interface TableDefinition<N extends string = string, C extends ColumnMap = ColumnMap> {
  readonly name: N;
  readonly columns: C;
  readonly sqlite: SqliteTableOf<N, C>;
  readonly pg: PgTableOf<N, C>;
  readonly info: TableInfo;
}

/** Any table definition, whatever its columns. */
export interface AnyTable {
  readonly name: string;
  readonly columns: ColumnMap;
  readonly sqlite: Table;
  readonly pg: Table;
  readonly info: TableInfo;
}

/** The row a select returns; the same type on both dialects. */
export type RowOf<T extends AnyTable> = T["pg"]["$inferSelect"];
/** The values an insert takes; the same type on both dialects. */
export type InsertOf<T extends AnyTable> = T["pg"]["$inferInsert"];

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Declares a table once, for both dialects.
 *
 * ```ts
 * export const users = table("users", {
 *   id: col.id(),
 *   email: col.varchar(320).notNull(),
 *   createdAt: col.createdAt(),
 * }, (t) => [uniqueIndex(t.email)]);
 * ```
 */
export function table<N extends string, C extends ColumnMap>(
  name: N,
  columns: C,
  extras?: (t: ExtraColumns<C>) => TableExtra[],
): TableDefinition<N, C> {
  const info = describe(name, columns, extras as ((t: ExtraColumns<ColumnMap>) => TableExtra[]) | undefined);

  const allExtras = (t: Record<string, DrizzleColumn>): TableExtra[] => {
    const declared = extras ? extras(t as ExtraColumns<C>) : [];
    // Enums are text with a check constraint in both dialects.
    const enumChecks = Object.entries(columns)
      .filter(([, c]) => c.meta.kind === "enum")
      .map(([key, c]) =>
        check(
          `${snakeCase(key)}_values`,
          sql`${t[key]} in (${sql.raw((c.meta.enumValues ?? []).map(quoteLiteral).join(", "))})`,
        ),
      );
    return [...declared, ...enumChecks];
  };

  const sqliteColumns = Object.fromEntries(
    Object.entries(columns).map(([key, c]) => [key, c.build("sqlite", snakeCase(key))]),
  );
  const pgColumns = Object.fromEntries(Object.entries(columns).map(([key, c]) => [key, c.build("pg", snakeCase(key))]));

  const sqliteTable = sqlite.sqliteTable(
    name,
    sqliteColumns,
    (t) =>
      // SQLite's search index is an FTS5 table with triggers, which the migration generator writes.
      allExtras(t as unknown as Record<string, DrizzleColumn>)
        .filter((extra) => extra.kind !== "search")
        .map((extra) => buildExtra("sqlite", name, extra)) as sqlite.SQLiteTableExtraConfigValue[],
  );
  const pgTable = pg.pgTable(
    name,
    pgColumns,
    (t) =>
      allExtras(t as unknown as Record<string, DrizzleColumn>).map((extra) =>
        buildExtra("pg", name, extra),
      ) as pg.PgTableExtraConfigValue[],
  );

  return {
    name,
    columns,
    sqlite: sqliteTable as unknown as SqliteTableOf<N, C>,
    pg: pgTable as unknown as PgTableOf<N, C>,
    info,
  };
}

/**
 * Rewrites `"table"."column"` references as plain `"column"`. Conditions of checks and partial
 * indexes belong to their table anyway, and SQLite table rebuilds (create `__new_x`, copy, rename)
 * would otherwise leave a check pointing at the temporary table's name.
 */
function unqualified(condition: SQL): SQL {
  return new SQL(
    condition.queryChunks.map((chunk) => {
      if (is(chunk, DrizzleColumn)) return sql.identifier(chunk.name);
      if (is(chunk, SQL)) return unqualified(chunk);
      return chunk;
    }),
  );
}

function indexName(table: string, spec: IndexSpec): string {
  return (
    spec.explicitName ??
    constraintName(
      table,
      spec.columns.map((c) => c.name),
      spec.isUnique ? "key" : "idx",
    )
  );
}

// The extras builders of each dialect; `buildExtra` uses whichever the table being built needs.
const extraBuilders = {
  sqlite: { index: sqlite.index, uniqueIndex: sqlite.uniqueIndex, check: sqlite.check, primaryKey: sqlite.primaryKey },
  pg: { index: pg.index, uniqueIndex: pg.uniqueIndex, check: pg.check, primaryKey: pg.primaryKey },
};

// The same surface on both dialects, typed loosely: the columns handed in are the dialect's own.
interface LooseBuilders {
  index(name: string): { on(...columns: DrizzleColumn[]): { where(condition: SQL): unknown } };
  uniqueIndex(name: string): { on(...columns: DrizzleColumn[]): { where(condition: SQL): unknown } };
  check(name: string, condition: SQL): unknown;
  primaryKey(config: { name: string; columns: DrizzleColumn[] }): unknown;
}

function buildExtra(dialect: "sqlite" | "pg", table: string, extra: TableExtra) {
  const b = extraBuilders[dialect] as unknown as LooseBuilders;
  switch (extra.kind) {
    case "index": {
      const built = (extra.isUnique ? b.uniqueIndex : b.index)(indexName(table, extra)).on(...extra.columns);
      return extra.condition ? built.where(unqualified(extra.condition)) : built;
    }
    case "check":
      return b.check(`${table}_${extra.name}`, unqualified(extra.condition));
    case "primaryKey": {
      const names = extra.columns.map((c) => c.name);
      return b.primaryKey({ name: constraintName(table, names, "pk"), columns: [...extra.columns] });
    }
    case "search":
      return (
        pg
          .index(searchIndexName(table))
          // An expression index needs its own parentheses, which drizzle-kit does not add.
          .using("gin", sql`(${searchVector(extra.columns.map((c) => c.name))})`)
      );
  }
}

/** PostgreSQL indexes this many characters of each searched column. */
export const PG_SEARCH_TEXT_LIMIT = 100_000;

/** The name of a table's search index: the FTS5 table on SQLite, the GIN index on PostgreSQL. */
export const searchIndexName = (table: string) => `${table}_search`;

/**
 * PostgreSQL's document of a search index: each column's `tsvector`, the first weighted A and the
 * rest B. Queries repeat exactly this expression, so the GIN index over it answers them.
 * - Punctuation separates words, as in SQLite's tokenizer and in `searchTerms`: PostgreSQL's parser
 *   would otherwise read `src/app.ts` or `a@b.c` as one word, and `app` would not find them.
 * - Each column counts up to its first 100,000 characters: a `tsvector` holds at most 1 MB, and a
 *   longer text could otherwise fail to be written at all.
 */
export function searchVector(columns: readonly string[], qualifier?: string): SQL {
  const parts = columns.map((column, i) => {
    const ref = qualifier ? sql`${sql.identifier(qualifier)}.${sql.identifier(column)}` : sql.identifier(column);
    const text = sql`regexp_replace(left(coalesce(${ref}, ''), ${sql.raw(String(PG_SEARCH_TEXT_LIMIT))}), '[[:punct:]]+', ' ', 'g')`;
    return sql`setweight(to_tsvector('simple', ${text}), ${sql.raw(i === 0 ? "'A'" : "'B'")})`;
  });
  return sql.join(parts, sql` || `);
}

/** What the repository engine and error mapping need to know, read once from the declaration. */
function describe(name: string, columns: ColumnMap, extras?: (t: ExtraColumns<ColumnMap>) => TableExtra[]): TableInfo {
  const described = Object.fromEntries(
    Object.entries(columns).map(([key, c]) => [key, { ...c.meta, sqlName: snakeCase(key) }]),
  );
  const keyBySqlName = new Map(Object.entries(described).map(([key, c]) => [c.sqlName, key]));
  // Run the extras against stand-in columns that only carry a name, to learn the keys they use.
  const standIns = Object.fromEntries(
    Object.entries(described).map(([key, c]) => [key, { name: c.sqlName } as unknown as DrizzleColumn]),
  );
  const declared = extras ? extras(standIns) : [];
  const keysOf = (cols: readonly DrizzleColumn[]) => cols.map((c) => keyBySqlName.get(c.name) ?? c.name);

  const uniqueIndexes: Record<string, string[]> = {};
  let search: SearchInfo | undefined;
  let primaryKey = Object.entries(described)
    .filter(([, c]) => c.primaryKey)
    .map(([key]) => key);
  for (const extra of declared) {
    if (extra.kind === "index" && extra.isUnique) uniqueIndexes[indexName(name, extra)] = keysOf(extra.columns);
    if (extra.kind === "primaryKey") primaryKey = keysOf(extra.columns);
    if (extra.kind === "search") {
      if (search) throw new Error(`table ${name}: declare at most one searchIndex`);
      for (const column of extra.columns) {
        const kind = described[keyBySqlName.get(column.name) ?? ""]?.kind;
        if (kind !== "text" && kind !== "varchar") {
          throw new Error(`table ${name}: searchIndex takes text and varchar columns, not ${column.name}`);
        }
      }
      search = { name: searchIndexName(name), columns: extra.columns.map((c) => c.name) };
    }
  }
  return {
    columns: described,
    primaryKey,
    uniqueIndexes,
    softDelete: "deletedAt" in columns,
    versioned: "version" in columns,
    timestamps: { createdAt: "createdAt" in columns, updatedAt: "updatedAt" in columns },
    ...(search ? { search } : {}),
  };
}
