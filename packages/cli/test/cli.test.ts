import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseDatabaseUrl, readMigrations } from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { migrationsDir, tables, users } from "@groundwork/domain";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backupDatabase } from "../src/backup.js";
import { main } from "../src/main.js";
import { capture } from "./capture.js";

describe.each(testDialects())("groundwork migrate on $name", (dialect) => {
  let testDb: TestDatabase;
  let cwd: string;
  const previous = { url: process.env.DATABASE_URL, cwd: process.cwd() };

  const ids = readMigrations(migrationsDir(dialect.dialect)).map((m) => m.id);
  const newest = ids.at(-1);

  beforeAll(() => {
    // Backups go to ./data/backups: keep them out of the repository.
    cwd = mkdtempSync(path.join(tmpdir(), "gw-cli-"));
    process.chdir(cwd);
  });
  afterAll(() => {
    process.chdir(previous.cwd);
    rmSync(cwd, { recursive: true, force: true });
  });
  beforeEach(async () => {
    testDb = await dialect.create();
    process.env.DATABASE_URL = testDb.url;
  });
  afterEach(async () => {
    process.env.DATABASE_URL = previous.url;
    await testDb.drop();
  });

  it("applies, reports and reverts migrations", async () => {
    let run = capture();
    // An empty --to is a mistake, not "every migration": refused before the database is opened.
    for (const action of ["up", "down"]) {
      run = capture();
      expect(await main(["migrate", action, "--to="], run.out), action).toBe(1);
      expect(run.errors).toEqual([
        "groundwork migrate: --to needs a migration id (groundwork migrate status lists them; down --to 0 reverts all)",
      ]);
    }
    // So is an id no migration has: up would otherwise make the database before refusing it.
    for (const action of ["up", "down"]) {
      run = capture();
      expect(await main(["migrate", action, "--to", "9999_none"], run.out), action).toBe(1);
      expect(run.errors).toEqual([
        'groundwork migrate: no migration "9999_none"; groundwork migrate status lists them',
      ]);
    }
    run = capture();
    if (!testDb.url.startsWith("postgres")) {
      // A SQLite file or PGlite folder that holds no database yet is a DATABASE_URL naming the wrong
      // place for every command but those that make one: nothing is made, nothing backed up.
      const target = parseDatabaseUrl(testDb.url);
      const place = target.driver === "better-sqlite3" ? target.file : target.driver === "pglite" ? target.dataDir : "";
      const refusal = `no database at ${place} (DATABASE_URL); groundwork migrate up or serve makes one there`;
      for (const argv of [
        ["migrate", "status"],
        ["migrate", "down"],
        ["backup", "copy.db"],
        ["transfer", "--to", "never/made.db"],
      ]) {
        run = capture();
        expect(await main(argv, run.out), argv.join(" ")).toBe(1);
        expect(run.errors).toEqual([`groundwork ${argv[0]}: ${refusal}`]);
      }
      expect(existsSync(path.join(place ?? "", target.driver === "pglite" ? "PG_VERSION" : ""))).toBe(false);
      expect(existsSync("copy.db")).toBe(false);
      // The source is checked before the target is made: a refused transfer leaves nothing behind.
      expect(existsSync("never")).toBe(false);
      run = capture();
    } else {
      expect(await main(["migrate", "status"], run.out)).toBe(0);
      expect(run.lines.join("\n")).toMatch(/pending\s+0000_initial/);
      run = capture();
    }

    expect(await main(["migrate", "up"], run.out)).toBe(0);
    expect(run.lines).toContain("applied  0000_initial");

    run = capture();
    expect(await main(["migrate", "status"], run.out)).toBe(0);
    expect(run.lines.join("\n")).toMatch(/applied\s+0000_initial/);

    run = capture();
    expect(await main(["migrate", "up"], run.out)).toBe(0);
    expect(run.lines).toContain("nothing to apply: the database is current");

    // --to a migration the database is past already says so, and what is still to come.
    run = capture();
    expect(await main(["migrate", "up", "--to", "0000_initial"], run.out)).toBe(0);
    expect(run.lines).toEqual([
      newest === "0000_initial"
        ? "nothing to apply: the database is current"
        : "nothing to apply: the database is current, past 0000_initial already",
    ]);
    if (newest !== "0000_initial") {
      expect(await main(["migrate", "down", "--to", "0000_initial"], capture().out)).toBe(0);
      run = capture();
      expect(await main(["migrate", "up", "--to", "0000_initial"], run.out)).toBe(0);
      expect(run.lines).toEqual([
        `nothing to apply: the database is already at 0000_initial; ${ids.length - 1} pending after it (groundwork migrate up applies them)`,
      ]);
    }

    run = capture();
    expect(await main(["migrate", "down", "--to", "0"], run.out)).toBe(0);
    expect(run.lines).toContain("reverted 0000_initial");
  });

  it("refuses to drop data without --force, and backs up before it does", async () => {
    expect(await main(["migrate", "up"], capture().out)).toBe(0);
    const db = await testDb.open({ tables });
    await db.repo(users).create({ email: "keep@example.com", name: "Keep", passwordHash: "x" });

    let run = capture();
    expect(await main(["migrate", "down", "--to", "0"], run.out)).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^groundwork migrate: reverting would delete data \(.*users: 1 row.*--force/);
    expect(await db.repo(users).count()).toBe(1);

    run = capture();
    expect(await main(["migrate", "down", "--to", "0", "--force"], run.out)).toBe(0);
    const backupLine = run.lines.find((l) => l.startsWith("backing up to "));
    const file = backupLine?.replace(/^backing up to (.*) …$/, "$1") ?? "";
    expect(existsSync(file)).toBe(true);
    if (dialect.dialect === "postgres") {
      expect(readFileSync(file, "utf8")).toContain('"keep@example.com"');
    } else {
      const Sqlite = (await import("better-sqlite3")).default;
      const copy = new Sqlite(file, { readonly: true });
      expect(copy.prepare("select email from users").all()).toEqual([{ email: "keep@example.com" }]);
      copy.close();
    }
  });
  it("refuses to back up a database without the workspace's tables, and backs up an empty one", async () => {
    // The database exists (a SQLite file, a PGlite folder, a server's database) but is not migrated.
    const made = await testDb.open();
    await made.close();
    const file = path.join(cwd, `unmigrated-${dialect.dialect}`);
    let run = capture();
    expect(await main(["backup", file], run.out)).toBe(1);
    expect(run.errors).toEqual([
      "groundwork backup: nothing to back up: the database has none of the workspace's tables (not migrated yet?)",
    ]);
    expect(run.lines).toEqual([]);
    expect(existsSync(file)).toBe(false);

    // Migrated but empty: a backup with no rows, said to be one, the same way on either dialect.
    expect(await main(["migrate", "up"], capture().out)).toBe(0);
    run = capture();
    expect(await main(["backup", file], run.out), run.errors.join("\n")).toBe(0);
    expect(run.lines.at(-1)).toMatch(/^backed up: \d+ bytes \(every table is empty\)$/);
    expect(existsSync(file)).toBe(true);

    // A file that cannot be written is named, with the reason, and nothing is left behind.
    writeFileSync(path.join(cwd, "plain"), "");
    const places: [string, RegExp][] = [
      [path.join(cwd, "plain", "x.db"), /: a part of the path is not a directory$/],
      [path.join(cwd, "plain", "deeper", "x.db"), /: a part of the path is not a directory$/],
    ];
    // Under /proc, Node's recursive mkdir retries for ever: the backup must not hang there.
    if (process.platform === "linux") places.push(["/proc/x.db", /: /], ["/proc/gw-none/x.db", /: /]);
    for (const [place, reason] of places) {
      run = capture();
      expect(await main(["backup", place], run.out), place).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(
        new RegExp(`^groundwork backup: cannot (write|make the folder) ${place.replace(/[./]/g, "\\$&")}`),
      );
      expect(run.errors[0]).toMatch(reason);
      expect(run.errors[0]).not.toMatch(/unexpected failure/);
    }
  });

  it("backs the database up to a new file, whole, and refuses one that exists", async () => {
    expect(await main(["migrate", "up"], capture().out)).toBe(0);
    const db = await testDb.open({ tables });
    await db
      .repo(users)
      .createMany(
        Array.from({ length: 1500 }, (_, i) => ({ email: `u${i}@example.com`, name: `U ${i}`, passwordHash: "x" })),
      );
    await db.close();
    const file = path.join(cwd, `copy-${dialect.dialect}.${dialect.dialect === "sqlite" ? "db" : "jsonl"}`);

    let run = capture();
    expect(await main(["backup", file], run.out), run.errors.join("\n")).toBe(0);
    expect(run.lines[0]).toMatch(/^backing up .* to .*copy-/);
    expect(run.lines.at(-1)).toMatch(/^backed up: \d+ bytes$/);
    if (dialect.dialect === "postgres") {
      expect(run.lines).toContain("  users: 1500 rows");
      const lines = readFileSync(file, "utf8").trim().split("\n");
      const userRows = lines
        .map((l) => JSON.parse(l) as { table: string; row: { id: string; email: string } })
        .filter((l) => l.table === "users");
      // Read in batches of 1,000 through one cursor: every row once, in the order of the first column.
      expect(new Set(userRows.map((l) => l.row.email)).size).toBe(1500);
      expect(userRows.map((l) => l.row.id)).toEqual(userRows.map((l) => l.row.id).sort());
    } else {
      const Sqlite = (await import("better-sqlite3")).default;
      const copy = new Sqlite(file, { readonly: true });
      expect(copy.prepare("select count(*) as n from users").get()).toEqual({ n: 1500 });
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      copy.close();
    }

    const before = readFileSync(file);
    run = capture();
    expect(await main(["backup", file], run.out)).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(/^groundwork backup: .*copy-.* exists already: name a new file$/),
    ]);
    expect(readFileSync(file).equals(before)).toBe(true);

    run = capture();
    expect(await main(["backup", file, "another"], run.out)).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/^groundwork backup: unexpected argument "another"/)]);

    // A backup that fails leaves no file that could be taken for one.
    const closed = await testDb.open({ tables });
    await closed.close();
    const failed = path.join(cwd, `failed-${dialect.dialect}`);
    await expect(backupDatabase(closed, failed)).rejects.toThrow();
    expect(existsSync(failed)).toBe(false);
  });
});

