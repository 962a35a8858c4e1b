import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { createInterface } from "node:readline";
import { type AnyTable, type Database, rowFromPostgres, ValidationError } from "@groundwork/db";
import { getTableColumns } from "drizzle-orm";
import { fileFailure, isFileError } from "./files.js";
import { CommandFailure } from "./output.js";
import {
  type CopyWords,
  describeFailure,
  digestOf,
  digestOfHashes,
  gatherStatistics,
  refuseMismatch,
  rowHash,
  tablesInOrder,
} from "./transfer.js";

/** Rows inserted at a time. */
const PAGE = 500;
/** A line of progress within a table every so many rows. */
const PROGRESS_EVERY = 10_000;
/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");
/** How much of a file is read to tell what kind of backup it is. */
const HEAD = 4096;

export const RESTORE_WORDS: CopyWords = { copy: "restore", source: "backup" };

/**
 * What kind of backup `file` is, told by its content rather than its name: a SQLite database file
 * (`groundwork backup` of SQLite) or a dump of JSON lines (of PostgreSQL; empty when every table
 * was). Anything else is refused in one line.
 */
export function backupKind(file: string): "sqlite" | "dump" {
  const head = Buffer.alloc(HEAD);
  let read: number;
  try {
    const fd = openSync(file, "r");
    try {
      read = readSync(fd, head, 0, HEAD, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw isFileError(error) ? fileFailure("read", file, error) : error;
  }
  const text = head.subarray(0, read).toString("utf8");
  if (read < HEAD && text.trim() === "") return "dump";
  if (read >= SQLITE_HEADER.length && head.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) return "sqlite";
  if (/^\s*$|^\s*\{\s*"(table|row)"\s*:/.test(text)) return "dump";
  throw new CommandFailure(
    `${file} is not a backup made by groundwork backup: neither a SQLite database file nor JSON lines of rows`,
  );
}

/** A table as a dump holds it: its definition and its columns' SQL names, in the repository's order. */
interface DumpTable {
  definition: AnyTable;
  /** SQL column names, in the order `Repository.decode` takes the values (`getTableColumns`). */
  columns: string[];
  /** Property name → SQL column name, to name a column in a message as the backup does. */
  sqlNames: Map<string, string>;
}

function dumpTables(definitions: Iterable<AnyTable>): Map<string, DumpTable> {
  return new Map(
    [...definitions].map((definition) => {
      const columns = Object.entries(getTableColumns(definition.pg));
      return [
        definition.name,
        {
          definition,
          columns: columns.map(([, column]) => column.name),
          sqlNames: new Map(columns.map(([key, column]) => [key, column.name])),
        },
      ];
    }),
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const ANOTHER_VERSION =
  "the backup was written at another version of the schema; restore it with the version of groundwork that wrote it, then upgrade";

const named = (what: string, names: string[]) =>
  `${what}${names.length === 1 ? "" : "s"} ${names.map((n) => `"${n}"`).join(", ")}`;

/**
 * Line `n` of a dump (`{"table": …, "row": {…}}`), checked: its table is one of this version's and
 * its row has exactly that table's columns. Undefined for a blank line.
 */
function parseLine(
  text: string,
  n: number,
  known: Map<string, DumpTable>,
): { table: DumpTable; row: Record<string, unknown> } | undefined {
  if (text.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CommandFailure(`line ${n}: not JSON (${(error as Error).message}): the backup is damaged`);
  }
  if (
    !isRecord(parsed) ||
    typeof parsed.table !== "string" ||
    !isRecord(parsed.row) ||
    Object.keys(parsed).length !== 2
  ) {
    throw new CommandFailure(`line ${n}: not a row of a backup ({"table": …, "row": {…}} expected)`);
  }
  const table = known.get(parsed.table);
  if (!table) {
    throw new CommandFailure(
      `line ${n}: this version of the schema has no table "${parsed.table}": ${ANOTHER_VERSION}`,
    );
  }
  const row = parsed.row;
  const keys = Object.keys(row);
  if (keys.length !== table.columns.length || !table.columns.every((c) => Object.hasOwn(row, c))) {
    const extra = keys.filter((k) => !table.columns.includes(k));
    const missing = table.columns.filter((c) => !Object.hasOwn(row, c));
    const has =
      extra.length > 0 ? `has the ${named("column", extra)}, which this version's ${table.definition.name} lacks` : "";
    const lacks = missing.length > 0 ? `lacks the ${named("column", missing)}` : "";
    throw new CommandFailure(
      `line ${n}: the row of ${table.definition.name} ${[has, lacks].filter(Boolean).join(", and ")}: ${ANOTHER_VERSION}`,
    );
  }
  return { table, row };
}

/** The lines of `file`, read a chunk at a time (never the whole file at once). */
async function* linesOf(file: string): AsyncGenerator<string> {
  const input = createReadStream(file, { encoding: "utf8" });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let failed: unknown;
  input.on("error", (error) => {
    failed = error;
    lines.close();
  });
  try {
    for await (const line of lines) {
      if (failed) break;
      yield line;
    }
    if (failed) throw failed;
  } catch (error) {
    throw isFileError(error) ? fileFailure("read", file, error) : error;
  } finally {
    lines.close();
    input.destroy();
  }
}

/** The lines of a file in order, numbered from 1, read as they are asked for. */
class LineReader {
  /** The number of the line `next` gave last; 0 before the first. */
  n = 0;
  private lines: AsyncGenerator<string>;

  constructor(private readonly file: string) {
    this.lines = linesOf(file);
  }

  /** The next line, or undefined at the end of the file. */
  async next(): Promise<string | undefined> {
    const { value, done } = await this.lines.next();
    if (done) return undefined;
    this.n++;
    return value;
  }

  /** Goes back to before the first line. */
  async restart(): Promise<void> {
    await this.close();
    this.lines = linesOf(this.file);
    this.n = 0;
  }

  /** Closes the file (also in the middle of it). */
  async close(): Promise<void> {
    await this.lines.return(undefined);
  }
}

/** What a dump holds, found by reading it once: rows per table, and where each table's lines are. */
export interface DumpContents {
  rows: number;
  /** Rows per table, for the tables that have any. */
  counts: Map<string, number>;
  /** The numbers of each table's first and last line. */
  spans: Map<string, { first: number; last: number }>;
}

/**
 * Reads a dump once and checks every line (see `parseLine`) before anything is written: a line
 * that is no row of this version's tables is refused with its number. A dump without rows, the
 * backup of a database whose tables were all empty, restores as such.
 */
export async function readDump(file: string, definitions: Iterable<AnyTable>): Promise<DumpContents> {
  const known = dumpTables(definitions);
  const contents: DumpContents = { rows: 0, counts: new Map(), spans: new Map() };
  let n = 0;
  for await (const text of linesOf(file)) {
    n++;
    const line = parseLine(text, n, known);
    if (!line) continue;
    const name = line.table.definition.name;
    contents.rows++;
    contents.counts.set(name, (contents.counts.get(name) ?? 0) + 1);
    const span = contents.spans.get(name);
    if (span) span.last = n;
    else contents.spans.set(name, { first: n, last: n });
  }
  return contents;
}

/**
 * Writes the rows of a dump (read by `readDump`) into `db`, which must have the schema and no rows,
 * in one transaction: table by table, each after the tables it references, a page at a time. Each
 * row is decoded as the layer decodes PostgreSQL's values, so it is written, into either dialect, as
 * `transfer` writes it.
 * Before the transaction commits, every table is checked to hold as many rows, with the same digest,
 * as the dump; a mismatch, or any failure, keeps nothing.
 */
export async function restoreDump(
  db: Database,
  file: string,
  contents: DumpContents,
  definitions: Iterable<AnyTable>,
  progress: (line: string) => void,
  options: { progressEvery?: number } = {},
): Promise<{ tables: number; rows: number }> {
  const every = options.progressEvery ?? PROGRESS_EVERY;
  const known = dumpTables(definitions);
  const ordered = tablesInOrder(definitions);
  const lines = new LineReader(file);
  return db
    .transaction(async (tx) => {
      const expected = new Map<string, { rows: number; digest: string }>();
      let total = 0;
      for (const definition of ordered) {
        const span = contents.spans.get(definition.name);
        const hashes: string[] = [];
        if (span) {
          const repo = tx.repo(definition);
          let page: Record<string, unknown>[] = [];
          let pageLines: number[] = [];
          const flush = async () => {
            try {
              await repo.createMany(page);
              // Hashed once written: a value the layer refuses is refused at its line first.
              for (const row of page) hashes.push(rowHash(row));
            } catch (error) {
              throw failureAt(error, pageLines, known.get(definition.name) as DumpTable);
            }
            if (hashes.length % every < page.length) progress(`  ${definition.name}: ${hashes.length} rows …`);
            page = [];
            pageLines = [];
          };
          // A backup holds each table's rows together, in the order they are written here: the file is
          // read once, each table from where the one before it stopped. A table whose lines come
          // earlier in the file than that has it read again from the start.
          if (span.first <= lines.n) await lines.restart();
          while (lines.n < span.last) {
            const text = await lines.next();
            if (text === undefined) break;
            const n = lines.n;
            if (n < span.first) continue;
            const line = parseLine(text, n, known);
            if (line?.table.definition !== definition) continue;
            // The line holds the row as PostgreSQL's driver read it, decoded as the layer decodes those.
            page.push(
              rowFromPostgres(
                definition,
                line.table.columns.map((column) => line.row[column]),
              ),
            );
            pageLines.push(n);
            if (page.length === PAGE) await flush();
          }
          if (page.length > 0) await flush();
          const count = contents.counts.get(definition.name) ?? 0;
          if (hashes.length !== count) {
            throw new CommandFailure(
              `${file} changed during the restore (${definition.name}: ${count} rows, then ${hashes.length}): nothing was kept`,
            );
          }
          progress(`  ${definition.name}: ${count} ${count === 1 ? "row" : "rows"}`);
        }
        total += hashes.length;
        expected.set(definition.name, { rows: hashes.length, digest: digestOfHashes(hashes) });
      }
      progress(`checking every table's count and checksum (${total} rows) …`);
      for (const definition of ordered) {
        const restored = await digestOf(tx, definition);
        refuseMismatch(
          definition.name,
          expected.get(definition.name) as { rows: number; digest: string },
          restored,
          RESTORE_WORDS,
        );
      }
      await gatherStatistics(tx, ordered, progress);
      return { tables: ordered.length, rows: total };
    })
    .finally(() => lines.close());
}

/** The failure of writing a page of rows, with the line (or lines) of the dump it came from. */
function failureAt(error: unknown, lines: number[], table: DumpTable): CommandFailure {
  if (error instanceof CommandFailure) return error;
  if (error instanceof ValidationError) {
    const index = error.issues[0]?.path[0];
    const line = typeof index === "number" ? lines[index] : undefined;
    if (line !== undefined) {
      const issues = error.issues
        .filter((issue) => issue.path[0] === index)
        .map(({ path, message }) => {
          const [key, ...rest] = path.slice(1);
          const column = typeof key === "string" ? (table.sqlNames.get(key) ?? key) : key;
          return `${[column, ...rest].join(".") || "(row)"}: ${message}`;
        });
      return new CommandFailure(
        `the restore failed, nothing was kept: line ${line}: ${table.definition.name}: invalid value: ${issues.join("; ")}`,
      );
    }
  }
  const where = lines.length === 1 ? `line ${lines[0]}` : `lines ${lines[0]}–${lines.at(-1)}`;
  return new CommandFailure(`the restore failed, nothing was kept: ${where}: ${describeFailure(error)}`);
}
