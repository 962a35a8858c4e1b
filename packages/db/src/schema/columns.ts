import type { $Type, ColumnBuilderBase, HasDefault, HasRuntimeDefault, IsPrimaryKey, NotNull, SQL } from "drizzle-orm";
import * as pg from "drizzle-orm/pg-core";
import * as sqlite from "drizzle-orm/sqlite-core";
import { V7Generator } from "uuidv7";

export type ReferentialAction = "cascade" | "restrict" | "no action" | "set null" | "set default";

/** What a column is, independent of dialect; read by the repository engine and the migration tooling. */
export type ColumnKind =
  | "uuid"
  | "text"
  | "varchar"
  | "integer"
  | "bigint"
  | "real"
  | "boolean"
  | "timestamp"
  | "enum"
  | "json";

export interface ColumnMeta {
  kind: ColumnKind;
  length?: number;
  enumValues?: readonly string[];
  notNull: boolean;
  primaryKey: boolean;
  references?: { table: () => { name: string }; column: string; onDelete: ReferentialAction };
}

// A modifier recorded once and replayed on both dialects' builders.
type Modifier = (builder: AnyBuilder) => AnyBuilder;
// biome-ignore lint/suspicious/noExplicitAny: the builders of both dialects share this chainable surface; the typed surface is Column below.
type AnyBuilder = any;

/**
 * A column declared once. It carries the Drizzle builder type of each dialect, so the built
 * `sqliteTable` and `pgTable` get their types from Drizzle itself, and every modifier is applied
 * to both sides: the two tables cannot drift apart.
 */
export class Column<S extends ColumnBuilderBase, P extends ColumnBuilderBase> {
  declare readonly _sqlite: S;
  declare readonly _pg: P;

  constructor(
    readonly meta: ColumnMeta,
    private readonly makeSqlite: (name: string) => AnyBuilder,
    private readonly makePg: (name: string) => AnyBuilder,
    private readonly modifiers: readonly Modifier[] = [],
  ) {}

  private with<S2 extends ColumnBuilderBase, P2 extends ColumnBuilderBase>(
    modifier: Modifier,
    meta: Partial<ColumnMeta> = {},
  ): Column<S2, P2> {
    return new Column<S2, P2>({ ...this.meta, ...meta }, this.makeSqlite, this.makePg, [...this.modifiers, modifier]);
  }

  notNull(): Column<NotNull<S>, NotNull<P>> {
    return this.with((b) => b.notNull(), { notNull: true });
  }

  /** A constant default, written into the DDL. */
  default(value: ColumnValue<S> | SQL): Column<HasDefault<S>, HasDefault<P>> {
    return this.with((b) => b.default(value));
  }

  /** A default computed by the application at insert time. */
  $defaultFn(
    fn: () => ColumnValue<S> | SQL,
  ): Column<HasRuntimeDefault<HasDefault<S>>, HasRuntimeDefault<HasDefault<P>>> {
    return this.with((b) => b.$defaultFn(fn));
  }

  /** A value computed by the application on every update (and insert, when no default is set). */
  $onUpdate(fn: () => ColumnValue<S> | SQL): Column<HasDefault<S>, HasDefault<P>> {
    return this.with((b) => b.$onUpdateFn(fn));
  }

  primaryKey(): Column<IsPrimaryKey<NotNull<S>>, IsPrimaryKey<NotNull<P>>> {
    return this.with((b) => b.primaryKey(), { primaryKey: true, notNull: true });
  }

  $type<T>(): Column<$Type<S, T>, $Type<P, T>> {
    return this.with((b) => b.$type());
  }

  /** A foreign key to `target`'s `column` (its `id` by default). */
  references(
    target: () => { name: string; sqlite: object; pg: object },
    options: { onDelete?: ReferentialAction; column?: string } = {},
  ): Column<S, P> {
    const references = {
      table: target,
      column: options.column ?? "id",
      onDelete: options.onDelete ?? "no action",
    };
    return new Column<S, P>({ ...this.meta, references }, this.makeSqlite, this.makePg, this.modifiers);
  }

  /** @internal Builds the Drizzle builder of one dialect under the given SQL column name. */
  build(dialect: "sqlite" | "pg", name: string): AnyBuilder {
    let builder = dialect === "sqlite" ? this.makeSqlite(name) : this.makePg(name);
    for (const modifier of this.modifiers) builder = modifier(builder);
    const ref = this.meta.references;
    if (ref) {
      builder = builder.references(
        () => (ref.table() as unknown as Record<string, Record<string, unknown>>)[dialect]?.[ref.column],
        { onDelete: ref.onDelete },
      );
    }
    return builder;
  }
}

type ColumnValue<B extends ColumnBuilderBase> = B["_"] extends { $type: infer T } ? T : B["_"]["data"];

