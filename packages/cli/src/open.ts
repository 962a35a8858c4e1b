import { existsSync } from "node:fs";
import path from "node:path";
import { type Database, type DatabaseTarget, openDatabase, parseDatabaseUrl } from "@groundwork/db";
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
  const missing = missingPlace(parseDatabaseUrl(config.databaseUrl));
  if (missing !== undefined) {
    throw new UsageError(`no database at ${missing} (DATABASE_URL); groundwork migrate up or serve makes one there`);
  }
  return openConfiguredDatabase(config);
}

/** The SQLite file, or PGlite folder without a database in it (no PG_VERSION), that is not there. */
function missingPlace(target: DatabaseTarget): string | undefined {
  if (target.driver === "better-sqlite3" && target.file !== ":memory:") {
    return existsSync(target.file) ? undefined : target.file;
  }
  if (target.driver === "pglite" && target.dataDir !== undefined) {
    return existsSync(path.join(target.dataDir, "PG_VERSION")) ? undefined : target.dataDir;
  }
  return undefined;
}
