import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Database, openDatabase } from "@groundwork/db";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Checkpointer } from "../src/database/checkpointer.js";

/** Polls `check` every 50 ms until it holds, for at most `ms`. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

// A SQLite file's WAL checkpoints: a feature of the SQLite driver alone, so tested on SQLite alone.
describe("SQLite WAL checkpoints", () => {
  let dir: string;
  let file: string;
  let db: Database;
  const sqlite = () => db.shared.sqlite as NonNullable<Database["shared"]["sqlite"]>;
  const pragma = (name: string): unknown => sqlite().client.pragma(name, { simple: true });
  const autocheckpoint = () => pragma("wal_autocheckpoint");
  /** Writes `rows` rows of 4 KB each, 100 to a transaction. */
  const write = async (rows: number, from = 0) => {
    for (let start = 0; start < rows; start += 100) {
      await db.transaction(async (tx) => {
        for (let i = start; i < Math.min(rows, start + 100); i++) {
          await tx.execute(sql`insert into pages (id, body) values (${from + i}, ${"x".repeat(4000)})`);
        }
      });
    }
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gw-checkpoints-"));
    file = path.join(dir, "app.db");
    db = await openDatabase({ url: `file:${file}` });
    await db.execute(sql`create table pages (id integer primary key, body text not null)`);
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("start no thread for a database that writes little", async () => {
    await write(10);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(sqlite().checkpointer?.running).toBe(false);
    expect(autocheckpoint()).toBe(1000);
  });

  it("move to a thread of their own once the WAL passes 1 MB, which copies the pages while the connection does not", async () => {
    await write(400);
    expect(await eventually(() => sqlite().checkpointer?.running === true, 3000)).toBe(true);
    // The connection leaves checkpoints to the thread, and takes them back only past 10,000 pages.
    expect(await eventually(() => autocheckpoint() === 10_000, 3000)).toBe(true);
    const before = statSync(file).size;
    // 2,000 pages more: past SQLite's own 1,000, below the connection's 10,000. Only the thread can
    // have copied them into the database file.
    await write(2000, 400);
    expect(await eventually(() => statSync(file).size >= before + 2000 * 4096, 10_000)).toBe(true);
    expect(pragma("integrity_check")).toBe("ok");
  });

  it("stop the thread on close, and every row is there when the database is opened again", async () => {
    await write(400);
    expect(await eventually(() => sqlite().checkpointer?.running === true, 3000)).toBe(true);
    await write(1000, 400);
    const checkpointer = sqlite().checkpointer;
    await db.close();
    expect(checkpointer?.running).toBe(false);
    db = await openDatabase({ url: `file:${file}` });
    expect(await db.execute(sql`select count(*) as n from pages`)).toEqual([{ n: 1400 }]);
    expect(pragma("integrity_check")).toBe("ok");
  });

  it("let a process whose last work is closing the database end as usual", async () => {
    const script = fileURLToPath(new URL("./fixtures/write-then-close.ts", import.meta.url));
    const other = `file:${path.join(dir, "other.db")}`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", script, other]);
    expect(stdout).toBe("closed\n");
    expect(stderr).toBe("");
  });

  it("are the connection's again when the thread fails", async () => {
    sqlite().client.pragma("wal_autocheckpoint = 7");
    // A thread that cannot open its file fails at once.
    const failing = new Checkpointer(sqlite().client, path.join(dir, "missing", "app.db"));
    failing.start();
    expect(await eventually(() => !failing.running, 5000)).toBe(true);
    expect(autocheckpoint()).toBe(1000);
    await failing.stop();
  });
});