// biome-ignore lint/suspicious/noExplicitAny: any column, whatever its builder types.
export type AnyColumn = Column<any, any>;

function column<S extends ColumnBuilderBase, P extends ColumnBuilderBase>(
  kind: ColumnKind,
  makeSqlite: (name: string) => S,
  makePg: (name: string) => P,
  extra: Partial<ColumnMeta> = {},
): Column<S, P> {
  return new Column<S, P>({ kind, notNull: false, primaryKey: false, ...extra }, makeSqlite, makePg);
}

const now = () => new Date();

/**
 * Random bits for UUIDv7s from crypto.getRandomValues, fetched 256 words at a time: the library's
 * default fetches 8 (two ids' worth), and the call, not the bits, is what costs.
 */
const randomWords = {
  buffer: new Uint32Array(256),
  cursor: 256,
  nextUint32(): number {
    if (this.cursor >= this.buffer.length) {
      crypto.getRandomValues(this.buffer);
      this.cursor = 0;
    }
    return this.buffer[this.cursor++] as number;
  },
};
const ids = new V7Generator(randomWords);

const HEX_DIGITS = Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0));
/** Where the two hex digits of each of a UUID's 16 bytes go in its 36 characters. */
const DIGIT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/** The characters of the last id made, its four hyphens in place. */
const idCodes = Array.from("00000000-0000-0000-0000-000000000000", (c) => c.charCodeAt(0));

/**
 * A new UUIDv7: ids sort by creation time, and are unique without asking the database. The text is
 * written in one piece: the library's `toString` adds it up a character at a time, 36 strings of
 * which the last 23 are joins, about 1 KB of garbage an id and three times the time.
 */
const newId = (): string => {
  const bytes = ids.generate().bytes;
  for (let i = 0; i < 16; i++) {
    const byte = bytes[i] as number;
    const at = DIGIT_AT[i] as number;
    idCodes[at] = HEX_DIGITS[byte >>> 4] as number;
    idCodes[at + 1] = HEX_DIGITS[byte & 0xf] as number;
  }
  return String.fromCharCode(...idCodes);
};

/**
 * The column kinds. Each maps to the natural type of both dialects:
 * uuid → `uuid` | text, timestamp → `timestamptz(3)` | integer epoch ms, json → `jsonb` | text,
 * boolean → `boolean` | integer 0/1, bigint → `bigint` | integer (both safe integers in TypeScript),
 * enum → text with a check constraint in both (no pg enum types: they cannot be changed in a transaction).
 */
export const col = {
  uuid: () =>
    column(
      "uuid",
      (n) => sqlite.text(n),
      (n) => pg.uuid(n),
    ),
  /** The primary key: a UUIDv7, generated by the application so ids sort by creation time. */
  id: () => col.uuid().primaryKey().$defaultFn(newId),
  text: () =>
    column(
      "text",
      (n) => sqlite.text(n),
      (n) => pg.text(n),
    ),
  varchar: <L extends number>(length: L) =>
    column(
      "varchar",
      (n) => sqlite.text(n, { length }),
      (n) => pg.varchar(n, { length }),
      { length },
    ),
  integer: () =>
    column(
      "integer",
      (n) => sqlite.integer(n, { mode: "number" }),
      (n) => pg.integer(n),
    ),
  /** A 64-bit integer column, read as a JavaScript number (exact up to 2^53). */
  bigint: () =>
    column(
      "bigint",
      (n) => sqlite.integer(n, { mode: "number" }),
      (n) => pg.bigint(n, { mode: "number" }),
    ),
  real: () =>
    column(
      "real",
      (n) => sqlite.real(n),
      (n) => pg.doublePrecision(n),
    ),
  boolean: () =>
    column(
      "boolean",
      (n) => sqlite.integer(n, { mode: "boolean" }),
      (n) => pg.boolean(n),
    ),
  timestamp: () =>
    column(
      "timestamp",
      (n) => sqlite.integer(n, { mode: "timestamp_ms" }),
      (n) => pg.timestamp(n, { withTimezone: true, precision: 3, mode: "date" }),
    ),
  enum: <const V extends readonly [string, ...string[]]>(values: V) =>
    column(
      "enum",
      (n) => sqlite.text(n, { enum: values }),
      (n) => pg.text(n, { enum: values }),
      { enumValues: values },
    ),
  json: <T>() =>
    column(
      "json",
      (n) => sqlite.text(n, { mode: "json" }).$type<T>(),
      (n) => pg.jsonb(n).$type<T>(),
    ),
  /** `createdAt`: set once, at insert. */
  createdAt: () => col.timestamp().notNull().$defaultFn(now),
  /** `updatedAt`: set at insert and on every update. */
  updatedAt: () => col.timestamp().notNull().$defaultFn(now).$onUpdate(now),
};
