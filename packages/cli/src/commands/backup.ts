import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { backupDatabase, defaultBackupFile } from "../backup.js";
import { readConfig } from "../config.js";
import { openExistingDatabase } from "../open.js";
import { commandArgs, type Output, UsageError } from "../output.js";

export const backupHelp = `Usage: groundwork backup [<file>]

Writes a copy of the database (DATABASE_URL, default file:./data/groundwork.db) to <file>, by
default ./data/backups/groundwork-<time>.db (SQLite) or .jsonl (PostgreSQL). The file must not
exist yet.

  SQLite      an online backup: a complete database file, consistent while the server writes;
              open it as DATABASE_URL=file:<file>
  PostgreSQL  a logical dump: one JSON line per row ({"table": …, "row": {…}}) of every table,
              all read in one repeatable-read transaction`;

export async function backup(args: string[], out: Output): Promise<number> {
  const { positionals } = commandArgs("backup", args, {}, 1);
  const given = positionals[0] === undefined ? undefined : path.resolve(positionals[0]);
  if (given !== undefined && existsSync(given)) throw new UsageError(`${given} exists already: name a new file`);

  const db = await openExistingDatabase(readConfig());
  try {
    const file = given ?? defaultBackupFile(db);
    out.info(`backing up ${db.url} (${db.driver}) to ${file} …`);
    await backupDatabase(db, file, (line) => out.info(line));
    const size = statSync(file).size;
    out.info(
      size === 0
        ? "backed up nothing: the database has none of the workspace's tables (not migrated yet?)"
        : `backed up: ${size} bytes`,
    );
    return 0;
  } finally {
    await db.close();
  }
}
