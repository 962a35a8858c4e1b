import { createHash } from "node:crypto";
import {
  type AnyTable,
  type Database,
  DatabaseUnavailableError,
  Migrator,
  parseDatabaseUrl,
  type Session,
} from "@groundwork/db";
import { migrationsDir, tables } from "@groundwork/domain";
import { sql } from "drizzle-orm";
import { madePlace, openDatabaseAt } from "./open.js";
import { CommandFailure, type Output, UsageError } from "./output.js";

/** Rows read and written at a time. */
const PAGE = 500;
/** A line of progress within a table every so many rows. */
const PROGRESS_EVERY = 10_000;

/** The tables, each after every table it references, so rows can be inserted in this order. */
export function tablesInOrder(tables: Iterable<AnyTable>): AnyTable[] {
  const all = new Map([...tables].map((t) => [t.name, t]));
  const ordered: AnyTable[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (table: AnyTable, path: string[]) => {
    const seen = state.get(table.name);
    if (seen === "done") return;
    if (seen === "visiting")
      throw new Error(`the tables reference each other in a cycle: ${[...path, table.name].join(" → ")}`);
    state.set(table.name, "visiting");
    for (const column of Object.values(table.info.columns)) {
      const target = column.references?.table().name;
      const referenced = target === undefined || target === table.name ? undefined : all.get(target);
      if (referenced) visit(referenced, [...path, table.name]);
    }
    state.set(table.name, "done");
    ordered.push(table);
  };
  for (const table of all.values()) visit(table, []);
  return ordered;
}

/**
 * The number of rows (soft-deleted ones too) in each of the tables that has any; a table the
 * database lacks has none.
 */
export async function rowCounts(db: Session, tables: Iterable<AnyTable>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of tables) {
    let n = 0;
    try {
      n = await db.repo(table).count({}, { deleted: "include" });
    } catch {
      continue; // not created yet: its migration is still to come
    }
    if (n > 0) counts.set(table.name, n);
  }
  return counts;
}

/** The same value with its object keys sorted and its dates as ISO text: equal rows, equal JSON. */
function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, canonical(record[key])]),
    );
  }
  return value;
}

