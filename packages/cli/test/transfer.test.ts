import { type AnyTable, Migrator } from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { Auth, migrationsDir, tables, tickets, users } from "@groundwork/domain";
import { seedDemo } from "@groundwork/domain/seed";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../src/main.js";
import { tablesInOrder } from "../src/transfer.js";

function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  return { out: { info: (l: string) => lines.push(l), error: (l: string) => errors.push(l) }, lines, errors };
}

/** Every row of every table, keyed by table, each table's rows in key order. */
async function everything(open: TestDatabase["open"]) {
  const db = await open({ tables });
  const all: Record<string, unknown[]> = {};
  for (const table of Object.values(tables) as AnyTable[]) {
    const rows = (await db.repo(table).list({ limit: 10_000, deleted: "include" })).data as Record<string, unknown>[];
    all[table.name] = rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  await db.close();
  return all;
}

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

    const before = await everything(source.open);
    const after = await everything(target.open);
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
