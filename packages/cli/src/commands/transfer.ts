import { type DatabaseTarget, parseDatabaseUrl } from "@groundwork/db";
import { tables } from "@groundwork/domain";
import { readConfig } from "../config.js";
import { isInMemory, openExistingDatabase } from "../open.js";
import { commandArgs, type Output, UsageError } from "../output.js";
import { fillEmptyDatabase, refuseNotCurrent, transferRows } from "../transfer.js";

export const transferHelp = `Usage: groundwork transfer --to <url>

Copies every row of the database (DATABASE_URL, default file:./data/groundwork.db) into the
database at <url>, either dialect: file:<path> for SQLite, postgres://… or pglite://<dir> for
PostgreSQL. The way from one SQLite file to a PostgreSQL server, or back. Neither may be in memory
(:memory:, pglite://memory): such a database lives only as long as the process that opens it.

The source must be at the schema of this version of the code (groundwork migrate status). The
target gets the schema first (its pending migrations are applied) and must hold no rows. The copy
is one transaction: each table is checked to hold as many rows, with the same checksum, as the
source before it commits, and a mismatch keeps nothing (a SQLite file or PGlite folder the transfer
made is removed again). Into PostgreSQL, the planner's statistics are gathered (ANALYZE) in the same
transaction, so the copy is queried well at once. The source is only read; stop the server first,
so that nothing written during the copy is left behind.`;

export async function transfer(args: string[], out: Output): Promise<number> {
  const { values } = commandArgs("transfer", args, { to: { type: "string" } });
  const to = values.to?.trim();
  if (!to) throw new UsageError("name the target database with --to <url>; see groundwork transfer --help");
  let target: DatabaseTarget;
  try {
    target = parseDatabaseUrl(to);
  } catch (error) {
    throw new UsageError(`--to: ${(error as Error).message.replace(/^DATABASE_URL /, "")}`);
  }
  if (isInMemory(target)) {
    throw new UsageError(
      `--to ${to} is in memory: the copy would vanish when transfer ends; name a SQLite file, a pglite://<dir> or a PostgreSQL server`,
    );
  }
  const config = readConfig();
  const from = parseDatabaseUrl(config.databaseUrl);
  if (isInMemory(from)) {
    throw new UsageError(
      `DATABASE_URL ${config.databaseUrl} is in memory: it lives only in the process that opens it, so there is nothing to copy`,
    );
  }
  if (samePlace(from, target)) throw new UsageError("the target is the database being copied (DATABASE_URL)");

  const source = await openExistingDatabase(config);
  try {
    // Checked before the target is opened (and its file or folder made), so a refusal changes nothing.
    await refuseNotCurrent(source, {
      what: "the source database",
      otherCode: "transfer it with the version of the code that migrated it",
      pending: "run groundwork migrate up on it first",
    });
    await fillEmptyDatabase(
      to,
      {},
      out,
      { target: "the target", does: "transfer copies", appliedTo: " to the target", failed: "the copy failed" },
      async (db) => {
        out.info(`copying ${source.url} (${source.driver}) to ${db.url} (${db.driver}) …`);
        const copied = await transferRows(source, db, Object.values(tables), (line) => out.info(line));
        out.info(`copied ${copied.rows} rows of ${copied.tables} tables; every table's count and checksum match`);
      },
    );
    return 0;
  } finally {
    await source.close();
  }
}

/** Whether two URLs name the same database: the same SQLite file, PGlite folder or server URL. */
function samePlace(a: DatabaseTarget, b: DatabaseTarget): boolean {
  if (a.driver === "better-sqlite3" && b.driver === "better-sqlite3") return a.file === b.file;
  if (a.driver === "pglite" && b.driver === "pglite") return a.dataDir === b.dataDir;
  if (a.driver === "postgres-js" && b.driver === "postgres-js") return a.url === b.url;
  return false;
}
