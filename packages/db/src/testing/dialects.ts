import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { type Database, type OpenOptions, openDatabase } from "../database/open.js";
import type { Dialect } from "../database/session.js";
import { createScratchDatabase } from "./scratch-database.js";

/** A fresh, empty database made for one test (or one file), and the way to get rid of it. */
export interface TestDatabase {
  readonly dialect: Dialect;
  /** The `DATABASE_URL` of this database. */
  readonly url: string;
  /** Opens a connection to it (as often as the test likes: each is its own `Database`). */
  open(options?: Omit<OpenOptions, "url">): Promise<Database>;
  /** Closes what `open` opened and deletes the database. */
  drop(): Promise<void>;
}

export interface TestDialect {
  /** `sqlite`, `postgres`, or `postgres (pglite)`. */
  readonly name: string;
  readonly dialect: Dialect;
  /** Makes a new empty database. */
  create(): Promise<TestDatabase>;
}

function tracked(dialect: Dialect, url: string, cleanup: () => Promise<void>): TestDatabase {
  const opened: Database[] = [];
  return {
    dialect,
    url,
    async open(options = {}) {
      const db = await openDatabase({ ...options, url });
      opened.push(db);
      return db;
    },
    async drop() {
      await Promise.all(opened.map((db) => db.close()));
      await cleanup();
    },
  };
}

const sqliteDialect: TestDialect = {
  name: "sqlite",
  dialect: "sqlite",
  async create() {
    const dir = mkdtempSync(path.join(tmpdir(), "groundwork-test-"));
    return tracked("sqlite", `file:${path.join(dir, "test.db")}`, async () =>
      rmSync(dir, { recursive: true, force: true }),
    );
  },
};

function postgresDialect(serverUrl: string): TestDialect {
  return {
    name: "postgres",
    dialect: "postgres",
    async create() {
      const scratch = await createScratchDatabase(serverUrl, "gw_test");
      return tracked("postgres", scratch.url, scratch.drop);
    },
  };
}

const pgliteDialect: TestDialect = {
  name: "postgres (pglite)",
  dialect: "postgres",
  async create() {
    // A directory rather than memory, so a test can close and reopen the same database.
    const dir = mkdtempSync(path.join(tmpdir(), "groundwork-pglite-"));
    return tracked("postgres", `pglite://${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  },
};

/**
 * The dialects every database test runs on: `describe.each(testDialects())("$name", …)`.
 * PostgreSQL is the server chosen by the global setup, or PGlite where there is none.
 */
export function testDialects(): TestDialect[] {
  const target = inject("postgresTarget");
  return [sqliteDialect, target && target !== "pglite" ? postgresDialect(target) : pgliteDialect];
}
