import { existsSync } from "node:fs";
import path from "node:path";
import { type Database, openDatabase, parseDatabaseUrl } from "@groundwork/db";
import { tables } from "@groundwork/domain";
import type { Config } from "./config.js";
import { UsageError } from "./output.js";

/** Opens the configured database with the workspace's tables; a SQLite file or PGlite folder is made if missing. */
export function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({ url: config.databaseUrl, replicaUrls: config.replicaUrls, poolMax: config.poolMax, tables });
}

/**
 * Opens the configured database for a command that works on what is there (backup, migrate status
 * and down, the source of a transfer): a SQLite file or PGlite folder that does not exist is a
 * DATABASE_URL that names the wrong place, not a database to make (a backup of it would be empty).
 */
export function openExistingDatabase(config: Config): Promise<Database> {
  const target = parseDatabaseUrl(config.databaseUrl);
  // A PGlite folder holds a database once PG_VERSION is written in it.
  const [place, mark] =
    target.driver === "better-sqlite3" && target.file !== ":memory:"
      ? [target.file, target.file]
      : target.driver === "pglite" && target.dataDir !== undefined
        ? [target.dataDir, path.join(target.dataDir, "PG_VERSION")]
        : [];
  if (place !== undefined && mark !== undefined && !existsSync(mark)) {
    throw new UsageError(`no database at ${place} (DATABASE_URL); groundwork migrate up or serve makes one there`);
  }
  return openConfiguredDatabase(config);
}
