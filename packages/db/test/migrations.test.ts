import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  check,
  col,
  type Database,
  generateMigration,
  index,
  MigrationError,
  Migrator,
  pendingSchemaChanges,
  readMigrations,
  searchIndex,
  table,
  uniqueIndex,
} from "@groundwork/db";
import { describeSchema, type TestDatabase, testDialects } from "@groundwork/db/testing";
import { isNull, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixtureTables, items, owners } from "./fixtures/schema.js";

// The second version of the fixture schema: one new column and one new table.
const itemsV2 = table("items", { ...items.columns, note: col.varchar(500) }, (t) => [
  index(t.ownerId, t.createdAt),
  uniqueIndex(t.ownerId, t.title).where(isNull(t.deletedAt)),
  // Changed from the first version: SQLite has to rebuild the table to change a check.
  check("rank_range", sql`${t.rank} between -5000 and 5000`),
  searchIndex(t.title, t.body),
]);
const labels = table("labels", {
  id: col.id(),
  ownerId: col
    .uuid()
    .notNull()
    .references(() => owners, { onDelete: "cascade" }),
  name: col.text().notNull(),
  createdAt: col.createdAt(),
});
const tablesV2 = { ...fixtureTables, items: itemsV2, labels };

describe.each(testDialects())("migrations on $name", (dialect) => {
  let source: string;
  let testDb: TestDatabase;
  let db: Database;
  let dir: string;

  beforeAll(async () => {
    source = mkdtempSync(path.join(tmpdir(), `gw-migrations-${dialect.dialect}-`));
    expect(await generateMigration({ dialect: dialect.dialect, tables: fixtureTables, dir: source }, "initial")).toBe(
      "0000_initial",
    );
    expect(await generateMigration({ dialect: dialect.dialect, tables: tablesV2, dir: source }, "labels")).toBe(
      "0001_labels",
    );
    expect(await generateMigration({ dialect: dialect.dialect, tables: tablesV2, dir: source }, "again")).toBeNull();
  });
  afterAll(() => rmSync(source, { recursive: true, force: true }));

  it("reverts a change that rebuilds a table, keeping every row, without --force", async () => {
    const v1 = table("rebuilt", { id: col.id(), name: col.text().notNull(), gone: col.text() });
    const v2 = table("rebuilt", { id: col.id(), name: col.text() });
    const target = mkdtempSync(path.join(tmpdir(), "gw-migrations-rebuild-"));
    const fresh = await dialect.create();
    const rebuiltDb = await fresh.open({ tables: [v2] });
    try {
      await generateMigration({ dialect: dialect.dialect, tables: [v1], dir: target }, "first");
      await generateMigration({ dialect: dialect.dialect, tables: [v2], dir: target }, "loosen");
      const migrator = new Migrator(rebuiltDb, target);
      await migrator.up();
      await rebuiltDb.execute(
        sql`insert into rebuilt (id, name) values ('01900000-0000-7000-8000-000000000001', 'kept')`,
      );
      // SQLite re-adds NOT NULL by copying the rows into a new table: no row or column is lost.
      expect(await migrator.down()).toEqual(["0001_loosen"]);
      expect(await rebuiltDb.execute(sql`select name from rebuilt`)).toEqual([{ name: "kept" }]);
      // Reverting the first drops the table itself: that needs --force.
      await expect(migrator.down()).rejects.toThrow(/would delete data \(rebuilt: 1 row\)/);
    } finally {
      await rebuiltDb.close();
      await fresh.drop();
      rmSync(target, { recursive: true, force: true });
    }
  });

  it("explains a change that could be a rename, which drizzle-kit would ask about on a terminal", async () => {
    const before = table("renamed", { id: col.id(), d: col.text() });
    const after = table("renamed", { id: col.id(), e: col.text() });
    const target = mkdtempSync(path.join(tmpdir(), "gw-migrations-rename-"));
    try {
      await generateMigration({ dialect: dialect.dialect, tables: [before], dir: target }, "first");
      const error = await generateMigration({ dialect: dialect.dialect, tables: [after], dir: target }, "second").catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as Error).message).toMatch(/could be a rename: generate it in two steps/);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  beforeEach(async () => {
    // Each test gets its own copy of the migrations, free to edit.
    dir = mkdtempSync(path.join(tmpdir(), "gw-migrations-copy-"));
    cpSync(source, dir, { recursive: true });
    testDb = await dialect.create();
    db = await testDb.open({ tables: tablesV2 });
  });
  afterEach(async () => {
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("match the schema they were generated from, and tell when they no longer do", async () => {
    expect(await pendingSchemaChanges({ dialect: dialect.dialect, tables: tablesV2, dir })).toEqual([]);
    const drifted = { ...tablesV2, labels: table("labels", { ...labels.columns, color: col.text() }) };
    const pending = await pendingSchemaChanges({ dialect: dialect.dialect, tables: drifted, dir });
    expect(pending.join("\n")).toMatch(/ADD (COLUMN )?[`"]color[`"]/i);
  });

  it("tell their status without writing to the database", async () => {
    const tableNames = async () => {
      const rows = await db.execute<{ name: string }>(
        db.dialect === "sqlite"
          ? sql`select name from sqlite_master where type = 'table'`
          : sql`select table_name as name from information_schema.tables where table_schema = current_schema()`,
      );
      return rows.map((r) => r.name);
    };
    const migrator = new Migrator(db, dir);
    expect((await migrator.status()).map((s) => s.status)).toEqual(["pending", "pending"]);
    expect(await migrator.isCurrent()).toBe(false);
    expect(await migrator.down()).toEqual([]);
    // Asking made nothing: not even the table that records applied migrations.
    expect(await tableNames()).toEqual([]);
    expect(await migrator.up({ to: "0000_initial" })).toEqual(["0000_initial"]);
    expect(await tableNames()).toContain("__groundwork_migrations");
    expect((await migrator.status()).map((s) => s.status)).toEqual(["applied", "pending"]);
  });

  it("go up, all the way down, and up again to the identical schema", async () => {
    const migrator = new Migrator(db, dir);
    expect(await migrator.status()).toEqual([
      { id: "0000_initial", status: "pending" },
      { id: "0001_labels", status: "pending" },
    ]);
    expect(await migrator.up()).toEqual(["0000_initial", "0001_labels"]);
    expect(await migrator.isCurrent()).toBe(true);
    const first = await describeSchema(db);
    expect(first.join("\n")).toMatch(/labels/);

    expect(await migrator.down({ to: null })).toEqual(["0001_labels", "0000_initial"]);
    expect(await describeSchema(db)).toEqual([]);
    expect(await migrator.up()).toEqual(["0000_initial", "0001_labels"]);
    expect(await describeSchema(db)).toEqual(first);
    expect(await migrator.up()).toEqual([]);
  });

  it("go down one step, or down to a named migration, undoing exactly that change", async () => {
    const migrator = new Migrator(db, dir);
    await migrator.up({ to: "0000_initial" });
    const initial = await describeSchema(db);
    await migrator.up();
    expect(await migrator.down()).toEqual(["0001_labels"]);
    expect(await describeSchema(db)).toEqual(initial);
    await migrator.up();
    expect(await migrator.down({ to: "0000_initial" })).toEqual(["0001_labels"]);
    expect((await migrator.status()).map((s) => s.status)).toEqual(["applied", "pending"]);
    await expect(migrator.down({ to: "0001_labels" })).rejects.toThrow(/is not applied/);
  });

  it("keep the data of the tables they do not touch", async () => {
    const migrator = new Migrator(db, dir);
    await migrator.up({ to: "0000_initial" });
    const owner = await db.repo(owners).create({ name: "Kept", email: "kept@example.com" });
    const first = await db.repo(items).create({ ownerId: owner.id, title: "kept", body: "quasar" });
    await db.repo(items).create({ ownerId: owner.id, title: "second", body: "pulsar" });
    await db.repo(items).purge(first.id);
    const kept = await db.repo(items).create({ ownerId: owner.id, title: "kept", body: "quasar" });
    await migrator.up();
    const repo = db.repo(itemsV2);
    expect((await repo.list({ where: { id: kept.id } })).data).toEqual([
      expect.objectContaining({ title: "kept", note: null }),
    ]);
    // The rebuilt table's search index still points at the right rows, and follows new writes.
    const found = async (text: string) => (await repo.search(text)).map((h) => h.row.title);
    expect(await found("quasar")).toEqual(["kept"]);
    expect(await found("pulsar")).toEqual(["second"]);
    await repo.update(kept.id, { body: "nebula" });
    await repo.create({ ownerId: owner.id, title: "third", body: "quasar" });
    expect(await found("quasar")).toEqual(["third"]);
    expect(await found("nebula")).toEqual(["kept"]);
  });

  it("refuse to revert data-bearing changes without force, and take a backup before a forced one", async () => {
    const migrator = new Migrator(db, dir);
    await migrator.up();
    const owner = await db.repo(owners).create({ name: "Data", email: "data@example.com" });
    await db.repo(labels).create({ ownerId: owner.id, name: "precious" });
    const refused = await migrator.down().catch((e) => e);
    expect(refused).toBeInstanceOf(MigrationError);
    expect(refused.message).toMatch(/would delete data \(.*labels: 1 row.*\); run again with --force/);
    expect(await db.repo(labels).count()).toBe(1);

    let backups = 0;
    expect(await migrator.down({ force: true, backup: async () => void backups++ })).toEqual(["0001_labels"]);
    expect(backups).toBe(1);
  });

  it("refuse to run when an applied migration was edited, or is missing from the code", async () => {
    const migrator = new Migrator(db, dir);
    await migrator.up();
    const upFile = path.join(dir, "0000_initial", "up.sql");
    writeFileSync(upFile, `${readMigrations(dir)[0]?.up.join("\n--> statement-breakpoint\n")}\n-- edited\n`);
    expect((await migrator.status())[0]?.status).toBe("changed");
    await expect(migrator.up()).rejects.toThrow(/0000_initial was changed after it was applied/);
    await expect(migrator.down()).rejects.toThrow(/was changed after it was applied/);

    cpSync(source, dir, { recursive: true });
    rmSync(path.join(dir, "0001_labels"), { recursive: true });
    await expect(migrator.up()).rejects.toThrow(/has migration 0001_labels, which is not in/);
  });

  it("apply each migration once when two processes migrate at the same time", async () => {
    let results: string[][];
    if (testDb.url.startsWith("pglite:")) {
      // PGlite is single-process: the closest equivalent is two migrators on one connection.
      results = await Promise.all([new Migrator(db, dir).up(), new Migrator(db, dir).up()]);
    } else {
      const run = () =>
        new Promise<string[]>((resolve, reject) =>
          execFile(
            process.execPath,
            [
              "--import",
              "tsx",
              fileURLToPath(new URL("./fixtures/migrate-process.ts", import.meta.url)),
              testDb.url,
              dir,
            ],
            (error, stdout, stderr) =>
              error ? reject(new Error(stderr || error.message)) : resolve(JSON.parse(stdout)),
          ),
        );
      results = await Promise.all([run(), run()]);
    }
    expect(results.flat().sort()).toEqual(["0000_initial", "0001_labels"]);
    expect(await new Migrator(db, dir).isCurrent()).toBe(true);
  });

  it("roll a failing migration back whole", async () => {
    const broken = path.join(dir, "0002_broken");
    cpSync(path.join(dir, "0001_labels"), broken, { recursive: true });
    writeFileSync(
      path.join(broken, "up.sql"),
      "CREATE TABLE half_done (id integer);\n--> statement-breakpoint\nCREATE TABLE half_done (id integer);\n",
    );
    const migrator = new Migrator(db, dir);
    // The database's own words, not the query that failed: "table half_done already exists" on both.
    await expect(migrator.up()).rejects.toThrow(/^0002_broken up failed: .*half_done.* already exists$/);
    expect((await describeSchema(db)).join("\n")).not.toMatch(/half_done/);
    expect((await migrator.status()).map((s) => s.status)).toEqual(["applied", "applied", "pending"]);
  });
});
