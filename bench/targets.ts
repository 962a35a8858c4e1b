import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { type Database, Migrator, openDatabase } from "@groundwork/db";
import { createScratchDatabase } from "@groundwork/db/testing/scratch-database";
import { migrationsDir, tables } from "@groundwork/domain";
import type BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { KyselyPGlite } from "kysely-pglite";
import { PostgresJSDialect } from "kysely-postgres-js";
import type postgres from "postgres";

// biome-ignore lint/suspicious/noExplicitAny: the bench queries Kysely untyped, as a user without codegen would.
export type AnyKysely = Kysely<any>;

/** The raw driver of a target, the same one the layer runs on. */
export type Raw =
  | { kind: "better-sqlite3"; client: BetterSqlite3.Database }
  | { kind: "postgres-js"; sql: postgres.Sql }
  | { kind: "pglite"; client: PGlite };

export interface Target {
  /** "SQLite", "PostgreSQL" or "PGlite". */
  name: string;
  db: Database;
  raw: Raw;
  kysely: AnyKysely;
  close(): Promise<void>;
}

async function migrate(db: Database) {
  await new Migrator(db, migrationsDir(db.dialect)).up();
}

/** A temp-file SQLite database (WAL, as openDatabase sets it up); raw and Kysely share its connection. */
export async function sqliteTarget(): Promise<Target> {
  const dir = mkdtempSync(path.join(tmpdir(), "groundwork-bench-"));
  const db = await openDatabase({ url: `file:${path.join(dir, "bench.db")}`, tables });
  await migrate(db);
  const client = db.shared.sqlite?.client;
  if (!client) throw new Error("expected a better-sqlite3 database");
  const kysely: AnyKysely = new Kysely({ dialect: new SqliteDialect({ database: client }) });
  return {
    name: "SQLite",
    db,
    raw: { kind: "better-sqlite3", client },
    kysely,
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database on the server of `serverUrl`, dropped by `close`. */
export async function postgresTarget(serverUrl: string): Promise<Target> {
  const scratch = await createScratchDatabase(serverUrl, "gw_bench");
  // A run that cannot begin drops the database here; one that ran drops it in `close`.
  const db = await openDatabase({ url: scratch.url, tables }).catch(async (error: unknown) => {
    await scratch.drop();
    throw error;
  });
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    await scratch.drop();
    throw error;
  }
  // Raw and Kysely run on the layer's own postgres-js client, so all of them talk to the same server
  // connection (one at a time, their calls being sequential). Two connections of one server, each
  // served by its own backend process, answer the same statement up to 15% apart on a 2-core machine,
  // and which one is faster changes from run to run; with separate clients that showed in the ratios.
  // Drizzle sets this client to pass timestamps as text both ways; the raw cases bind them so.
  const sql = (db.drizzle as unknown as { $client: postgres.Sql }).$client;
  const kysely: AnyKysely = new Kysely({ dialect: new PostgresJSDialect({ postgres: sql }) });
  return {
    name: "PostgreSQL",
    db,
    raw: { kind: "postgres-js", sql },
    kysely,
    async close() {
      await db.close();
      await scratch.drop();
    },
  };
}

/** Embedded PostgreSQL in memory; raw and Kysely use the layer's own PGlite instance. */
export async function pgliteTarget(): Promise<Target> {
  const db = await openDatabase({ url: "pglite://memory", tables });
  await migrate(db);
  const client = (db.drizzle as unknown as { $client: PGlite }).$client;
  const kysely: AnyKysely = new Kysely({ dialect: new KyselyPGlite(client as never).dialect });
  return {
    name: "PGlite",
    db,
    raw: { kind: "pglite", client },
    kysely,
    async close() {
      await db.close();
    },
  };
}
