import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Database, Migrator } from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureMigrations } from "./fixtures/database.js";
import { fixtureTables, owners } from "./fixtures/schema.js";

/** Starts a writer process, lets it acknowledge `count` commits, kills it with SIGKILL, returns what it acknowledged. */
function writeThenKill(url: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./fixtures/write-forever.ts", import.meta.url)), url],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const acknowledged: string[] = [];
    let buffer = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      acknowledged.push(...lines.filter((l) => l.length > 0));
      if (acknowledged.length >= count) child.kill("SIGKILL");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (_code, signal) =>
      signal === "SIGKILL" ? resolve(acknowledged) : reject(new Error(`writer stopped by itself: ${stderr}`)),
    );
  });
}

// PGlite is embedded in the writing process, so killing the process is killing the database; the
// guarantee under test is the server's and SQLite's.
describe.each(testDialects().filter((d) => d.name !== "postgres (pglite)"))("durability on $name", (dialect) => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await dialect.create();
    const setup = await testDb.open({ tables: fixtureTables });
    await new Migrator(setup, await fixtureMigrations(dialect.dialect)).up();
    await setup.close();
  });
  afterAll(() => testDb?.drop());

  it("keeps every acknowledged write, whole, when the writing process is killed", async () => {
    const acknowledged = await writeThenKill(testDb.url, 300);
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);

    db = await testDb.open({ tables: fixtureTables });
    if (dialect.dialect === "sqlite") {
      expect(await db.execute(sql`PRAGMA integrity_check`)).toEqual([{ integrity_check: "ok" }]);
    }
    const stored = await db.repo(owners).list({ limit: 10_000 });
    const ids = new Set(stored.data.map((o) => o.id));
    expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
    // No half-done transaction: every stored row has both of its writes.
    expect(stored.data.filter((o) => !o.name.endsWith("(done)"))).toEqual([]);
  });
});
