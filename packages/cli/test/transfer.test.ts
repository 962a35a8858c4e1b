import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AnyTable, Migrator, openDatabase } from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { Auth, migrationsDir, tables, tickets, users } from "@groundwork/domain";
import { seedDemo } from "@groundwork/domain/seed";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../src/main.js";
import { tablesInOrder, transferRows } from "../src/transfer.js";
import { alteringTickets } from "./altering-tickets.js";
import { capture } from "./capture.js";
import { everything } from "./everything.js";
import { plannerStatistics } from "./planner-statistics.js";

const [sqlite, postgres] = testDialects();
const pairs = [
  { from: sqlite, to: postgres },
  { from: postgres, to: sqlite },
].map((p) => ({ ...p, name: `${p.from?.name} to ${p.to?.name}` }));

describe.each(pairs)("groundwork transfer, $name", ({ from, to }) => {
  const made: TestDatabase[] = [];
  const previous = process.env.DATABASE_URL;
  afterEach(async () => {
    process.env.DATABASE_URL = previous;
    await Promise.all(made.splice(0).map((d) => d.drop()));
  });

  it("copies every row, soft-deleted ones too, into an empty database, and refuses one with rows", async () => {
    if (!from || !to) throw new Error("two dialects expected");
    const source = await from.create();
    const target = await to.create();
    made.push(source, target);
    const db = await source.open({ tables });
    await new Migrator(db, migrationsDir(db.dialect)).up();
    const demo = await seedDemo(db, await Auth.create(db));
    const [first] = (await db.repo(tickets).list({ limit: 1 })).data;
    await db.repo(tickets).delete(first?.id as string);
    await db.close();

    process.env.DATABASE_URL = source.url;
    let run = capture();
    expect(await main(["transfer", "--to", target.url], run.out), run.errors.join("\n")).toBe(0);
    expect(run.lines.at(-1)).toMatch(/^copied \d+ rows of \d+ tables; every table's count and checksum match$/);
    expect(run.lines).toContain("  users: 2 rows");
    // PostgreSQL's planner knows the copied rows at once, not once autovacuum comes by.
    const postgres = to.dialect === "postgres";
    expect(run.lines.includes("gathering the query planner's statistics (analyze) …")).toBe(postgres);
    expect((await plannerStatistics(target.open, "tickets")) > 0).toBe(postgres);

    const before = (await everything(source.open)).rows;
    const after = (await everything(target.open)).rows;
    expect(after).toEqual(before);
    expect(after.tickets?.some((t) => (t as { deletedAt: unknown }).deletedAt instanceof Date)).toBe(true);

    // The copy is a working workspace: the demo user signs in with the copied secret and password.
    const copy = await target.open({ tables });
    const session = await (await Auth.create(copy)).login({ db: copy }, demo.user);
    expect(session.user.email).toBe(demo.user.email);
    const userCount = await copy.repo(users).count({}, { deleted: "include" });

    run = capture();
    expect(await main(["transfer", "--to", target.url], run.out)).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(/^groundwork transfer: the target holds rows already \(.*\): transfer copies into/),
    ]);
    expect(await copy.repo(users).count({}, { deleted: "include" })).toBe(userCount);
    await copy.close();
  });
});

