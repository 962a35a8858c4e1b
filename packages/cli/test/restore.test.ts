import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AnyTable, Migrator } from "@groundwork/db";
import { type TestDatabase, type TestDialect, testDialects } from "@groundwork/db/testing";
import { Auth, migrationsDir, tables, tasks, tickets, userPreferences, users } from "@groundwork/domain";
import { seedDemo } from "@groundwork/domain/seed";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tablesPresent } from "../src/backup.js";
import { main } from "../src/main.js";
import { readDump, restoreDump } from "../src/restore.js";
import { rowCounts } from "../src/transfer.js";
import { alteringTickets } from "./altering-tickets.js";
import { capture } from "./capture.js";
import { everything } from "./everything.js";
import { plannerStatistics } from "./planner-statistics.js";

const UNUSUAL_TITLE = `"Quoted", 'single', back\\slash — ünïcødé ✓ 🚀 ${"{"}"table": "x"}`;
const UNUSUAL_METADATA = { nested: { list: [1, 2.5, { deeper: null }], empty: {} }, 'quote"key': "line\nbreak" };

type Kind = "sqlite" | "postgres";
/** The test database of each dialect: a backup's kind is that of the database it was taken of. */
const dialectOf = (kind: Kind) => testDialects().find((d) => d.dialect === kind) as TestDialect;
const KINDS: Kind[] = ["sqlite", "postgres"];
const extOf = (kind: Kind) => (kind === "sqlite" ? "db" : "jsonl");

