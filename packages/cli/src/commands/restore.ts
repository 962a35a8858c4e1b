import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { type Database, openDatabase, parseDatabaseUrl } from "@groundwork/db";
import { tables } from "@groundwork/domain";
import { tablesPresent } from "../backup.js";
import { readConfig } from "../config.js";
import { fileFailure } from "../files.js";
import { refuseInMemory } from "../open.js";
import { CommandFailure, commandArgs, type Output, UsageError } from "../output.js";
import { backupKind, type DumpContents, RESTORE_WORDS, readDump, restoreDump } from "../restore.js";
import { describeFailure, fillEmptyDatabase, refuseNotCurrent, transferRows } from "../transfer.js";

export const restoreHelp = `Usage: groundwork restore <file>

Restores a backup made by groundwork backup into the database (DATABASE_URL, default
file:./data/groundwork.db). The database gets the schema first (its pending migrations are
applied) and must hold no rows; it may not be in memory (:memory:, pglite://memory), where the
restore would vanish when restore ends. The kind of backup is told by its content:

  SQLite      a database file (.db). It must be at the schema of this version of the code
              (groundwork migrate status on a copy of it); it is read, never migrated
  PostgreSQL  JSON lines (.jsonl). Every line is checked before anything is written: a row whose
              columns are not this version's is refused. An empty one, the backup of empty
              tables, restores the schema alone

Either kind restores into either dialect: file:<path> for SQLite, postgres://… or pglite://<dir>.

The restore is one transaction: each table is checked to hold as many rows, with the same checksum,
as the backup before it commits, and a mismatch or failure keeps nothing (a SQLite file or PGlite
folder the restore made is removed again). Into PostgreSQL, the planner's statistics are gathered
(ANALYZE) in the same transaction, so the restored database is queried well at once. Stop the
server first.`;

export async function restore(args: string[], out: Output): Promise<number> {
  const { positionals } = commandArgs("restore", args, {}, 1);
  const file = backupFile(positionals[0]);
  const config = readConfig();
  const target = parseDatabaseUrl(config.databaseUrl);
  refuseInMemory(
    config.databaseUrl,
    "the restore would vanish when restore ends; set DATABASE_URL to a SQLite file, a pglite://<dir> or a PostgreSQL server",
  );
  if (target.driver === "better-sqlite3" && samePath(target.file, file)) {
    throw new UsageError(`${file} is the database DATABASE_URL names: restore the backup into another one`);
  }

  const definitions = Object.values(tables);
  // The backup is read and checked before the database is opened (and its file or folder made), so
  // that a refusal changes nothing.
  let contents: DumpContents | undefined;
  let source: Database | undefined;
  if (backupKind(file) === "sqlite") source = await openSqliteBackup(file);
  else contents = await readDump(file, definitions);
  try {
    await fillEmptyDatabase(
      config.databaseUrl,
      { poolMax: config.poolMax },
      out,
      { target: "the database", does: "restore writes", appliedTo: "", failed: "the restore failed" },
      async (db) => {
        out.info(`restoring ${file} into ${db.url} (${db.driver}) …`);
        const progress = (line: string) => out.info(line);
        const restored = await (source
          ? transferRows(source, db, definitions, progress, { words: RESTORE_WORDS })
          : restoreDump(db, file, contents as DumpContents, definitions, progress));
        out.info(`restored ${restored.rows} rows of ${restored.tables} tables; every table's count and checksum match`);
      },
    );
    return 0;
  } finally {
    await source?.close();
  }
}

/** The backup named on the command line, resolved: an existing file, or a UsageError. */
function backupFile(name: string | undefined): string {
  if (name === undefined || name.trim() === "") {
    throw new UsageError("name the backup file to restore: groundwork restore <file>; see groundwork restore --help");
  }
  const file = path.resolve(name);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(file).isDirectory();
  } catch (error) {
    throw fileFailure("read", file, error);
  }
  if (isDirectory) throw new UsageError(`${file} is a directory: name a backup file`);
  return file;
}

/**
 * Opens a SQLite backup as the source of the copy. It is not migrated: one that is not at this
 * code's schema is refused, with advice, as is a SQLite file that is no workspace database at all.
 */
async function openSqliteBackup(file: string): Promise<Database> {
  // An absolute path rather than a file: URL, whose name would be URL-decoded (a "%" in it…).
  let source: Database;
  try {
    source = await openDatabase({ url: file, tables });
  } catch (error) {
    throw unreadable(file, error);
  }
  try {
    if ((await tablesPresent(source)).length === 0) {
      throw new CommandFailure(
        `${file} is a SQLite database but no groundwork backup: it has none of the workspace's tables`,
      );
    }
    await refuseNotCurrent(source, {
      what: "the backup",
      otherCode: "restore it with the version of the code that wrote it",
      pending: "migrate a copy of it first (DATABASE_URL=file:<copy> groundwork migrate up), then restore the copy",
    });
    return source;
  } catch (error) {
    await source.close();
    throw error instanceof UsageError || error instanceof CommandFailure ? error : unreadable(file, error);
  }
}

/** A SQLite backup that SQLite cannot read (damaged, or not a database after all), in SQLite's words. */
function unreadable(file: string, error: unknown): CommandFailure {
  const reason = ((error as Error).cause as Error | undefined)?.message ?? describeFailure(error);
  return new CommandFailure(
    `cannot read ${file} as a SQLite backup: ${reason.replace(`cannot open SQLite database ${file}: `, "")}`,
  );
}

/** Whether two paths name the same file (one that does not exist yet is no other). */
function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