describe("groundwork transfer, refusals", () => {
  const previous = { url: process.env.DATABASE_URL, cwd: process.cwd() };
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), "gw-transfer-"));
    process.chdir(cwd);
  });
  afterEach(() => {
    process.env.DATABASE_URL = previous.url;
    process.chdir(previous.cwd);
    rmSync(cwd, { recursive: true, force: true });
  });

  /** A SQLite source in the temporary folder, migrated up to `to` (all of them without), maybe seeded. */
  async function sqliteSource(options: { to?: string; seed?: boolean } = {}) {
    const url = `file:${path.join(cwd, "source.db")}`;
    const db = await openDatabase({ url, tables });
    await new Migrator(db, migrationsDir("sqlite")).up(options.to ? { to: options.to } : {});
    if (options.seed) await seedDemo(db, await Auth.create(db));
    await db.close();
    process.env.DATABASE_URL = url;
    return url;
  }

  it("refuses a target or source in memory, where a copy would vanish", async () => {
    await sqliteSource({ seed: true });
    for (const to of [":memory:", "pglite://memory"]) {
      const run = capture();
      expect(await main(["transfer", "--to", to], run.out), to).toBe(1);
      expect(run.errors).toEqual([
        `groundwork transfer: --to ${to} is in memory: the copy would vanish when transfer ends; name a SQLite file, a pglite://<dir> or a PostgreSQL server`,
      ]);
      expect(run.lines).toEqual([]);
    }
    process.env.DATABASE_URL = ":memory:";
    const run = capture();
    expect(await main(["transfer", "--to", "copy.db"], run.out)).toBe(1);
    expect(run.errors).toEqual([
      "groundwork transfer: DATABASE_URL :memory: is in memory: it lives only in the process that opens it, so there is nothing to copy",
    ]);
    expect(existsSync("copy.db")).toBe(false);
  });

  it("refuses a source that is not current before it makes the target, with advice that works", async () => {
    await sqliteSource({ to: "0000_initial" });
    let run = capture();
    expect(await main(["transfer", "--to", "new/dir/copy.db"], run.out)).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(
        /^groundwork transfer: the source database is not current \(.*pending\): run groundwork migrate up on it first$/,
      ),
    ]);
    expect(existsSync("new")).toBe(false);
    expect(await main(["transfer", "--to", "pglite://new/pg"], capture().out)).toBe(1);
    expect(existsSync("new")).toBe(false);

    // A changed or unknown migration: migrate up refuses such a database, so it is not the advice.
    expect(await main(["migrate", "up"], capture().out)).toBe(0);
    const db = await openDatabase({ url: process.env.DATABASE_URL as string });
    await db.execute(sql`update __groundwork_migrations set checksum = 'edited' where id = '0000_initial'`);
    await db.execute(
      sql`insert into __groundwork_migrations (id, checksum, applied_at) values ('9999_future', 'x', 0)`,
    );
    await db.close();
    run = capture();
    expect(await main(["transfer", "--to", "new/copy.db"], run.out)).toBe(1);
    expect(run.errors).toEqual([
      "groundwork transfer: the source database's migrations do not match this code's (0000_initial changed after it was applied, 9999_future unknown to this code): transfer it with the version of the code that migrated it",
    ]);
    expect(existsSync("new")).toBe(false);
    run = capture();
    expect(await main(["migrate", "up"], run.out)).toBe(1);
  });

  it("removes the SQLite file or PGlite folder it made when the copy fails", async () => {
    await sqliteSource({ seed: true });
    // A task pointing at no ticket: the copy stops at it (the layer checks what it inserts).
    const Sqlite = (await import("better-sqlite3")).default;
    const raw = new Sqlite(path.join(cwd, "source.db"));
    raw.pragma("foreign_keys = OFF");
    raw.prepare("update tasks set ticket_id = 'not-a-ticket' where id = (select min(id) from tasks)").run();
    raw.close();
    mkdirSync("empty");
    for (const to of ["new/dir/copy.db", "pglite://new/pg", "pglite://empty"]) {
      const run = capture();
      expect(await main(["transfer", "--to", to], run.out), to).toBe(1);
      expect(run.errors).toEqual([
        expect.stringMatching(/^groundwork transfer: the copy failed, nothing was kept: tasks: /),
      ]);
      expect(existsSync("new"), to).toBe(false);
    }
    // A folder that was there (empty) stays, emptied again.
    expect(readdirSync("empty")).toEqual([]);
  }, 60_000);

  it("shows progress while it checks, and names the table whose checksum differs", async () => {
    const url = await sqliteSource({ seed: true });
    const source = await openDatabase({ url, tables });
    const targetUrl = `file:${path.join(cwd, "target.db")}`;
    const target = await openDatabase({ url: targetUrl, tables });
    await new Migrator(target, migrationsDir("sqlite")).up();
    const definitions = Object.values(tables) as AnyTable[];
    try {
      const lines: string[] = [];
      const copied = await transferRows(source, target, definitions, (l) => lines.push(l), { progressEvery: 2 });
      expect(copied.rows).toBeGreaterThan(0);
      const checking = lines.findIndex((l) => l.startsWith("checking every table's count and checksum"));
      expect(checking).toBeGreaterThan(0);
      expect(lines.slice(checking)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^ {2}tickets: \d+ of \d+ rows checked in the source …$/),
          expect.stringMatching(/^ {2}tickets: \d+ of \d+ rows checked in the target …$/),
        ]),
      );

      // A target that changes a value on the way in: the check finds it, names it, keeps nothing.
      const empty = await openDatabase({ url: `file:${path.join(cwd, "target2.db")}`, tables });
      await new Migrator(empty, migrationsDir("sqlite")).up();
      try {
        await expect(transferRows(source, alteringTickets(empty), definitions, () => {})).rejects.toThrow(
          /^the checksum of tickets differs after the copy \(\d+ rows on each side\): .*nothing was kept$/,
        );
        expect(await empty.repo(tickets).count({}, { deleted: "include" })).toBe(0);
      } finally {
        await empty.close();
      }
    } finally {
      await source.close();
      await target.close();
    }
  });

  it("answers a missing or unknown target, or extra arguments, in one line", async () => {
    const cases: [string[], RegExp][] = [
      [["transfer"], /^groundwork transfer: name the target database with --to <url>/],
      [["transfer", "--to", "mysql://localhost/db"], /^groundwork transfer: --to: scheme "mysql:" is not supported/],
      [["transfer", "--to", "file:x.db", "more"], /^groundwork transfer: unexpected argument "more"/],
    ];
    for (const [argv, message] of cases) {
      const run = capture();
      expect(await main(argv, run.out), argv.join(" ")).toBe(1);
      expect(run.errors).toEqual([expect.stringMatching(message)]);
    }
  });

  it("orders tables after the ones they reference, and names a cycle", () => {
    const table = (name: string, ...refs: string[]) =>
      ({
        name,
        info: {
          columns: Object.fromEntries(refs.map((r) => [`${r}Id`, { references: { table: () => ({ name: r }) } }])),
        },
      }) as unknown as AnyTable;
    const order = tablesInOrder([
      table("tasks", "tickets"),
      table("tickets", "projects", "tickets"),
      table("projects"),
    ]);
    expect(order.map((t) => t.name)).toEqual(["projects", "tickets", "tasks"]);
    expect(() => tablesInOrder([table("a", "b"), table("b", "a")])).toThrow(/cycle: a → b → a/);
  });
});