describe.each(testDialects())("groundwork restore on $name", (dialect) => {
  const made: TestDatabase[] = [];
  const previous = { url: process.env.DATABASE_URL, cwd: process.cwd() };
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), "gw-restore-"));
    process.chdir(cwd);
  });
  afterEach(async () => {
    process.env.DATABASE_URL = previous.url;
    process.chdir(previous.cwd);
    rmSync(cwd, { recursive: true, force: true });
    await Promise.all(made.splice(0).map((d) => d.drop()));
  });

  /** A fresh database of this dialect, or of the dialect a backup of `kind` is taken of. */
  async function created(kind: Kind = dialect.dialect): Promise<TestDatabase> {
    const db = await dialectOf(kind).create();
    made.push(db);
    return db;
  }

  /**
   * A backup of `kind` (this dialect's by default) of the demo workspace with a soft-deleted ticket,
   * a ticket with unusual text and JSON, a null, a fraction and a JSON value that is a string of digits.
   */
  async function demoBackup(kind: Kind = dialect.dialect): Promise<{ source: TestDatabase; file: string }> {
    const source = await created(kind);
    const db = await source.open({ tables });
    await new Migrator(db, migrationsDir(db.dialect)).up();
    const demo = await seedDemo(db, await Auth.create(db));
    const [first, second] = (await db.repo(tickets).list({ limit: 2 })).data;
    await db.repo(tickets).delete(first?.id as string);
    await db.repo(tickets).update(second?.id as string, { title: UNUSUAL_TITLE, metadata: UNUSUAL_METADATA });
    const [task] = (await db.repo(tasks).list({ limit: 1 })).data;
    await db.repo(tasks).update(task?.id as string, { estimatedHours: 0.1, description: null });
    const [user] = (await db.repo(users).list({ where: { email: demo.user.email } })).data;
    await db.repo(userPreferences).create({ userId: user?.id as string, key: "digits", value: "123" });
    await db.close();

    process.env.DATABASE_URL = source.url;
    const file = path.join(cwd, `backup-${kind}.${extOf(kind)}`);
    const run = capture();
    expect(await main(["backup", file], run.out), run.errors.join("\n")).toBe(0);
    return { source, file };
  }

  /** Whether the database has none of the workspace's tables: nothing was even migrated. */
  async function untouched(target: TestDatabase): Promise<boolean> {
    const db = await target.open({ tables });
    try {
      return (await tablesPresent(db)).length === 0;
    } finally {
      await db.close();
    }
  }

  async function rowsIn(target: TestDatabase): Promise<Map<string, number>> {
    const db = await target.open({ tables });
    try {
      return await rowCounts(db, Object.values(tables));
    } finally {
      await db.close();
    }
  }

  it.each(KINDS)(
    "restores every row of a %s backup, soft-deleted ones and unusual values too, into an empty database",
    async (kind) => {
      const { source, file } = await demoBackup(kind);
      const before = readFileSync(file);
      const target = await created();
      process.env.DATABASE_URL = target.url;
      let run = capture();
      expect(await main(["restore", file], run.out), run.errors.join("\n")).toBe(0);
      expect(run.errors).toEqual([]);
      // The schema first, then the rows.
      const restoring = run.lines.indexOf(`restoring ${file} into ${target.url} (${driverOf(target.url)}) …`);
      expect(restoring).toBeGreaterThan(0);
      expect(run.lines.slice(0, restoring).every((line) => line.startsWith("applied  "))).toBe(true);
      expect(run.lines).toContain("  users: 2 rows");
      expect(run.lines.at(-1)).toMatch(/^restored \d+ rows of \d+ tables; every table's count and checksum match$/);
      // PostgreSQL's planner knows the restored rows at once, not once autovacuum comes by.
      const postgres = dialect.dialect === "postgres";
      expect(run.lines.includes("gathering the query planner's statistics (analyze) …")).toBe(postgres);
      expect((await plannerStatistics(target.open, "tickets")) > 0).toBe(postgres);

      const expected = await everything(source.open);
      const restored = await everything(target.open);
      expect(restored.rows).toEqual(expected.rows);
      const restoredTickets = restored.rows.tickets as { title: string; metadata: unknown; deletedAt: unknown }[];
      expect(restoredTickets.some((t) => t.deletedAt instanceof Date)).toBe(true);
      expect(restoredTickets.find((t) => t.title === UNUSUAL_TITLE)?.metadata).toEqual(UNUSUAL_METADATA);
      expect(restored.rows.tasks?.some((t) => (t as { estimatedHours: unknown }).estimatedHours === 0.1)).toBe(true);
      // Stored as it was, too, where the backup's dialect is the database's: the JSON string "123" is
      // still a string.
      if (kind === dialect.dialect) expect(restored.stored).toEqual(expected.stored);
      const preferences = restored.rows.user_preferences as { key: string; value: unknown }[];
      expect(preferences.find((p) => p.key === "digits")?.value).toBe("123");
      // The backup is only read: it can be restored again, as it was.
      expect(readFileSync(file).equals(before)).toBe(true);

      // A database with rows is refused before anything changes.
      run = capture();
      expect(await main(["restore", file], run.out)).toBe(1);
      expect(run.errors).toEqual([
        expect.stringMatching(
          /^groundwork restore: the database holds rows already \(users: 2, .*\): restore writes into an empty database$/,
        ),
      ]);
      expect(run.lines).toEqual([]);
      expect(await everything(target.open)).toEqual(restored);
    },
  );

  it("refuses, in one line and changing nothing, what is no backup or no place to restore to", async () => {
    const target = await created();
    process.env.DATABASE_URL = target.url;
    mkdirSync("folder");
    writeFileSync("notes.txt", "these are not the rows you are looking for\n");
    writeFileSync("array.jsonl", '[{"table": "users", "row": {}}]\n');
    const at = (name: string) => path.join(cwd, name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const cases: [string[], RegExp][] = [
      [
        ["restore"],
        /^groundwork restore: name the backup file to restore: groundwork restore <file>; see groundwork restore --help$/,
      ],
      [["restore", "a.db", "b.db"], /^groundwork restore: unexpected argument "b.db"; see groundwork restore --help$/],
      [
        ["restore", "missing.db"],
        new RegExp(`^groundwork restore: cannot read ${at("missing.db")}: no such file or directory$`),
      ],
      [["restore", "folder"], new RegExp(`^groundwork restore: ${at("folder")} is a directory: name a backup file$`)],
      [
        ["restore", "notes.txt"],
        new RegExp(
          `^groundwork restore: ${at("notes.txt")} is not a backup made by groundwork backup: neither a SQLite database file nor JSON lines of rows$`,
        ),
      ],
      [["restore", "array.jsonl"], /^groundwork restore: .*array\.jsonl is not a backup made by groundwork backup/],
    ];
    for (const [argv, message] of cases) {
      const run = capture();
      expect(await main(argv, run.out), argv.join(" ")).toBe(1);
      expect(run.errors, argv.join(" ")).toEqual([expect.stringMatching(message)]);
      expect(run.lines).toEqual([]);
    }
    expect(await untouched(target)).toBe(true);

    // A database in memory would vanish with the restore: refused before the backup is read.
    const memory = dialect.dialect === "sqlite" ? ":memory:" : "pglite://memory";
    process.env.DATABASE_URL = memory;
    const run = capture();
    expect(await main(["restore", "notes.txt"], run.out)).toBe(1);
    expect(run.errors).toEqual([
      `groundwork restore: ${memory} is in memory: the restore would vanish when restore ends; set DATABASE_URL to a SQLite file, a pglite://<dir> or a PostgreSQL server`,
    ]);
  });

  it("restores a PostgreSQL backup whose tables come in another order than they are written in", async () => {
    const { source, file } = await demoBackup("postgres");
    // Last line first: every table's lines now come before those of the tables it references.
    const reversed = path.join(cwd, "reversed.jsonl");
    writeFileSync(reversed, `${readFileSync(file, "utf8").trimEnd().split("\n").reverse().join("\n")}\n`);
    const target = await created();
    process.env.DATABASE_URL = target.url;
    const run = capture();
    expect(await main(["restore", reversed], run.out), run.errors.join("\n")).toBe(0);
    expect(run.lines.at(-1)).toMatch(/^restored \d+ rows of \d+ tables; every table's count and checksum match$/);
    expect((await everything(target.open)).rows).toEqual((await everything(source.open)).rows);
  });

  it("restores the backup of a database with no rows as one: the schema, and nothing in it", async () => {
    const backups: string[] = [];
    for (const kind of KINDS) {
      const source = await created(kind);
      const db = await source.open({ tables });
      await new Migrator(db, migrationsDir(db.dialect)).up();
      await db.close();
      process.env.DATABASE_URL = source.url;
      const file = path.join(cwd, `empty-${kind}.${extOf(kind)}`);
      const run = capture();
      expect(await main(["backup", file], run.out), run.errors.join("\n")).toBe(0);
      backups.push(file);
    }
    // A dump of empty tables is an empty file; lines of nothing but blanks read the same.
    writeFileSync("blank.jsonl", "\n  \n");
    for (const backup of [...backups, path.join(cwd, "blank.jsonl")]) {
      const target = await created();
      process.env.DATABASE_URL = target.url;
      const run = capture();
      expect(await main(["restore", backup], run.out), run.errors.join("\n")).toBe(0);
      expect(run.lines.at(-1)).toMatch(/^restored 0 rows of \d+ tables; every table's count and checksum match$/);
      expect(await untouched(target)).toBe(false);
      expect(await rowsIn(target)).toEqual(new Map());
    }
  });

  it("checks every line of a PostgreSQL backup before it writes, and keeps nothing when a row fails", async () => {
    const { file } = await demoBackup("postgres");
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    const ticketAt = lines.findIndex((l) => l.startsWith('{"table":"tickets"'));
    expect(ticketAt).toBeGreaterThan(0);
    const n = ticketAt + 1;
    const ticket = JSON.parse(lines[ticketAt] as string) as { table: string; row: Record<string, unknown> };
    const changed = (line: string) => lines.map((l, i) => (i === ticketAt ? line : l)).join("\n");
    const { number: _, ...withoutNumber } = ticket.row;
    const tampered: [string, string, RegExp][] = [
      [
        "extra.jsonl",
        changed(JSON.stringify({ ...ticket, row: { ...ticket.row, colour: "red" } })),
        new RegExp(
          `^groundwork restore: line ${n}: the row of tickets has the column "colour", which this version's tickets lacks: the backup was written at another version of the schema; restore it with the version of groundwork that wrote it, then upgrade$`,
        ),
      ],
      [
        "missing.jsonl",
        changed(JSON.stringify({ ...ticket, row: withoutNumber })),
        new RegExp(
          `^groundwork restore: line ${n}: the row of tickets lacks the column "number": the backup was written at another version`,
        ),
      ],
      [
        "unknown.jsonl",
        changed(JSON.stringify({ ...ticket, table: "tickets_archive" })),
        new RegExp(
          `^groundwork restore: line ${n}: this version of the schema has no table "tickets_archive": the backup was written at another version`,
        ),
      ],
      [
        "malformed.jsonl",
        changed((lines[ticketAt] as string).slice(0, -1)),
        new RegExp(`^groundwork restore: line ${n}: not JSON \\(.*\\): the backup is damaged$`),
      ],
      [
        "shape.jsonl",
        changed(JSON.stringify({ table: "tickets", values: ticket.row })),
        new RegExp(
          `^groundwork restore: line ${n}: not a row of a backup \\(\\{"table": …, "row": \\{…\\}\\} expected\\)$`,
        ),
      ],
    ];
    const target = await created();
    process.env.DATABASE_URL = target.url;
    for (const [name, text, message] of tampered) {
      writeFileSync(name, `${text}\n`);
      const run = capture();
      expect(await main(["restore", name], run.out), name).toBe(1);
      expect(run.errors, name).toEqual([expect.stringMatching(message)]);
      expect(run.lines, name).toEqual([]);
    }
    expect(await untouched(target)).toBe(true);

    // Well-formed lines whose rows the database refuses: some were written when the failure came,
    // and none of them is kept.
    const failing: [string, string, RegExp][] = [
      [
        "duplicate.jsonl",
        [...lines, lines[ticketAt]].join("\n"),
        /^groundwork restore: the restore failed, nothing was kept: lines \d+–\d+: tickets: a row with the same (id|projectId, number) already exists$/,
      ],
      [
        "invalid.jsonl",
        changed(JSON.stringify({ ...ticket, row: { ...ticket.row, title: null } })),
        new RegExp(
          `^groundwork restore: the restore failed, nothing was kept: line ${n}: tickets: invalid value: title: .*null`,
        ),
      ],
    ];
    for (const [name, text, message] of failing) {
      writeFileSync(name, `${text}\n`);
      const run = capture();
      expect(await main(["restore", name], run.out), name).toBe(1);
      expect(run.errors, name).toEqual([expect.stringMatching(message)]);
      // It got as far as writing rows of the tables before tickets.
      expect(run.lines, name).toContain("  users: 2 rows");
      expect(await rowsIn(target), name).toEqual(new Map());
    }
  });

  it("shows progress within a table, and names the table whose checksum differs after the restore", async () => {
    const { file } = await demoBackup("postgres");
    const definitions = Object.values(tables) as AnyTable[];
    const contents = await readDump(file, definitions);
    expect(contents.counts.get("users")).toBe(2);
    const migrated = async () => {
      const db = await (await created()).open({ tables });
      await new Migrator(db, migrationsDir(db.dialect)).up();
      return db;
    };
    const db = await migrated();
    const lines: string[] = [];
    const restored = await restoreDump(db, file, contents, definitions, (l) => lines.push(l), { progressEvery: 2 });
    expect(restored.rows).toBe(contents.rows);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}tasks: \d+ rows …$/),
        expect.stringMatching(/^ {2}tasks: \d+ rows$/),
      ]),
    );
    const checking = `checking every table's count and checksum (${contents.rows} rows) …`;
    const statistics = "gathering the query planner's statistics (analyze) …";
    const last = dialect.dialect === "postgres" ? [checking, statistics] : [checking];
    expect(lines.slice(-last.length)).toEqual(last);

    // A database that changes a value on the way in: the check finds it, names it, keeps nothing.
    const altering = await migrated();
    await expect(restoreDump(alteringTickets(altering), file, contents, definitions, () => {})).rejects.toThrow(
      /^the checksum of tickets differs after the restore \(\d+ rows on each side\): some values did not survive the restore; nothing was kept$/,
    );
    expect(await rowCounts(altering, definitions)).toEqual(new Map());
  });

  it("refuses a SQLite backup at another schema before it writes, and never migrates it", async () => {
    const target = await created();
    // A SQLite backup taken at an older schema, or by code that knows migrations this one does
    // not: refused, with advice, and the backup itself is not migrated.
    const { source, file } = await demoBackup("sqlite");
    const old = await source.open({ tables });
    await old.execute(sql`update __groundwork_migrations set checksum = 'edited' where id = '0000_initial'`);
    await old.close();
    const bare = await created("sqlite");
    const bareDb = await bare.open({ tables });
    await new Migrator(bareDb, migrationsDir("sqlite")).up({ to: "0000_initial" });
    await bareDb.close();
    const olderFile = bare.url.replace(/^file:/, "");
    const staleFile = path.join(cwd, "stale.db");
    process.env.DATABASE_URL = source.url;
    expect(await main(["backup", staleFile], capture().out)).toBe(0);
    process.env.DATABASE_URL = target.url;

    let run = capture();
    expect(await main(["restore", staleFile], run.out)).toBe(1);
    expect(run.errors).toEqual([
      "groundwork restore: the backup's migrations do not match this code's (0000_initial changed after it was applied): restore it with the version of the code that wrote it",
    ]);
    run = capture();
    expect(await main(["restore", olderFile], run.out)).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(
        /^groundwork restore: the backup is not current \(0001_.* pending\): migrate a copy of it first \(DATABASE_URL=file:<copy> groundwork migrate up\), then restore the copy$/,
      ),
    ]);
    const older = await bare.open({ tables });
    expect((await new Migrator(older, migrationsDir("sqlite")).status()).some((s) => s.status === "pending")).toBe(
      true,
    );
    await older.close();
    // Nothing was written; the first backup is still at this code's schema, and restores.
    expect(await untouched(target)).toBe(true);
    run = capture();
    expect(await main(["restore", file], run.out), run.errors.join("\n")).toBe(0);
  });

  it("removes the SQLite file or PGlite folder it made when the restore fails", async () => {
    const { file } = await demoBackup();
    let broken = file;
    if (dialect.dialect === "postgres") {
      // A row repeated: its key is taken by the time it is inserted again.
      const lines = readFileSync(file, "utf8").trimEnd().split("\n");
      broken = path.join(cwd, "broken.jsonl");
      writeFileSync(broken, `${[...lines, lines.find((l) => l.startsWith('{"table":"tasks"'))].join("\n")}\n`);
    } else {
      // A task pointing at no ticket: the layer checks what it inserts.
      const Sqlite = (await import("better-sqlite3")).default;
      const raw = new Sqlite(file);
      raw.pragma("foreign_keys = OFF");
      raw.prepare("update tasks set ticket_id = 'not-a-ticket' where id = (select min(id) from tasks)").run();
      raw.close();
    }
    process.env.DATABASE_URL = dialect.dialect === "sqlite" ? "file:new/dir/restored.db" : "pglite://new/pg";
    const run = capture();
    expect(await main(["restore", broken], run.out)).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(/^groundwork restore: the restore failed, nothing was kept: .*tasks: /),
    ]);
    expect(existsSync("new")).toBe(false);
  });
});

function driverOf(url: string): string {
  return url.startsWith("postgres") ? "postgres-js" : url.startsWith("pglite") ? "pglite" : "better-sqlite3";
}