describe("groundwork command line", () => {
  it("answers bad input with one line and a non-zero exit", async () => {
    const cases: [string[], RegExp][] = [
      [["nope"], /^groundwork: unknown command "nope"/],
      [["migrate", "sideways"], /unknown migrate action "sideways"/],
      [["migrate", "up", "--bogus"], /^groundwork migrate: unknown option --bogus; see groundwork migrate --help$/],
      [["serve", "--port", "4000"], /^groundwork serve: unknown option --port; see groundwork serve --help$/],
      [["migrate", "status", "--force"], /status takes no options/],
      [["bench", "now"], /^groundwork bench: unexpected argument "now"/],
      [["bench", "--database-url", "mysql://localhost/db"], /--database-url must be a postgres:\/\/ URL/],
      // Every kind of option mistake is worded the house way, never in node:util's words.
      [["transfer", "--to"], /^groundwork transfer: --to needs a value; see groundwork transfer --help$/],
      [["migrate", "status", "--to"], /^groundwork migrate: --to needs a value; see groundwork migrate --help$/],
      [
        ["migrate", "down", "--force=yes"],
        /^groundwork migrate: --force takes no value; see groundwork migrate --help$/,
      ],
      [
        ["migrate", "down", "--to", "--force"],
        /^groundwork migrate: --to needs a value \(one that starts with "-" is written --to=<value>\); see groundwork migrate --help$/,
      ],
      [["migrate", "up", "-x"], /^groundwork migrate: unknown option -x; see groundwork migrate --help$/],
      // Which of two was meant is anyone's guess: neither is taken.
      [["transfer", "--to", "a.db", "--to=b.db"], /^groundwork transfer: --to is given twice; give it once$/],
      [["migrate", "down", "--force", "--force"], /^groundwork migrate: --force is given twice; give it once$/],
      // A backup file must be a new file: not nothing, not a directory.
      [["backup", ""], /^groundwork backup: the backup file name is empty: name a new file, or none for the default$/],
      [["backup", "."], /^groundwork backup: .* is a directory: name a new file/],
      [["backup", "nowhere/"], /^groundwork backup: nowhere\/ names a directory: name a new file$/],
    ];
    for (const [argv, message] of cases) {
      const run = capture();
      expect(await main(argv, run.out), argv.join(" ")).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(message);
      expect(run.errors[0]).not.toMatch(/Option '|argument missing|unexpected failure/);
    }
    expect(existsSync("nowhere")).toBe(false);
    expect(existsSync("a.db") || existsSync("b.db")).toBe(false);
    const previous = process.env.DATABASE_URL;
    process.env.DATABASE_URL = "mysql://localhost/db";
    try {
      const run = capture();
      expect(await main(["migrate", "status"], run.out)).toBe(1);
      expect(run.errors).toEqual([
        expect.stringMatching(/^groundwork migrate: DATABASE_URL scheme "mysql:" is not supported/),
      ]);
    } finally {
      process.env.DATABASE_URL = previous;
    }
  });

  it("refuses to back up a database in memory: no other process can see it", async () => {
    const previous = { url: process.env.DATABASE_URL, cwd: process.cwd() };
    const cwd = mkdtempSync(path.join(tmpdir(), "gw-cli-"));
    process.chdir(cwd);
    try {
      for (const url of [":memory:", "pglite://memory"]) {
        process.env.DATABASE_URL = url;
        const run = capture();
        expect(await main(["backup"], run.out), url).toBe(1);
        expect(run.errors).toEqual([
          `groundwork backup: ${url} is in memory: it lives only in the process that opens it, so there is nothing to back up`,
        ]);
        expect(run.lines).toEqual([]);
      }
      expect(existsSync("data")).toBe(false);
    } finally {
      process.env.DATABASE_URL = previous.url;
      process.chdir(previous.cwd);
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("says which folder it cannot make for a database, and does not hang on one it never can", async () => {
    const previous = process.env.DATABASE_URL;
    const cwd = mkdtempSync(path.join(tmpdir(), "gw-cli-"));
    writeFileSync(path.join(cwd, "plain"), "");
    const cases: [string, string][] = [
      [
        path.join(cwd, "plain", "x.db"),
        `groundwork migrate: cannot use ${path.join(cwd, "plain")} as a folder: it is a file`,
      ],
    ];
    // Node's recursive mkdir retries ENOENT under /proc for ever.
    if (process.platform === "linux") {
      cases.push([
        "/proc/gw-none/x.db",
        "groundwork migrate: cannot make the folder /proc/gw-none: no such file or directory",
      ]);
    }
    try {
      for (const [url, message] of cases) {
        process.env.DATABASE_URL = url;
        const run = capture();
        expect(await main(["migrate", "up"], run.out), url).toBe(1);
        expect(run.errors).toEqual([message]);
      }
    } finally {
      process.env.DATABASE_URL = previous;
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("prints its version", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    for (const flag of ["--version", "-v"]) {
      const run = capture();
      expect(await main([flag], run.out), flag).toBe(0);
      expect(run.lines).toEqual([`groundwork ${pkg.version}`]);
    }
    const help = capture();
    await main(["--help"], help.out);
    expect(help.lines.join("\n")).toMatch(/groundwork --version/);
  });

  it("runs as the groundwork executable, with --help on every command", async () => {
    const bin = fileURLToPath(new URL("../bin/groundwork.js", import.meta.url));
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [bin, "--help"]);
    expect(stdout).toMatch(/Usage: groundwork <command>/);
    expect((await run(process.execPath, [bin, "migrate", "--help"])).stdout).toMatch(
      /groundwork migrate <status\|up\|down>/,
    );
    expect((await run(process.execPath, [bin, "bench", "--help"])).stdout).toMatch(/groundwork bench \[--quick\]/);
    // Every command answers --help (and -h, wherever it stands) with its own usage, and does nothing else.
    for (const command of ["serve", "migrate", "seed", "backup", "restore", "transfer", "bench"]) {
      for (const argv of [
        [command, "--help"],
        [command, "extra", "-h"],
      ]) {
        const help = capture();
        expect(await main(argv, help.out), argv.join(" ")).toBe(0);
        expect(help.errors).toEqual([]);
        expect(help.lines[0], argv.join(" ")).toMatch(new RegExp(`^Usage: groundwork ${command}\\b`));
      }
    }
    expect((await run(process.execPath, [bin, "--version"])).stdout).toMatch(/^groundwork \d+\.\d+\.\d+\n$/);
    const failure = await run(process.execPath, [bin, "migrate", "nowhere"]).catch((e) => e);
    expect(failure.code).toBe(1);
    expect(failure.stderr.trim().split("\n")).toHaveLength(1);
  });
});