/** Every row of a table, live or soft-deleted, a page at a time in key order. */
async function* rowsOf(db: Session, table: AnyTable): AsyncGenerator<Record<string, unknown>[]> {
  let cursor: string | undefined;
  do {
    const page = await db.repo(table).list({ limit: PAGE, cursor, deleted: "include" });
    if (page.data.length > 0) yield page.data as Record<string, unknown>[];
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** The hash of one row as the layer reads it (see `digestOf`). */
export function rowHash(row: Record<string, unknown>): string {
  return createHash("sha256")
    .update(JSON.stringify(canonical(row)))
    .digest("hex");
}

/** A table's digest from the hashes of its rows (`rowHash`), in whatever order they came; sorts them. */
export function digestOfHashes(hashes: string[]): string {
  hashes.sort();
  const digest = createHash("sha256");
  for (const hash of hashes) digest.update(hash);
  return digest.digest("hex");
}

/**
 * A digest of a table's rows as the layer reads them, whatever the dialect: each row's canonical
 * JSON is hashed, and the sorted hashes hashed again, so the order the dialects sort text in does
 * not matter. `progress` hears the number of rows hashed so far after each page.
 */
export async function digestOf(
  db: Session,
  table: AnyTable,
  progress: (rows: number) => void = () => {},
): Promise<{ rows: number; digest: string }> {
  const hashes: string[] = [];
  for await (const page of rowsOf(db, table)) {
    for (const row of page) hashes.push(rowHash(row));
    progress(hashes.length);
  }
  return { rows: hashes.length, digest: digestOfHashes(hashes) };
}

/** What a copy's messages call it and the side it copies from: "copy" and "source" unless told. */
export interface CopyWords {
  copy: string;
  source: string;
}

const TRANSFER_WORDS: CopyWords = { copy: "copy", source: "source" };

/**
 * Throws the CommandFailure that rolls a copy back when a table of the copy does not hold as many
 * rows, with the same digest, as its source.
 */
export function refuseMismatch(
  table: string,
  source: { rows: number; digest: string },
  copy: { rows: number; digest: string },
  words: CopyWords = TRANSFER_WORDS,
): void {
  if (source.rows !== copy.rows) {
    throw new CommandFailure(
      `the ${words.copy} of ${table} holds ${copy.rows} rows, the ${words.source} ${source.rows}: nothing was kept`,
    );
  }
  if (source.digest !== copy.digest) {
    throw new CommandFailure(
      `the checksum of ${table} differs after the ${words.copy} (${source.rows} rows on each side): some values did not survive the ${words.copy}; nothing was kept`,
    );
  }
}

export interface TransferOptions {
  /** A line of progress within a table every so many rows (default 10 000). */
  progressEvery?: number;
  /** What the messages call the copy and its source (restore: "restore" and "backup"). */
  words?: CopyWords;
}

/**
 * Copies every row of every table from `from` to `to`, in one transaction on each side, and checks
 * that each table holds as many rows with the same digest on both before the copy commits; a
 * mismatch rolls the copy back. `to` must have the schema and no rows. Both phases, the copy and
 * the check, report progress every `progressEvery` rows of a table.
 */
export async function transferRows(
  from: Database,
  to: Database,
  tables: Iterable<AnyTable>,
  progress: (line: string) => void,
  options: TransferOptions = {},
): Promise<{ tables: number; rows: number }> {
  const every = options.progressEvery ?? PROGRESS_EVERY;
  const words = options.words ?? TRANSFER_WORDS;
  const ordered = tablesInOrder(tables);
  const snapshot = from.dialect === "postgres" ? { isolationLevel: "repeatable read" as const } : {};
  return from.transaction(
    (source) =>
      to.transaction(async (target) => {
        let total = 0;
        const counts = new Map<string, number>();
        for (const table of ordered) {
          let copied = 0;
          for await (const page of rowsOf(source, table)) {
            await target.repo(table).createMany(page);
            copied += page.length;
            if (copied % every < page.length) progress(`  ${table.name}: ${copied} rows …`);
          }
          total += copied;
          counts.set(table.name, copied);
          if (copied > 0) progress(`  ${table.name}: ${copied} ${copied === 1 ? "row" : "rows"}`);
        }
        progress(`checking every table's count and checksum (${total} rows on each side) …`);
        for (const table of ordered) {
          const expected = counts.get(table.name) ?? 0;
          const hashed = (side: string) => {
            let last = 0;
            return (rows: number) => {
              if (Math.floor(rows / every) > Math.floor(last / every)) {
                progress(`  ${table.name}: ${rows} of ${expected} rows checked in the ${side} …`);
              }
              last = rows;
            };
          };
          const a = await digestOf(source, table, hashed(words.source));
          const b = await digestOf(target, table, hashed("target"));
          refuseMismatch(table.name, a, b, words);
        }
        await gatherStatistics(target, ordered, progress);
        return { tables: ordered.length, rows: total };
      }),
    snapshot,
  );
}

/**
 * Has PostgreSQL gather the statistics of the tables just filled, in the copy's transaction, so they
 * commit with the rows (as pg_dump's documentation advises after a restore). Until autovacuum comes
 * by, a planner without them takes each table for a few rows: a page of 50 tickets after a cursor
 * sorted every ticket after it. Only these tables: others in the database are not the copy's to lock.
 * SQLite plans from its indexes, as for every database the layer opens.
 */
export async function gatherStatistics(
  target: Session,
  tables: readonly AnyTable[],
  progress: (line: string) => void,
): Promise<void> {
  if (target.dialect !== "postgres" || tables.length === 0) return;
  progress("gathering the query planner's statistics (analyze) …");
  const names = tables.map((table) => sql.identifier(table.name));
  await target.execute(sql`analyze ${sql.join(names, sql`, `)}`);
}

/** How a database that is not at this code's schema is refused: what it is called, and the advice. */
export interface NotCurrentWords {
  /** "the source database", "the backup". */
  what: string;
  /** The advice for migrations that were changed after they were applied, or that this code lacks. */
  otherCode: string;
  /** The advice for migrations still to apply. */
  pending: string;
}

/**
 * Refuses a database whose migrations are not exactly this code's (the source of a copy must be at
 * the schema the copy writes), with advice that works for its case.
 */
export async function refuseNotCurrent(db: Database, words: NotCurrentWords): Promise<void> {
  const states = await new Migrator(db, migrationsDir(db.dialect)).status();
  const changed = states.filter((s) => s.status === "changed").map((s) => `${s.id} changed after it was applied`);
  const unknown = states.filter((s) => s.status === "unknown").map((s) => `${s.id} unknown to this code`);
  if (changed.length + unknown.length > 0) {
    throw new UsageError(
      `${words.what}'s migrations do not match this code's (${[...changed, ...unknown].join(", ")}): ${words.otherCode}`,
    );
  }
  const pending = states.filter((s) => s.status === "pending").map((s) => s.id);
  if (pending.length > 0) {
    throw new UsageError(`${words.what} is not current (${pending.join(", ")} pending): ${words.pending}`);
  }
}

/** A database error's own words, for "the copy failed, nothing was kept: …": never a stack trace. */
export function describeFailure(error: unknown): string {
  if (error instanceof DatabaseUnavailableError) {
    return (error.cause as Error | undefined)?.message ?? error.message;
  }
  return (error as Error).message ?? String(error);
}

/** How a command that fills an empty database (transfer, restore) speaks of it. */
export interface FillWords {
  /** What the database filled is called: "the target", "the database". */
  target: string;
  /** What the command does, for the refusal of a database that holds rows: "transfer copies". */
  does: string;
  /** Said after `applied  <id>`: " to the target", or nothing. */
  appliedTo: string;
  /** How a failure begins: "the copy failed". */
  failed: string;
}

/**
 * Opens the database at `url` and fills it with `fill`, for a command that copies into an empty
 * database: one that holds rows is refused before its schema is touched, its pending migrations are
 * applied first, a failure of `fill` is said in one line, and when anything fails the SQLite file or
 * PGlite folder the command made is removed again: left behind, it would look like a copy.
 */
export async function fillEmptyDatabase(
  url: string,
  options: { poolMax?: number | undefined },
  out: Output,
  words: FillWords,
  fill: (db: Database) => Promise<void>,
): Promise<void> {
  const place = madePlace(parseDatabaseUrl(url));
  let done = false;
  try {
    const db = await openDatabaseAt(url, { made: place.made, poolMax: options.poolMax });
    try {
      const held = await rowCounts(db, Object.values(tables));
      if (held.size > 0) {
        const some = [...held].slice(0, 3).map(([name, n]) => `${name}: ${n}`);
        throw new UsageError(
          `${words.target} holds rows already (${some.join(", ")}): ${words.does} into an empty database`,
        );
      }
      const applied = await new Migrator(db, migrationsDir(db.dialect)).up();
      for (const id of applied) out.info(`applied  ${id}${words.appliedTo}`);
      await fill(db).catch((error) => {
        if (error instanceof CommandFailure) throw error;
        throw new CommandFailure(`${words.failed}, nothing was kept: ${describeFailure(error)}`);
      });
      done = true;
    } finally {
      await db.close();
    }
  } finally {
    if (!done) place.remove();
  }
}
