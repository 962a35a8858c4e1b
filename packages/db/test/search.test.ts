import { type Database, type Repository, searchTerms, textSearch } from "@groundwork/db";
import { hostileQueries, type TestDatabase, testDialects } from "@groundwork/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureDatabase } from "./fixtures/database.js";
import { items, owners } from "./fixtures/schema.js";

describe("searchTerms", () => {
  it("keeps words and drops every kind of syntax", () => {
    expect(searchTerms('Deadlock "in" (lock) manager*')).toEqual(["deadlock", "in", "lock", "manager"]);
    expect(searchTerms("'; DROP TABLE x; --")).toEqual(["drop", "table", "x"]);
    expect(searchTerms("ﬁle Ärger 東京")).toEqual(["file", "ärger", "東京"]);
    expect(searchTerms('()"*^:&|!<->')).toEqual([]);
    expect(searchTerms("a a A")).toEqual(["a"]);
  });

  it("caps how many words count and how long each is", () => {
    expect(searchTerms(Array.from({ length: 40 }, (_, i) => `w${i}`).join(" "))).toHaveLength(16);
    expect(searchTerms("y".repeat(500))).toEqual(["y".repeat(64)]);
  });
});

describe.each(testDialects())("full-text search on $name", (dialect) => {
  let testDb: TestDatabase;
  let db: Database;
  let repo: Repository<typeof items>;
  let ownerId: string;
  let otherOwnerId: string;

  beforeAll(async () => {
    ({ testDb, db } = await fixtureDatabase(dialect));
    repo = db.repo(items);
    ownerId = (await db.repo(owners).create({ name: "Ada", email: "ada@example.com" })).id;
    otherOwnerId = (await db.repo(owners).create({ name: "Bo", email: "bo@example.com" })).id;
    await repo.createMany([
      { ownerId, title: "Deadlock in the lock manager", body: "Two writers wait on each other forever." },
      { ownerId, title: "Flaky login test", body: "Fails with a deadlock once in a while under load." },
      { ownerId, title: "A dead end", body: "Nothing to see here." },
      { ownerId, title: "Unrelated", body: null },
      { ownerId: otherOwnerId, title: "Deadlock elsewhere", body: "Belongs to another owner." },
    ]);
  });
  afterAll(() => testDb?.drop());

  const titles = (hits: { row: { title: string } }[]) => hits.map((h) => h.row.title);

  it("finds rows holding every word, as words or their starts, ranking a title match first", async () => {
    const hits = await repo.search("deadlock", { where: { ownerId } });
    expect(titles(hits)).toEqual(["Deadlock in the lock manager", "Flaky login test"]);
    expect(hits[0]?.rank).toBeGreaterThan(hits[1]?.rank ?? Number.POSITIVE_INFINITY);
    expect(titles(await repo.search("dead lock", { where: { ownerId } }))).toEqual(["Deadlock in the lock manager"]);
    expect(titles(await repo.search("DEADLO", { where: { ownerId } }))).toHaveLength(2);
    expect(await repo.search("nowhere", { where: { ownerId } })).toEqual([]);
  });

  it("returns whole rows with a plain-text snippet around the words", async () => {
    const [hit] = await repo.search("writers wait");
    expect(hit?.row).toEqual(await repo.get(hit?.row.id as string));
    expect(hit?.snippet).toMatch(/writers wait/i);
    expect(hit?.snippet).not.toMatch(/[<>[\]]/);
    expect(typeof hit?.rank).toBe("number");
  });

  it("follows inserts, updates and deletes, and respects the filter and soft delete", async () => {
    const item = await repo.create({ ownerId, title: "Quasar calibration", body: "before" });
    expect(titles(await repo.search("quasar"))).toEqual(["Quasar calibration"]);
    await repo.update(item.id, { title: "Pulsar calibration", body: "after" });
    expect(await repo.search("quasar")).toEqual([]);
    expect(titles(await repo.search("pulsar after"))).toEqual(["Pulsar calibration"]);
    expect(await repo.search("pulsar", { where: { ownerId: otherOwnerId } })).toEqual([]);
    await repo.delete(item.id);
    expect(await repo.search("pulsar")).toEqual([]);
    expect(titles(await repo.search("pulsar", { deleted: "include" }))).toEqual(["Pulsar calibration"]);
    await repo.purge(item.id);
    expect(await repo.search("pulsar", { deleted: "include" })).toEqual([]);
  });

  it("indexes texts far longer than a PostgreSQL tsvector can hold", async () => {
    // About 1.2 MB of distinct words: PostgreSQL would refuse the row if the whole text were indexed.
    const body = Array.from({ length: 150_000 }, (_, i) => `w${(i * 7919).toString(16)}`).join(" ");
    const item = await repo.create({ ownerId, title: "Huge", body: `zeppelin ${body}` });
    expect((await repo.search("zeppelin")).map((h) => h.row.id)).toEqual([item.id]);
    await repo.purge(item.id);
  });

  it("limits and orders hits, best first", async () => {
    const hits = await repo.search("deadlock", { limit: 2 });
    expect(hits).toHaveLength(2);
    const all = await repo.search("deadlock");
    expect(all.map((h) => h.rank)).toEqual([...all.map((h) => h.rank)].sort((a, b) => b - a));
  });

  it("answers every hostile query normally and changes nothing", async () => {
    const before = await repo.count(undefined, { deleted: "include" });
    for (const query of hostileQueries) {
      const hits = await repo.search(query);
      expect(Array.isArray(hits)).toBe(true);
    }
    expect(titles(await repo.search('"deadlock" (lock*) -manager:', { where: { ownerId } }))).toEqual([
      "Deadlock in the lock manager",
    ]);
    expect(await repo.count(undefined, { deleted: "include" })).toBe(before);
  });

  it("gives the pieces of a search for queries of one's own", async () => {
    const search = textSearch(db.dialect, items, "lock manager");
    if (!search) throw new Error("expected a search");
    const rows = await db.execute<{ title: string; rank: number; snippet: string }>(
      sql`select "items"."title" as "title", ${search.rank} as "rank", ${search.snippet} as "snippet"
          from ${search.from} where ${search.match} order by 2 desc`,
    );
    expect(rows.map((r) => r.title)).toEqual(["Deadlock in the lock manager"]);
    expect(textSearch(db.dialect, items, "((( ***")).toBeNull();
    expect(() => textSearch(db.dialect, owners, "x")).toThrow(/no searchIndex/);
  });
});
