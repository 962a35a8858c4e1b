import {
  type Database,
  NotFoundError,
  type Repository,
  UniqueViolationError,
  ValidationError,
  VersionConflictError,
} from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureDatabase } from "./fixtures/database.js";
import { counters, items, memberships, owners } from "./fixtures/schema.js";

describe.each(testDialects())("repository on $name", (dialect) => {
  let testDb: TestDatabase;
  let db: Database;
  let ownerRepo: Repository<typeof owners>;
  let itemRepo: Repository<typeof items>;

  beforeAll(async () => {
    ({ testDb, db } = await fixtureDatabase(dialect));
    ownerRepo = db.repo(owners);
    itemRepo = db.repo(items);
  });
  afterAll(() => testDb?.drop());

  const newOwner = (name = "Ada") =>
    ownerRepo.create({ name, email: `${name.toLowerCase()}-${Math.random().toString(36).slice(2)}@example.com` });

  it("creates a row with a UUIDv7 id, timestamps and defaults, and reads it back identically", async () => {
    const owner = await newOwner();
    const due = new Date("2030-01-02T03:04:05.678Z");
    const created = await itemRepo.create({
      ownerId: owner.id,
      title: "First",
      score: 1.5,
      big: 2 ** 52 + 1,
      flag: true,
      data: { tags: ["a", "b"], nested: { n: 1 } },
      dueAt: due,
    });
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created).toMatchObject({ status: "draft", rank: 0, version: 1, deletedAt: null, flag: true });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.updatedAt.getTime()).toBe(created.createdAt.getTime());

    const read = await itemRepo.get(created.id);
    expect(read).toEqual(created);
    expect(read.dueAt?.toISOString()).toBe(due.toISOString());
    expect(read.data).toEqual({ tags: ["a", "b"], nested: { n: 1 } });
    expect(read.big).toBe(2 ** 52 + 1);
  });

  it("gives the rows of one insert distinct UUIDv7 ids that sort in the order they were made", async () => {
    const owner = await newOwner();
    const rows = await itemRepo.createMany(
      Array.from({ length: 300 }, (_, i) => ({ ownerId: owner.id, title: `n${i}` })),
    );
    const ids = rows.map((row) => row.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(300);
    expect([...ids].sort()).toEqual(ids);
    // The first 48 bits are the time of creation in milliseconds.
    const made = Number.parseInt(ids[0]?.replace("-", "").slice(0, 12) ?? "", 16);
    expect(Math.abs(made - (rows[0] as { createdAt: Date }).createdAt.getTime())).toBeLessThan(1000);
  });

  it("answers get for a missing row with NotFoundError and find with null", async () => {
    const missing = "01900000-0000-7000-8000-000000000000";
    await expect(itemRepo.get(missing)).rejects.toBeInstanceOf(NotFoundError);
    expect(await itemRepo.find(missing)).toBeNull();
    expect(await itemRepo.exists(missing)).toBe(false);
  });

  it("validates input with the table's zod schema, refinements included", async () => {
    const owner = await ownerRepo.create({ name: "  Grace ", email: "  Grace@Example.COM " });
    expect(owner.email).toBe("grace@example.com");
    expect(owner.name).toBe("Grace");
    await expect(ownerRepo.create({ name: "x", email: "not-an-email" })).rejects.toBeInstanceOf(ValidationError);
    // SQLite does not enforce varchar lengths; the layer does, on both dialects.
    const error = await ownerRepo.create({ name: "x".repeat(51), email: "long@example.com" }).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual(["name"]);
    expect(await ownerRepo.count({ email: "long@example.com" })).toBe(0);
    // A key that is no column is refused, not dropped: a misspelt one must not look written.
    const unknown = await ownerRepo
      .create({ name: "x", email: "unknown@example.com", nmae: "y" } as never)
      .catch((e) => e);
    expect(unknown).toBeInstanceOf(ValidationError);
    expect((unknown as ValidationError).issues).toEqual([{ path: ["nmae"], message: "not a known field" }]);
    const misspelt = await ownerRepo.update(owner.id, { nmae: "y" } as never).catch((e) => e);
    expect((misspelt as ValidationError).issues[0]?.path).toEqual(["nmae"]);
    expect(await ownerRepo.get(owner.id)).toEqual(owner);
  });

  it("refuses values the two dialects would store differently, at their column, writing nothing", async () => {
    const owner = await newOwner("Storable");
    const refused = async (values: Record<string, unknown>, path: (string | number)[], message: RegExp) => {
      const error = await itemRepo.create({ ownerId: owner.id, title: "t", ...values } as never).catch((e) => e);
      expect(error, JSON.stringify(path)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toEqual([{ path, message: expect.stringMatching(message) }]);
    };
    await refused({ body: "nul\u0000here" }, ["body"], /U\+0000/);
    await refused({ title: "half \ud800 pair" }, ["title"], /lone surrogates/);
    await refused({ data: { tags: ["ok", "x\u0000y"] } }, ["data", "tags", 1], /U\+0000/);
    await refused({ labels: [{ "k\u0000": 1 }] as never }, ["labels", 0], /keys may not/);
    // JSON has no Infinity: JSON.stringify would have written null.
    await refused({ data: { tags: [], nested: { n: Number.POSITIVE_INFINITY } } }, ["data", "nested", "n"], /finite/);
    await refused({ dueAt: new Date("+010000-01-01T00:00:00Z") }, ["dueAt"], /years 1 to 9999/);
    await refused({ dueAt: new Date("-000001-01-01T00:00:00Z") }, ["dueAt"], /years 1 to 9999/);
    const many = await itemRepo
      .createMany([
        { ownerId: owner.id, title: "fine" },
        { ownerId: owner.id, title: "not", body: "\u0000" },
      ])
      .catch((e) => e);
    expect((many as ValidationError).issues.map((i) => i.path)).toEqual([[1, "body"]]);
    expect(await itemRepo.count({ ownerId: owner.id })).toBe(0);
    const kept = await itemRepo.create({ ownerId: owner.id, title: "t", dueAt: new Date("9999-12-31T23:59:59.999Z") });
    const error = await itemRepo.update(kept.id, { body: "\u0000" }).catch((e) => e);
    expect((error as ValidationError).issues[0]?.path).toEqual(["body"]);
    expect(await itemRepo.get(kept.id)).toEqual(kept);
  });

  it("filters with every operator", async () => {
    const owner = await newOwner("Filter");
    await itemRepo.createMany(
      Array.from({ length: 10 }, (_, i) => ({
        ownerId: owner.id,
        title: `Item ${i}`,
        rank: i,
        status: (["draft", "active", "archived"] as const)[i % 3],
        score: i % 2 === 0 ? null : i / 2,
      })),
    );
    const titles = async (where: Parameters<typeof itemRepo.list>[0]) =>
      (await itemRepo.list({ ...where, sort: "rank" })).data.map((r) => r.rank);
    const base = { ownerId: owner.id };
    expect(await titles({ where: { ...base, rank: 3 } })).toEqual([3]);
    expect(await titles({ where: { ...base, rank: { ne: 3, lt: 5 } } })).toEqual([0, 1, 2, 4]);
    expect(await titles({ where: { ...base, rank: { gte: 7 } } })).toEqual([7, 8, 9]);
    expect(await titles({ where: { ...base, rank: { gt: 7, lte: 8 } } })).toEqual([8]);
    expect(await titles({ where: { ...base, status: { in: ["draft", "archived"] } } })).toEqual([0, 2, 3, 5, 6, 8, 9]);
    expect(await titles({ where: { ...base, status: { notIn: ["draft", "archived"] } } })).toEqual([1, 4, 7]);
    expect(await titles({ where: { ...base, status: { in: [] } } })).toEqual([]);
    expect(await titles({ where: { ...base, title: { like: "ITEM 1%" } } })).toEqual([1]);
    expect(await titles({ where: { ...base, title: { startsWith: "Item " } } })).toHaveLength(10);
    expect(await titles({ where: { ...base, title: { startsWith: "item" } } })).toEqual([]);
    expect(await titles({ where: { ...base, title: { startsWith: "Item_" } } })).toEqual([]);
    expect(await titles({ where: { ...base, title: { startsWith: "Item 9" } } })).toEqual([9]);
    expect(await titles({ where: { ...base, score: null } })).toEqual([0, 2, 4, 6, 8]);
    expect(await titles({ where: { ...base, score: { isNull: false } } })).toEqual([1, 3, 5, 7, 9]);
    expect(await titles({ where: { ...base, score: { isNull: true } } })).toEqual([0, 2, 4, 6, 8]);
    expect(await itemRepo.count({ ...base, score: { isNull: false } })).toBe(5);
    expect(await itemRepo.count({ ...base, status: "active" })).toBe(3);

    // JSON arrays: `contains` finds rows whose array holds the element, on both dialects.
    const labelled = await itemRepo.createMany([
      { ownerId: owner.id, title: "L1", labels: ["red", "blue"] },
      { ownerId: owner.id, title: "L2", labels: ["blue"] },
      { ownerId: owner.id, title: "L3", labels: ["Red", 'it\'s "quoted"'] },
    ]);
    const having = async (label: string) =>
      (await itemRepo.list({ where: { ...base, labels: { contains: label } }, sort: "title" })).data.map(
        (r) => r.title,
      );
    expect(await having("blue")).toEqual(["L1", "L2"]);
    expect(await having("red")).toEqual(["L1"]);
    expect(await having('it\'s "quoted"')).toEqual(["L3"]);
    expect(await having("green")).toEqual([]);
    expect(labelled).toHaveLength(3);
    // An object holds no elements: its values are not found, on either dialect.
    await itemRepo.create({ ownerId: owner.id, title: "O1", data: { tags: [], nested: { n: 1 } } });
    const objects = await itemRepo.list({ where: { ...base, data: { contains: 1 as never } } });
    expect(objects.data).toEqual([]);
    await expect(itemRepo.list({ where: { title: { contains: "x" } as never } })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(itemRepo.list({ where: { nope: 1 } as never })).rejects.toBeInstanceOf(ValidationError);

    // A condition that is not one, or a value the column cannot hold, is a ValidationError at its place.
    const problem = (where: unknown) =>
      itemRepo.list({ where: where as never }).then(
        () => undefined,
        (e: unknown) => (e instanceof ValidationError ? e.issues.map((i) => i.path.join(".")) : e),
      );
    expect(await problem({ rank: { gte: 1, lts: 3 } })).toEqual(["where.rank.lts"]);
    expect(await problem({ rank: {} })).toEqual(["where.rank"]);
    expect(await problem({ dueAt: { gt: "2024-01-01" } })).toEqual(["where.dueAt.gt"]);
    expect(await problem({ dueAt: { in: [new Date(), new Date(Number.NaN)] } })).toEqual(["where.dueAt.in.1"]);
    expect(await problem({ ownerId: "not-a-uuid" })).toEqual(["where.ownerId"]);
    expect(await problem({ rank: { like: "1%" } })).toEqual(["where.rank.like"]);
    expect(await problem({ ownerId: { startsWith: "0" } })).toEqual(["where.ownerId.startsWith"]);
    // What PostgreSQL refuses and SQLite would quietly match nothing with, refused on both.
    expect(await problem({ title: { like: "b\\" } })).toEqual(["where.title.like"]);
    expect(await titles({ where: { ...base, title: { like: "%\\\\" } } })).toEqual([]);
    expect(await problem({ rank: { gt: Number.NaN } })).toEqual(["where.rank.gt"]);
    expect(await problem({ score: Number.POSITIVE_INFINITY })).toEqual(["where.score"]);
    expect(await problem({ title: "nul\u0000" })).toEqual(["where.title"]);
    expect(await problem({ title: { in: ["ok", "\ud800"] } })).toEqual(["where.title.in.1"]);
    expect(await problem({ labels: { contains: "\u0000" } })).toEqual(["where.labels.contains"]);
  });

  it("matches `like` without regard to case for every letter, not ASCII alone", async () => {
    const owner = await newOwner("Accents");
    await itemRepo.createMany(
      ["École Normale", "ÄRGER", "Пример", "plain"].map((title, rank) => ({ ownerId: owner.id, title, rank })),
    );
    const like = async (pattern: string) =>
      (await itemRepo.list({ where: { ownerId: owner.id, title: { like: pattern } }, sort: "rank" })).data.map(
        (r) => r.title,
      );
    expect(await like("%école%")).toEqual(["École Normale"]);
    expect(await like("ÉCOLE%")).toEqual(["École Normale"]);
    expect(await like("ärger")).toEqual(["ÄRGER"]);
    expect(await like("%РИМ%")).toEqual(["Пример"]);
    expect(await like("%ecole%")).toEqual([]);
    // The connection's own lower() and upper() agree with the dialect's other side, PostgreSQL.
    const [changed] = await db.execute<{ l: string; u: string }>(
      sql`select lower('ÉCOLE Ä') as l, upper('école ä') as u`,
    );
    expect(changed).toEqual({ l: "école ä", u: "ÉCOLE Ä" });
  });

  it("inserts thousands of rows that leave most columns to their defaults", async () => {
    // On SQLite the defaults of the columns left out are bound too: a statement may not take as many
    // rows as the values given alone would allow.
    const owner = await newOwner("Bulk");
    const rows = await itemRepo.createMany(
      Array.from({ length: 8_000 }, (_, i) => ({ ownerId: owner.id, title: `B${i}` })),
    );
    expect(rows).toHaveLength(8_000);
    expect(rows[7_999]).toMatchObject({ title: "B7999", status: "draft", rank: 0, flag: false, labels: [] });
    expect(await itemRepo.count({ ownerId: owner.id })).toBe(8_000);
  });

  it("pages through every row exactly once by cursor, whatever the sort, nulls included", async () => {
    const owner = await newOwner("Pager");
    const rows = await itemRepo.createMany(
      Array.from({ length: 37 }, (_, i) => ({
        ownerId: owner.id,
        title: `P${String(i).padStart(2, "0")}`,
        rank: i % 5,
        score: i % 4 === 0 ? null : (i * 7) % 11,
        status: (["draft", "active", "archived"] as const)[i % 3],
      })),
    );
    expect(rows).toHaveLength(37);
    const sorts = [
      ["rank"],
      ["-rank", "title"],
      ["score"],
      ["-score"],
      ["-createdAt"],
      ["status"],
      ["-status", "rank"],
    ];
    for (const sort of sorts as (readonly (
      | "rank"
      | "-rank"
      | "title"
      | "score"
      | "-score"
      | "-createdAt"
      | "status"
      | "-status"
    )[])[]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<typeof itemRepo.list>> = await itemRepo.list({
          where: { ownerId: owner.id },
          sort,
          limit: 5,
          cursor,
          count: pages === 0,
        });
        if (pages === 0) expect(page.total).toBe(37);
        seen.push(...page.data.map((r) => r.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      expect(new Set(seen).size, `sort ${sort.join(",")}`).toBe(37);
      expect(seen).toHaveLength(37);
      expect(pages).toBe(8);
      // The pages, put together, are in the same order as one big sorted list.
      const all = await itemRepo.list({ where: { ownerId: owner.id }, sort, limit: 100 });
      expect(seen).toEqual(all.data.map((r) => r.id));
    }
  });

  it("reads a row with its children in one statement, decoded exactly as a list would", async () => {
    const owner = await newOwner("Parent");
    const lonely = await newOwner("Lonely");
    const due = new Date("2031-05-06T07:08:09.123Z");
    const children = await itemRepo.createMany([
      { ownerId: owner.id, title: "c1", rank: 2, flag: true, data: { tags: ["x"], nested: { n: 1 } }, dueAt: due },
      { ownerId: owner.id, title: "c2", rank: 9, big: 2 ** 52 + 3, score: 0.25, labels: ["a", "b"] },
      { ownerId: owner.id, title: "c3", rank: 5, body: 'quotes " and \\ and \u00e9' },
      { ownerId: owner.id, title: "gone", rank: 7 },
    ]);
    await itemRepo.delete(children[3]?.id as string);
    const include = { items: { table: items, foreignKey: "ownerId", sort: "-rank" } } as const;
    const read = await ownerRepo.getWith(owner.id, include);
    const listed = await itemRepo.list({ where: { ownerId: owner.id }, sort: "-rank" });
    expect(read.items).toEqual(listed.data);
    expect(read.items.map((i) => i.title)).toEqual(["c2", "c3", "c1"]);
    expect(read.items[2]?.dueAt).toEqual(due);
    expect(read.items[2]?.flag).toBe(true);
    expect(read.items[0]?.big).toBe(2 ** 52 + 3);
    const { items: _children, ...parent } = read;
    expect(parent).toEqual(await ownerRepo.get(owner.id));
    expect((await ownerRepo.getWith(lonely.id, include)).items).toEqual([]);
    await expect(ownerRepo.getWith("0190a6a4-0000-7000-8000-000000000000", include)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(ownerRepo.getWith("not-a-uuid", include)).rejects.toBeInstanceOf(ValidationError);
  });

  it("computes extras in the row's statement, one statement per extras object, values bound per call", async () => {
    const owner = await newOwner("Extras");
    await itemRepo.createMany([1, 2, 3].map((rank) => ({ ownerId: owner.id, title: `r${rank}`, rank })));
    const extras = {
      rankedFrom: sql<number | string>`(select count(*) from items i
        where i.owner_id = "owners"."id" and i.rank >= ${sql.placeholder("minRank")} and i.deleted_at is null)`,
      shout: sql<string>`upper("owners"."name")`,
    };
    const read = await ownerRepo.getWith(owner.id, {}, { extras, values: { minRank: 2 } });
    expect(Number(read.rankedFrom)).toBe(2);
    expect(read.shout).toBe("EXTRAS");
    const { rankedFrom: _r, shout: _s, ...row } = read;
    expect(row).toEqual(await ownerRepo.get(owner.id));
    // The same statement again, with another value.
    expect(Number((await ownerRepo.getWith(owner.id, {}, { extras, values: { minRank: 3 } })).rankedFrom)).toBe(1);
    // With children as well.
    const include = { items: { table: items, foreignKey: "ownerId", sort: "rank" } } as const;
    const both = await ownerRepo.getWith(owner.id, include, { extras, values: { minRank: 1 } });
    expect(both.items.map((i) => i.title)).toEqual(["r1", "r2", "r3"]);
    expect(Number(both.rankedFrom)).toBe(3);
    // The same include object without extras, and the same extras without includes: planned apart.
    const plain = await ownerRepo.getWith(owner.id, include);
    expect("rankedFrom" in plain).toBe(false);
    expect(plain.items.map((i) => i.title)).toEqual(["r1", "r2", "r3"]);
    const noChildren = await ownerRepo.getWith(owner.id, {}, { extras, values: { minRank: 1 } });
    expect("items" in noChildren).toBe(false);
    expect(Number(noChildren.rankedFrom)).toBe(3);
    // One include object read with another `deleted`: planned apart.
    const [first] = plain.items;
    await itemRepo.delete(first?.id as string);
    const none = {};
    await expect(itemRepo.getWith(first?.id as string, none)).rejects.toBeInstanceOf(NotFoundError);
    expect((await itemRepo.getWith(first?.id as string, none, { deleted: "only" })).title).toBe("r1");
    await expect(itemRepo.getWith(first?.id as string, none)).rejects.toBeInstanceOf(NotFoundError);
    await expect(ownerRepo.getWith(owner.id, {}, { extras: { name: sql`1` } })).rejects.toThrow(/is a column/);
    await expect(ownerRepo.getWith(owner.id, {}, { extras, values: { minRank: 1, k0: 1 } })).rejects.toThrow(
      /taken by the key/,
    );
  });

  it("sorts enums in their declared order, not alphabetically", async () => {
    const owner = await newOwner("Enums");
    await itemRepo.createMany(
      (["archived", "draft", "active", "draft"] as const).map((status, i) => ({
        ownerId: owner.id,
        title: `e${i}`,
        status,
      })),
    );
    const statuses = async (sort: "status" | "-status", cursor?: string | null) =>
      itemRepo.list({ where: { ownerId: owner.id }, sort, limit: 2, cursor });
    const first = await statuses("status");
    expect(first.data.map((r) => r.status)).toEqual(["draft", "draft"]);
    expect((await statuses("status", first.nextCursor)).data.map((r) => r.status)).toEqual(["active", "archived"]);
    const descending = await itemRepo.list({ where: { ownerId: owner.id }, sort: "-status" });
    expect(descending.data.map((r) => r.status)).toEqual(["archived", "active", "draft", "draft"]);
  });

  it("sorts nulls last ascending and first descending on both dialects", async () => {
    const owner = await newOwner("Nulls");
    await itemRepo.createMany([
      { ownerId: owner.id, title: "a", score: 2 },
      { ownerId: owner.id, title: "b", score: null },
      { ownerId: owner.id, title: "c", score: 1 },
    ]);
    const asc = await itemRepo.list({ where: { ownerId: owner.id }, sort: "score" });
    expect(asc.data.map((r) => r.title)).toEqual(["c", "a", "b"]);
    const desc = await itemRepo.list({ where: { ownerId: owner.id }, sort: "-score" });
    expect(desc.data.map((r) => r.title)).toEqual(["b", "a", "c"]);
  });

  it("pages by offset and rejects cursors that are forged or belong to another sort", async () => {
    const owner = await newOwner("Offset");
    await itemRepo.createMany(Array.from({ length: 6 }, (_, i) => ({ ownerId: owner.id, title: `O${i}`, rank: i })));
    const page = await itemRepo.list({ where: { ownerId: owner.id }, sort: "rank", limit: 2, offset: 2 });
    expect(page.data.map((r) => r.rank)).toEqual([2, 3]);
    const first = await itemRepo.list({ where: { ownerId: owner.id }, sort: "rank", limit: 2 });
    await expect(itemRepo.list({ sort: "-rank", cursor: first.nextCursor })).rejects.toBeInstanceOf(ValidationError);
    await expect(itemRepo.list({ cursor: "garbage!" })).rejects.toBeInstanceOf(ValidationError);
    // Well-formed cursors whose values do not fit their columns are refused too, never sent to the database.
    const forge = (values: unknown[], sort = "rank") =>
      Buffer.from(JSON.stringify([`${sort},id`, values])).toString("base64url");
    for (const values of [
      ["x", "y"],
      [1, "not-a-uuid"],
      [null, owner.id],
      [1.5, owner.id],
    ]) {
      await expect(
        itemRepo.list({ sort: "rank", cursor: forge(values) }),
        JSON.stringify(values),
      ).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(itemRepo.list({ sort: "rank", cursor: forge([1, owner.id]) })).resolves.toBeDefined();
    // ... and so are values their column could hold but the two dialects would not compare alike.
    for (const [sort, value] of [
      ["title", "a\u0000b"],
      ["title", "\ud800"],
      ["createdAt", { d: 8.64e15 }],
      ["createdAt", { d: -8.64e15 }],
    ] as const) {
      await expect(
        itemRepo.list({ sort: sort as "title", cursor: forge([value, owner.id], sort) }),
        JSON.stringify(value),
      ).rejects.toBeInstanceOf(ValidationError);
    }
    // A malformed uuid filter answers the same on both dialects.
    await expect(itemRepo.get("not-a-uuid")).rejects.toBeInstanceOf(ValidationError);
    await expect(itemRepo.list({ where: { ownerId: { in: ["x"] } } })).rejects.toBeInstanceOf(ValidationError);
    await expect(itemRepo.list({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(itemRepo.list({ sort: "data" as never })).rejects.toBeInstanceOf(ValidationError);
  });

  it("updates partially, bumps version and updatedAt, and refuses a stale version", async () => {
    const owner = await newOwner("Versions");
    const item = await itemRepo.create({ ownerId: owner.id, title: "v" });
    await new Promise((r) => setTimeout(r, 5));
    const updated = await itemRepo.update(item.id, { rank: 5 }, { expectedVersion: 1 });
    expect(updated).toMatchObject({ rank: 5, version: 2, title: "v" });
    expect(updated.updatedAt.getTime()).toBeGreaterThan(item.updatedAt.getTime());
    expect(updated.createdAt).toEqual(item.createdAt);

    const conflict = await itemRepo.update(item.id, { rank: 6 }, { expectedVersion: 1 }).catch((e) => e);
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect(conflict).toMatchObject({ expectedVersion: 1, actualVersion: 2 });
    expect((await itemRepo.get(item.id)).rank).toBe(5);

    const noCheck = await itemRepo.update(item.id, { rank: 7 });
    expect(noCheck.version).toBe(3);
    await expect(itemRepo.update("01900000-0000-7000-8000-000000000000", { rank: 1 })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(itemRepo.update(item.id, { rank: "high" as never })).rejects.toBeInstanceOf(ValidationError);

    // Nothing to change is no edit: the version and updatedAt stay, a stale version is still refused.
    const unchanged = await itemRepo.update(item.id, {}, { expectedVersion: 3 });
    expect(unchanged).toEqual(noCheck);
    expect(await itemRepo.update(item.id, { title: undefined })).toEqual(noCheck);
    await expect(itemRepo.update(item.id, {}, { expectedVersion: 2 })).rejects.toBeInstanceOf(VersionConflictError);
    await expect(itemRepo.update("01900000-0000-7000-8000-000000000000", {})).rejects.toBeInstanceOf(NotFoundError);
  });

  it("increments a counter atomically, without counting it as an edit", async () => {
    const owner = await newOwner("Counter");
    const item = await itemRepo.create({ ownerId: owner.id, title: "counted" });
    const values = await Promise.all(
      Array.from({ length: 25 }, () => db.transaction(async (tx) => tx.repo(items).increment(item.id, "rank"))),
    );
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const after = await itemRepo.get(item.id);
    expect(after.rank).toBe(25);
    expect(after.version).toBe(item.version);
    expect(after.updatedAt).toEqual(item.updatedAt);
    expect(await itemRepo.increment(item.id, "rank", -5)).toBe(20);
    await expect(itemRepo.increment(item.id, "score" as never)).rejects.toBeInstanceOf(ValidationError);
    // version belongs to optimistic concurrency: a counter there would let stale writes through.
    await expect(itemRepo.increment(item.id, "version" as never)).rejects.toBeInstanceOf(ValidationError);
    // A null counter counts from 0, and stores what it returns.
    expect(await itemRepo.increment(item.id, "big", 2)).toBe(2);
    expect((await itemRepo.get(item.id)).big).toBe(2);
    await expect(itemRepo.increment("01900000-0000-7000-8000-000000000000", "rank")).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("soft-deletes, hides, restores and purges", async () => {
    const owner = await newOwner("Soft");
    const item = await itemRepo.create({ ownerId: owner.id, title: "doomed" });
    await itemRepo.delete(item.id);
    await expect(itemRepo.get(item.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await itemRepo.count({ ownerId: owner.id })).toBe(0);
    expect((await itemRepo.get(item.id, { deleted: "include" })).deletedAt).toBeInstanceOf(Date);
    expect((await itemRepo.list({ where: { ownerId: owner.id }, deleted: "only" })).data).toHaveLength(1);
    await expect(itemRepo.delete(item.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(itemRepo.update(item.id, { rank: 1 })).rejects.toBeInstanceOf(NotFoundError);

    // The partial unique index lets a new row take the deleted one's title…
    const replacement = await itemRepo.create({ ownerId: owner.id, title: "doomed" });
    // …so restoring the old one now collides.
    await expect(itemRepo.restore(item.id)).rejects.toBeInstanceOf(UniqueViolationError);
    await itemRepo.purge(replacement.id);
    const restored = await itemRepo.restore(item.id);
    expect(restored.deletedAt).toBeNull();
    await expect(itemRepo.restore(item.id)).rejects.toBeInstanceOf(NotFoundError);
    await itemRepo.purge(item.id);
    expect(await itemRepo.find(item.id, { deleted: "include" })).toBeNull();
  });

  it("deletes with cascades defined in the schema", async () => {
    const owner = await newOwner("Cascade");
    const item = await itemRepo.create({ ownerId: owner.id, title: "child" });
    await ownerRepo.delete(owner.id);
    expect(await itemRepo.find(item.id, { deleted: "include" })).toBeNull();
  });

  it("upserts on a unique key", async () => {
    const first = await ownerRepo.upsert({ name: "One", email: "upsert@example.com" }, { target: ["email"] });
    await new Promise((r) => setTimeout(r, 5));
    const second = await ownerRepo.upsert({ name: "Two", email: "upsert@example.com" }, { target: ["email"] });
    expect(second.id).toBe(first.id);
    expect(second.name).toBe("Two");
    expect(second.createdAt).toEqual(first.createdAt);
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    expect(await ownerRepo.count({ email: "upsert@example.com" })).toBe(1);

    // On a partial unique index (live rows only) the conflict is with the live row; a soft-deleted
    // one stays deleted and a new row is made.
    const owner = await newOwner("Upsert");
    const live = await itemRepo.upsert({ ownerId: owner.id, title: "Once", rank: 1 }, { target: ["ownerId", "title"] });
    const again = await itemRepo.upsert(
      { ownerId: owner.id, title: "Once", rank: 2 },
      { target: ["ownerId", "title"] },
    );
    expect(again).toMatchObject({ id: live.id, rank: 2, version: 2 });
    await itemRepo.delete(live.id);
    const fresh = await itemRepo.upsert(
      { ownerId: owner.id, title: "Once", rank: 3 },
      { target: ["ownerId", "title"] },
    );
    expect(fresh.id).not.toBe(live.id);
    expect(await itemRepo.get(live.id, { deleted: "include" })).toMatchObject({ rank: 2 });
    const noIndex = await itemRepo.upsert({ ownerId: owner.id, title: "x" }, { target: ["title"] }).catch((e) => e);
    expect(noIndex).toBeInstanceOf(ValidationError);
    expect((noIndex as ValidationError).issues[0]?.path).toEqual(["target"]);
  });

  it("works with composite primary keys", async () => {
    const owner = await newOwner("Composite");
    const item = await itemRepo.create({ ownerId: owner.id, title: "shared" });
    const repo = db.repo(memberships);
    await repo.create({ ownerId: owner.id, itemId: item.id, role: "reader" });
    const key = { ownerId: owner.id, itemId: item.id };
    expect((await repo.get(key)).role).toBe("reader");
    expect((await repo.update(key, { role: "writer" })).role).toBe("writer");
    await expect(repo.create({ ownerId: owner.id, itemId: item.id, role: "reader" })).rejects.toMatchObject({
      columns: ["ownerId", "itemId"],
    });
    await repo.delete(key);
    expect(await repo.find(key)).toBeNull();
    // A key that is not an object of the key's columns is refused as such, whatever it is.
    for (const bad of [undefined, null, "x", 5]) {
      for (const call of [
        (): Promise<unknown> => repo.get(bad as never),
        () => repo.update(bad as never, { role: "writer" }),
        () => repo.delete(bad as never),
      ]) {
        const refused = await Promise.resolve()
          .then(call)
          .catch((e: unknown) => e);
        expect(refused, `${JSON.stringify(bad)}: ${call}`).toBeInstanceOf(ValidationError);
        expect((refused as ValidationError).issues[0]?.message).toMatch(/key/);
      }
    }
  });

  it("creates many rows in one transaction, across statement chunks, in input order", async () => {
    const owner = await newOwner("Many");
    // 3,000 rows × 15 columns passes the 30,000 bound-value chunk size.
    const input = Array.from({ length: 3000 }, (_, i) => ({ ownerId: owner.id, title: `M${i}`, rank: i % 1000 }));
    const rows = await itemRepo.createMany(input);
    expect(rows.map((r) => r.title)).toEqual(input.map((r) => r.title));
    expect(await itemRepo.count({ ownerId: owner.id })).toBe(3000);

    // One bad row anywhere means none are written.
    const bad = [
      ...input.slice(0, 2500).map((r) => ({ ...r, title: `${r.title}-again` })),
      { ownerId: owner.id, title: "M1" },
    ];
    await expect(itemRepo.createMany(bad)).rejects.toBeInstanceOf(UniqueViolationError);
    expect(await itemRepo.count({ ownerId: owner.id })).toBe(3000);
    const invalid = await itemRepo
      .createMany([
        { ownerId: owner.id, title: "ok" },
        { ownerId: owner.id, title: 5 as never },
      ])
      .catch((e) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).issues[0]?.path).toEqual([1, "title"]);
    await expect(itemRepo.createMany({} as never)).rejects.toBeInstanceOf(ValidationError);

    // Rows that bind different columns, interleaved, go in one statement per set of columns and
    // come back in input order, each with its own values and the defaults of what it left out.
    const mixed = await itemRepo.createMany([
      { ownerId: owner.id, title: "X1", score: 1 },
      { ownerId: owner.id, title: "X2" },
      { ownerId: owner.id, title: "X3", score: 3 },
      { ownerId: owner.id, title: "X4", status: "active" },
      { ownerId: owner.id, title: "X5" },
    ]);
    expect(mixed.map((r) => [r.title, r.score, r.status])).toEqual([
      ["X1", 1, "draft"],
      ["X2", null, "draft"],
      ["X3", 3, "draft"],
      ["X4", null, "active"],
      ["X5", null, "draft"],
    ]);
    const stored = await itemRepo.list({ where: { ownerId: owner.id, title: { startsWith: "X" } }, sort: "title" });
    expect(stored.data).toEqual(mixed);
  });

  it("keeps the statements of the last four bulk inserts, each call binding its own values", async () => {
    const owner = await newOwner("Bulk");
    const page = (from: number, rows = 150) =>
      Array.from({ length: rows }, (_, i) => ({ ownerId: owner.id, title: `B${from + i}`, rank: (from + i) % 1000 }));
    db.shared.bulk.clear();
    const first = await itemRepo.createMany(page(0));
    expect(db.shared.bulk.size).toBe(1);
    // The same shape and size: the statement kept is run with this page's values.
    const second = await db.transaction((tx) => tx.repo(items).createMany(page(150)));
    expect(db.shared.bulk.size).toBe(1);
    expect(second.map((r) => [r.title, r.rank])).toEqual(page(150).map((r) => [r.title, r.rank]));
    const stored = await itemRepo.list({ where: { ownerId: owner.id }, sort: "rank", limit: 1000 });
    expect(stored.data).toEqual([...first, ...second]);
    // Pages of other sizes each have a statement of their own; only the most recent few are kept.
    for (let size = 101; size <= 120; size++) await itemRepo.createMany(page(1000 + size * 200, size));
    expect(db.shared.bulk.size).toBe(4);
    expect(await itemRepo.count({ ownerId: owner.id })).toBe(300 + (101 + 120) * 10);
  });

  it("returns rows as stored and as a read returns them: uuids in lower case, values copied, database defaults read", async () => {
    const owner = await newOwner("Echo");
    const data = { tags: ["a"], nested: { n: 1 } };
    const [item] = await itemRepo.createMany([{ ownerId: owner.id.toUpperCase(), title: "Echo", data }]);
    expect(item?.ownerId).toBe(owner.id);
    data.tags.push("changed after the insert");
    expect(item?.data).toEqual({ tags: ["a"], nested: { n: 1 } });
    expect(await itemRepo.get((item?.id ?? "").toUpperCase())).toEqual(item);
    expect((await itemRepo.list({ where: { ownerId: owner.id.toUpperCase() } })).data).toEqual([item]);

    const counter = await db.repo(counters).create({ id: `echo-${owner.id}` });
    expect(counter).toEqual({ id: `echo-${owner.id}`, value: 0, label: "counter" });
  });

  it("reads back timestamps of every era exactly, PostgreSQL sessions in UTC", async () => {
    const owner = await newOwner("Era");
    const moments = [
      "1930-06-01T00:00:00.000Z",
      "0099-06-01T12:00:00.250Z",
      "0001-01-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
    ];
    for (const moment of moments) {
      const item = await itemRepo.create({ ownerId: owner.id, title: moment, dueAt: new Date(moment) });
      expect(item.dueAt?.toISOString()).toBe(moment);
      expect((await itemRepo.get(item.id)).dueAt?.toISOString()).toBe(moment);
      expect(
        (await itemRepo.list({ where: { ownerId: owner.id, dueAt: new Date(moment) } })).data.map((r) => r.title),
      ).toEqual([moment]);
    }
    if (dialect.dialect === "postgres") {
      const [zone] = await db.execute<{ TimeZone: string }>(sql`show time zone`);
      expect(zone?.TimeZone).toBe("UTC");
    }
  });

  it(`stores JSON as ${dialect.dialect === "sqlite" ? "text" : "jsonb"} and booleans natively`, async () => {
    const owner = await newOwner("Json");
    const item = await itemRepo.create({ ownerId: owner.id, title: "json", data: { tags: ["x"] }, flag: true });
    const [raw] = await db.execute<{ kind: string; flag: unknown }>(
      dialect.dialect === "sqlite"
        ? sql`select json_type(data) as kind, flag from items where id = ${item.id}`
        : sql`select jsonb_typeof(data) as kind, flag from items where id = ${item.id}`,
    );
    expect(raw?.kind).toBe("object");
    expect(raw?.flag).toBe(dialect.dialect === "sqlite" ? 1 : true);
  });

  it("reads JSON back as it was written, strings that read as JSON text included", async () => {
    const owner = await newOwner("JsonValues");
    const values: unknown[] = ["123", "true", "null", '"quoted"', "[1]", "{}", "plain", 123, [1, "2"], { a: "1" }];
    // Titles "value 0" … "value 9" sort as the values are listed.
    const created = await itemRepo.createMany(
      values.map((value, i) => ({ ownerId: owner.id, title: `value ${i}`, data: value as never })),
    );
    expect(created.map((item) => item.data)).toEqual(values);
    for (const [i, value] of values.entries()) {
      expect((await itemRepo.get(created[i]?.id as string))?.data, JSON.stringify(value)).toEqual(value);
    }
    const listed = await itemRepo.list({ where: { ownerId: owner.id }, sort: "title", limit: 50 });
    expect(listed.data.map((item) => item.data)).toEqual(values);
    const include = { items: { table: items, foreignKey: "ownerId", sort: "title" } } as const;
    expect((await ownerRepo.getWith(owner.id, include)).items.map((item) => item.data)).toEqual(values);
    const updated = await itemRepo.update(created[0]?.id as string, { data: "456" as never });
    expect(updated.data).toBe("456");
    // Stored as a JSON string, not as the number it reads as.
    const typeOf = dialect.dialect === "postgres" ? sql`jsonb_typeof(data)` : sql`json_type(data)`;
    const [stored] = await db.execute<{ kind: string }>(
      sql`select ${typeOf} as kind from items where id = ${created[0]?.id}`,
    );
    expect(stored?.kind).toBe(dialect.dialect === "postgres" ? "string" : "text");
  });
});
