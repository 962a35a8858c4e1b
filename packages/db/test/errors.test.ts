import {
  CheckViolationError,
  type Database,
  DatabaseUnavailableError,
  DataError,
  ForeignKeyViolationError,
  NotFoundError,
  NotNullViolationError,
  openDatabase,
  UniqueViolationError,
  ValidationError,
  VersionConflictError,
} from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { fixtureDatabase } from "./fixtures/database.js";
import { fixtureTables, items, memberships, owners } from "./fixtures/schema.js";

const MISSING = "01900000-0000-7000-8000-000000000000";

describe.each(testDialects())("typed errors on $name", (dialect) => {
  let testDb: TestDatabase;
  let db: Database;
  let ownerId: string;

  beforeAll(async () => {
    ({ testDb, db } = await fixtureDatabase(dialect));
    ownerId = (await db.repo(owners).create({ name: "Err", email: "err@example.com" })).id;
  });
  afterAll(() => testDb?.drop());

  it("UniqueViolationError names the offending columns", async () => {
    const error = await db
      .repo(owners)
      .create({ name: "Dup", email: "err@example.com" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect(error).toMatchObject({ code: "unique_violation", table: "owners", columns: ["email"] });

    await db.repo(items).create({ ownerId, title: "same" });
    const composite = await db
      .repo(items)
      .create({ ownerId, title: "same" })
      .catch((e) => e);
    expect(composite).toBeInstanceOf(UniqueViolationError);
    expect(composite.columns).toEqual(["ownerId", "title"]);
  });

  it("ForeignKeyViolationError for a missing parent and for a restricted delete", async () => {
    const missingParent = await db
      .repo(items)
      .create({ ownerId: MISSING, title: "orphan" })
      .catch((e) => e);
    expect(missingParent).toBeInstanceOf(ForeignKeyViolationError);

    const item = await db.repo(items).create({ ownerId, title: "referenced" });
    await db.repo(memberships).create({ ownerId, itemId: item.id, role: "reader" });
    const restricted = await db
      .repo(items)
      .purge(item.id)
      .catch((e) => e);
    expect(restricted).toBeInstanceOf(ForeignKeyViolationError);
    expect(await db.repo(items).exists(item.id)).toBe(true);
  });

  it("CheckViolationError for a check constraint and for an enum value", async () => {
    const range = await db
      .repo(items)
      .create({ ownerId, title: "too high", rank: 5000 })
      .catch((e) => e);
    expect(range).toBeInstanceOf(CheckViolationError);
    expect(range).toMatchObject({ table: "items", constraint: "items_rank_range" });

    const badEnum = await db
      .execute(
        sql`insert into items (id, owner_id, title, status, rank, flag, version, created_at, updated_at)
            values (${"01900000-0000-7000-8000-0000000000aa"}, ${ownerId}, ${"raw"}, ${"bogus"}, 0, ${dialect.dialect === "sqlite" ? 0 : false}, 1, ${dialect.dialect === "sqlite" ? Date.now() : new Date().toISOString()}, ${dialect.dialect === "sqlite" ? Date.now() : new Date().toISOString()})`,
      )
      .catch((e) => e);
    expect(badEnum).toBeInstanceOf(CheckViolationError);
    expect(badEnum.constraint).toBe("items_status_values");
  });

  it("NotNullViolationError names the column, even from raw SQL", async () => {
    const error = await db.execute(sql`update owners set name = null where id = ${ownerId}`).catch((e) => e);
    expect(error).toBeInstanceOf(NotNullViolationError);
    expect(error).toMatchObject({ table: "owners", column: "name" });
  });

  it("VersionConflictError, NotFoundError and ValidationError", async () => {
    const item = await db.repo(items).create({ ownerId, title: "versioned" });
    await expect(db.repo(items).update(item.id, { rank: 1 }, { expectedVersion: 7 })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    await expect(db.repo(items).get(MISSING)).rejects.toBeInstanceOf(NotFoundError);
    await expect(db.repo(items).create({ ownerId, title: "", status: "nope" as never })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it("ValidationError for values the database itself rejects as malformed", async () => {
    const cast = dialect.dialect === "postgres" ? sql`::uuid` : sql``;
    const result = await db.execute(sql`select * from owners where id = ${"not-a-uuid"}${cast}`).catch((e) => e);
    // PostgreSQL refuses the text as a uuid (invalid_text_representation): bad input, not a fault.
    // SQLite keeps ids as text, so the same query just finds nothing.
    if (dialect.dialect === "postgres") expect(result).toBeInstanceOf(ValidationError);
    else expect(result).toEqual([]);
  });

  it("never lets a raw driver error out: unknown failures are a DatabaseError without the driver's text", async () => {
    const error = await db.execute(sql`select * from no_such_table`).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.code).toBe("database_error");
    expect(error.message).not.toMatch(/no_such_table/);
    expect(String(error.cause)).toMatch(/no_such_table/);
  });

  it("DatabaseUnavailableError once the database is closed", async () => {
    const other = await testDb.open({ tables: fixtureTables });
    await other.close();
    await expect(other.repo(owners).count()).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });
});

describe("DatabaseUnavailableError when the database cannot be reached", () => {
  it("for a PostgreSQL server that does not answer", async () => {
    const error = await openDatabase({ url: "postgres://nobody@127.0.0.1:1/none" }).catch((e) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(String(error.cause)).toMatch(/cannot connect to postgres:\/\/nobody@127\.0\.0\.1:1\/none/);
  });

  it("for a SQLite file that cannot be created", async () => {
    const error = await openDatabase({ url: "file:/etc/hostname/not-a-dir/cannot.db" }).catch((e) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
  });
});

describe("ValidationError.fromZod", () => {
  const entry = z.strictObject({ amount: z.int().min(0), note: z.string().optional() });
  const issuesOf = (schema: z.ZodType, value: unknown) => {
    const result = schema.safeParse(value);
    if (result.success) throw new Error("expected a failure");
    return ValidationError.fromZod(result.error).issues;
  };

  it("reports a union's failure in the one option of the input's type", () => {
    const oneOrMany = z.union([entry, z.array(entry)]);
    expect(issuesOf(oneOrMany, { amount: 1.5 })).toEqual([
      { path: ["amount"], message: "Invalid input: expected int, received number" },
    ]);
    expect(issuesOf(oneOrMany, [{ amount: 1 }, { amount: "x" }])).toEqual([
      { path: [1, "amount"], message: "Invalid input: expected number, received string" },
    ]);
    // No option of the input's type, or a union with a message of its own: the union's issue.
    expect(issuesOf(oneOrMany, "x")).toEqual([{ path: [], message: "Invalid input" }]);
    const named = z.union([entry, z.array(entry)], { error: "an entry or a list of entries" });
    // An object, as only the first option takes, yet the union's own message is what it says.
    expect(issuesOf(z.object({ named }), { named: { amount: "x" } })).toEqual([
      { path: ["named"], message: "an entry or a list of entries" },
    ]);
  });

  it("reports each unknown key at its own path", () => {
    expect(issuesOf(z.array(entry), [{ amount: 1, colour: "red", size: 2 }])).toEqual([
      { path: [0, "colour"], message: "not a known field" },
      { path: [0, "size"], message: "not a known field" },
    ]);
  });
});
