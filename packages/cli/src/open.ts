import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { type Database, type DatabaseTarget, openDatabase, parseDatabaseUrl } from "@groundwork/db";
import { tables } from "@groundwork/domain";
import type { Config } from "./config.js";
import { fileFailure, isDirectory, makeDirs, removeMade } from "./files.js";
import { CommandFailure, UsageError } from "./output.js";

/** Opens the configured database with the workspace's tables; a SQLite file or PGlite folder is made if missing. */
export function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabaseAt(config.databaseUrl, { replicaUrls: config.replicaUrls, poolMax: config.poolMax });
}

/**
 * Opens the database at `url` with the workspace's tables, making the folders a SQLite file or
 * PGlite folder goes in first (one level at a time: see makeDirs). Returns the folders it made.
 */
export async function openDatabaseAt(
  url: string,
  options: { replicaUrls?: string[]; poolMax?: number | undefined; made?: string[] } = {},
): Promise<Database> {
  const place = placeOf(parseDatabaseUrl(url));
  if (place !== undefined) {
    const folder = place.kind === "file" ? path.dirname(place.path) : place.path;
    if (existsSync(folder) && !isDirectory(folder)) {
      throw new CommandFailure(`cannot use ${folder} as a folder: it is a file`);
    }
    let made: string[];
    try {
      made = makeDirs(folder);
    } catch (error) {
      throw fileFailure("make the folder", folder, error);
    }
    options.made?.push(...made);
  }
  return openDatabase({ url, replicaUrls: options.replicaUrls, poolMax: options.poolMax, tables });
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

/**
 * Refuses an in-memory database for `what` (a backup or a transfer): one lives only as long as the
 * process that opened it, so this one would be new and empty, or its copy would vanish at the end.
 */
export function refuseInMemory(url: string, what: string): void {
  if (isInMemory(parseDatabaseUrl(url))) throw new UsageError(`${url} is in memory: ${what}`);
}

/** An embedded database with no file or folder to live in. */
export function isInMemory(target: DatabaseTarget): boolean {
  return target.driver !== "postgres-js" && placeOf(target) === undefined;
}

/** The SQLite file or PGlite folder a database lives in; undefined for a server or memory. */
export function placeOf(target: DatabaseTarget): { kind: "file" | "folder"; path: string } | undefined {
  if (target.driver === "better-sqlite3" && target.file !== ":memory:") return { kind: "file", path: target.file };
  if (target.driver === "pglite" && target.dataDir !== undefined) return { kind: "folder", path: target.dataDir };
  return undefined;
}

/**
 * What a command that fills a new database (transfer, restore) made of the SQLite file or PGlite
 * folder at `target`, and what removes it again when the command fails: a file or folder left
 * behind would look like a copy. Pass `made` to `openDatabaseAt`, which adds the folders it makes.
 * A file or folder that held something before is left as it is; so is a server's database.
 */
export function madePlace(target: DatabaseTarget): { made: string[]; remove(): void } {
  const place = placeOf(target);
  const fresh = place === undefined ? "server" : !existsSync(place.path) ? "missing" : isEmptyFolder(place.path);
  const made: string[] = [];
  return {
    made,
    remove() {
      if (place === undefined) return;
      if (fresh === "missing") {
        const files =
          place.kind === "file" ? ["", "-wal", "-shm", "-journal"].map((s) => place.path + s) : [place.path];
        removeMade(files, made);
      } else if (fresh === true) {
        // An empty folder that was there stays, emptied again.
        removeMade(
          readdirSync(place.path).map((name) => path.join(place.path, name)),
          [],
        );
      }
    },
  };
}

function isEmptyFolder(folder: string): boolean {
  try {
    return readdirSync(folder).length === 0;
  } catch {
    return false;
  }
}

/** The SQLite file, or PGlite folder without a database in it (no PG_VERSION), that is not there. */
function missingPlace(target: DatabaseTarget): string | undefined {
  const place = placeOf(target);
  if (place?.kind === "file") return existsSync(place.path) ? undefined : place.path;
  if (place?.kind === "folder") return existsSync(path.join(place.path, "PG_VERSION")) ? undefined : place.path;
  return undefined;
}
