import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { backupDatabase, defaultBackupFile, tablesPresent } from "../backup.js";
import { readConfig } from "../config.js";
import { isDirectory } from "../files.js";
import { openExistingDatabase, refuseInMemory } from "../open.js";
import { CommandFailure, commandArgs, type Output, UsageError } from "../output.js";

export const backupHelp = `Usage: groundwork backup [<file>]

Writes a copy of the database (DATABASE_URL, default file:./data/groundwork.db) to <file>, by
default ./data/backups/groundwork-<time>.db (SQLite) or .jsonl (PostgreSQL). The file must not
exist yet. A database that is in memory (:memory:, pglite://memory) has nothing to back up: it
lives only in the process that opened it. An empty database (migrated, no rows) backs up fine.

  SQLite      an online backup: a complete database file, consistent while the server writes;
              open it as DATABASE_URL=file:<file>
  PostgreSQL  a logical dump: one JSON line per row ({"table": …, "row": {…}}) of every table,
              all read in one repeatable-read transaction

groundwork restore <file> restores either kind into an empty database of either dialect (see
groundwork restore --help).`;

export async function backup(args: string[], out: Output): Promise<number> {
  const { positionals } = commandArgs("backup", args, {}, 1);
  const given = positionals[0] === undefined ? undefined : backupFile(positionals[0]);
  const config = readConfig();
  refuseInMemory(config.databaseUrl, "it lives only in the process that opens it, so there is nothing to back up");

  const db = await openExistingDatabase(config);
  try {
    // Refused before anything is printed or made; backupDatabase checks again, for its other callers.
    if ((await tablesPresent(db)).length === 0) {
      throw new CommandFailure(
        "nothing to back up: the database has none of the workspace's tables (not migrated yet?)",
      );
    }
    const file = given ?? defaultBackupFile(db);
    out.info(`backing up ${db.url} (${db.driver}) to ${file} …`);
    const { rows } = await backupDatabase(db, file, (line) => out.info(line));
    const size = statSync(file).size;
    out.info(`backed up: ${size} bytes${rows === 0 ? " (every table is empty)" : ""}`);
    return 0;
  } finally {
    await db.close();
  }
}

/** The file named on the command line, resolved; a name that is no new file is a UsageError. */
function backupFile(name: string): string {
  if (name.trim() === "")
    throw new UsageError("the backup file name is empty: name a new file, or none for the default");
  const file = path.resolve(name);
  if (isDirectory(file)) throw new UsageError(`${file} is a directory: name a new file (in it, if you like)`);
  if (/[\\/]$/.test(name)) throw new UsageError(`${name} names a directory: name a new file`);
  if (existsSync(file)) throw new UsageError(`${file} exists already: name a new file`);
  return file;
}
