import {
  type Database,
  DatabaseUnavailableError,
  SessionMisuseError,
  TransactionFinishedError,
  UniqueViolationError,
  ValidationError,
} from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureDatabase } from "./fixtures/database.js";
import { counters, fixtureTables, owners } from "./fixtures/schema.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve function, to make two callers meet at a known point. */
function signal() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** `promise`, or a rejection once it has been pending for `ms`: a deadlock fails the test instead of hanging it. */
function settlesWithin<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms: deadlocked`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe.each(testDialects())("transactions on $name", (dialect) => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    ({ testDb, db } = await fixtureDatabase(dialect));
  });
  afterAll(() => testDb?.drop());

  it("stay atomic across awaits: concurrent read-await-write increments lose nothing", async () => {
    await db.repo(counters).create({ id: "hits", value: 0 });
    const increments = 40;
    await Promise.all(
      Array.from({ length: increments }, (_, i) =>
        db.transaction(async (tx) => {
          const counter = await tx.repo(counters).get("hits", { forUpdate: true });
          await pause(i % 3);
          await tx.repo(counters).update("hits", { value: counter.value + 1 });
        }),
      ),
    );
    expect((await db.repo(counters).get("hits")).value).toBe(increments);
  });

  it("roll back everything when the callback throws, and pass its error through unchanged", async () => {
    class Boom extends Error {}
    const error = await db
      .transaction(async (tx) => {
        await tx.repo(owners).create({ name: "Ghost", email: "ghost@example.com" });
        await pause(1);
        await tx.repo(owners).create({ name: "Ghost 2", email: "ghost2@example.com" });
        throw new Boom("no");
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Boom);
    expect(await db.repo(owners).count({ email: { in: ["ghost@example.com", "ghost2@example.com"] } })).toBe(0);
  });

  it("roll back everything when a statement fails, with the typed error", async () => {
    await db.repo(owners).create({ name: "Taken", email: "taken@example.com" });
    const error = await db
      .transaction(async (tx) => {
        await tx.repo(owners).create({ name: "Fresh", email: "fresh@example.com" });
        await tx.repo(owners).create({ name: "Taken again", email: "taken@example.com" });
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect(await db.repo(owners).exists({ email: "fresh@example.com" })).toBe(false);
  });

  it("nest with savepoints: a failed inner transaction is undone alone", async () => {
    await db.transaction(async (tx) => {
      await tx.repo(owners).create({ name: "Outer", email: "outer@example.com" });
      await tx
        .transaction(async (inner) => {
          await inner.repo(owners).create({ name: "Inner", email: "inner@example.com" });
          throw new Error("inner fails");
        })
        .catch(() => undefined);
      await tx.transaction(async (inner) => {
        await inner.repo(owners).create({ name: "Inner ok", email: "inner-ok@example.com" });
      });
      await tx.repo(owners).create({ name: "After", email: "after@example.com" });
    });
    const emails = (await db.repo(owners).list({ where: { email: { like: "%er%@example.com" } }, sort: "email" })).data
      .map((o) => o.email)
      .filter((e) =>
        ["outer@example.com", "inner@example.com", "inner-ok@example.com", "after@example.com"].includes(e),
      );
    expect(emails).toEqual(["after@example.com", "inner-ok@example.com", "outer@example.com"]);
  });

  it("undo committed savepoints when the outer transaction fails", async () => {
    await db
      .transaction(async (tx) => {
        await tx.transaction(async (inner) => {
          await inner.repo(owners).create({ name: "Lost", email: "lost@example.com" });
        });
        throw new Error("outer fails");
      })
      .catch(() => undefined);
    expect(await db.repo(owners).exists({ email: "lost@example.com" })).toBe(false);
  });

  it("keep open work invisible to callers outside, who neither see nor join it", async () => {
    const inside = signal();
    const outsideDone = signal();
    let outsideWrite: Promise<unknown> | undefined;
    const tx = db
      .transaction(async (t) => {
        await t.repo(owners).create({ name: "Uncommitted", email: "uncommitted@example.com" });
        inside.resolve();
        // Give the outside caller every chance to run while this transaction is open.
        await Promise.race([outsideDone.promise, pause(300)]);
        await pause(20);
        throw new Error("roll back");
      })
      .catch(() => undefined);
    await inside.promise;
    const seen = db.repo(owners).exists({ email: "uncommitted@example.com" });
    outsideWrite = db.repo(owners).create({ name: "Outsider", email: "outsider@example.com" });
    if (dialect.dialect === "postgres") {
      // Separate connections: the outside read answers right away, without the uncommitted row.
      expect(await seen).toBe(false);
      await outsideWrite;
    }
    outsideDone.resolve();
    await tx;
    await outsideWrite;
    // On SQLite the outside calls waited for the rollback; either way the outside write stands alone.
    expect(await seen).toBe(false);
    expect(await db.repo(owners).exists({ email: "uncommitted@example.com" })).toBe(false);
    expect(await db.repo(owners).exists({ email: "outsider@example.com" })).toBe(true);
  });

  describe("rows sent without waiting (createPipelined)", () => {
    const emails = (prefix: string) => ({ email: { startsWith: prefix } });

    it("commit with the rest, in order: the transaction's later statements see them", async () => {
      const seenInside = await db.transaction(async (tx) => {
        tx.repo(owners).createPipelined({ name: "First", email: "piped-1@example.com" });
        tx.repo(owners).createPipelined({ name: "Second", email: "piped-2@example.com" });
        const seen = await tx.repo(owners).count(emails("piped-"));
        await tx.repo(owners).create({ name: "Third", email: "piped-3@example.com" });
        tx.repo(owners).createPipelined({ name: "Last", email: "piped-4@example.com" });
        return seen;
      });
      expect(seenInside).toBe(2);
      const stored = await db.repo(owners).list({ where: emails("piped-"), sort: "email" });
      expect(stored.data.map((o) => o.name)).toEqual(["First", "Second", "Third", "Last"]);
    });

    it("fail the transaction when one fails as the last statement, keeping nothing", async () => {
      await db.repo(owners).create({ name: "Held", email: "piped-held@example.com" });
      const error = await db
        .transaction(async (tx) => {
          await tx.repo(owners).create({ name: "Fresh", email: "piped-fresh@example.com" });
          tx.repo(owners).createPipelined({ name: "Clash", email: "piped-held@example.com" });
        })
        .catch((e) => e);
      expect(error).toBeInstanceOf(UniqueViolationError);
      expect(await db.repo(owners).exists({ email: "piped-fresh@example.com" })).toBe(false);
      expect(await db.repo(owners).count({ email: "piped-held@example.com" })).toBe(1);
    });

    it("fail the transaction with their own error when statements follow them", async () => {
      await db.repo(owners).create({ name: "Held", email: "piped-kept@example.com" });
      const error = await db
        .transaction(async (tx) => {
          tx.repo(owners).createPipelined({ name: "Clash", email: "piped-kept@example.com" });
          await tx.repo(owners).create({ name: "After", email: "piped-after@example.com" });
        })
        .catch((e) => e);
      expect(error).toBeInstanceOf(UniqueViolationError);
      expect(await db.repo(owners).exists({ email: "piped-after@example.com" })).toBe(false);
    });

    it("fail a savepoint alone when one sent inside it fails", async () => {
      await db.repo(owners).create({ name: "Held", email: "piped-sp-held@example.com" });
      const innerError = await db.transaction(async (tx) => {
        await tx.repo(owners).create({ name: "Outer", email: "piped-sp-outer@example.com" });
        const error = await tx
          .transaction(async (inner) => {
            await inner.repo(owners).create({ name: "Inner", email: "piped-sp-inner@example.com" });
            inner.repo(owners).createPipelined({ name: "Clash", email: "piped-sp-held@example.com" });
          })
          .catch((e) => e);
        tx.repo(owners).createPipelined({ name: "Outer 2", email: "piped-sp-outer2@example.com" });
        return error;
      });
      expect(innerError).toBeInstanceOf(UniqueViolationError);
      const stored = await db.repo(owners).list({ where: emails("piped-sp-"), sort: "email" });
      expect(stored.data.map((o) => o.email).sort()).toEqual([
        "piped-sp-held@example.com",
        "piped-sp-outer2@example.com",
        "piped-sp-outer@example.com",
      ]);
    });

    it("are validated at once, and refused outside a transaction, sending nothing", async () => {
      const invalid = await db
        .transaction(async (tx) => {
          tx.repo(owners).createPipelined({ name: "No email" } as never);
        })
        .catch((e) => e);
      expect(invalid).toBeInstanceOf(ValidationError);
      expect(() => db.repo(owners).createPipelined({ name: "Alone", email: "piped-alone@example.com" })).toThrow(
        /needs a transaction/,
      );
      expect(await db.repo(owners).exists({ email: "piped-alone@example.com" })).toBe(false);
    });
  });

  describe("nested at any depth", () => {
    it("savepoints in savepoints work, each undone alone", async () => {
      const kept = await settlesWithin(
        db.transaction((tx) =>
          tx.transaction(async (sp1) => {
            await sp1.repo(owners).create({ name: "Depth 1", email: "depth-1@example.com" });
            await sp1.transaction(async (sp2) => {
              await sp2.repo(owners).create({ name: "Depth 2", email: "depth-2@example.com" });
              await sp2
                .transaction(async (sp3) => {
                  await sp3.repo(owners).create({ name: "Depth 3", email: "depth-3@example.com" });
                  throw new Error("depth 3 fails");
                })
                .catch(() => undefined);
              await sp2.transaction(async (sp3) => {
                await sp3.repo(owners).create({ name: "Depth 3 ok", email: "depth-3-ok@example.com" });
              });
            });
            await sp1
              .transaction(async (sp2) => {
                await sp2.repo(owners).create({ name: "Depth 2 lost", email: "depth-2-lost@example.com" });
                await sp2.transaction(async (sp3) => {
                  await sp3.repo(owners).create({ name: "Depth 3 lost", email: "depth-3-lost@example.com" });
                });
                throw new Error("depth 2 fails after its savepoint committed");
              })
              .catch(() => undefined);
            return sp1.repo(owners).count({ email: { startsWith: "depth-" } });
          }),
        ),
      );
      expect(kept).toBe(3);
      const stored = await db.repo(owners).list({ where: { email: { startsWith: "depth-" } }, sort: "email" });
      expect(stored.data.map((o) => o.email)).toEqual([
        "depth-1@example.com",
        "depth-2@example.com",
        "depth-3-ok@example.com",
      ]);
    });

    it("createMany of several statements works inside a savepoint, and is undone with it", async () => {
      // 5 columns a row, 30 000 values a statement: 6 100 rows take two statements, so a transaction of their own.
      const rows = (prefix: string) =>
        Array.from({ length: 6_100 }, (_, i) => ({ name: `Bulk ${i}`, email: `${prefix}-${i}@example.com` }));
      await settlesWithin(
        db.transaction(async (tx) => {
          await tx.transaction((sp) => sp.repo(owners).createMany(rows("bulk-kept")));
          await tx
            .transaction(async (sp) => {
              await sp.repo(owners).createMany(rows("bulk-lost"));
              throw new Error("undo the bulk insert");
            })
            .catch(() => undefined);
        }),
        15_000,
      );
      expect(await db.repo(owners).count({ email: { startsWith: "bulk-kept-" } })).toBe(6_100);
      expect(await db.repo(owners).count({ email: { startsWith: "bulk-lost-" } })).toBe(0);
    });
  });

  describe("refuse the database's own session inside its transaction, at once", () => {
    const misuse = /inside a transaction, use its session/;

    it("for statements", async () => {
      const error = await settlesWithin(
        db.transaction(async (tx) => {
          await tx.repo(owners).create({ name: "Misused", email: "misused@example.com" });
          return db.repo(owners).count();
        }),
      ).catch((e) => e);
      expect(error).toBeInstanceOf(SessionMisuseError);
      expect(error.code).toBe("session_misuse");
      expect(String(error.message)).toMatch(misuse);
      expect(await db.repo(owners).exists({ email: "misused@example.com" })).toBe(false);
    });

    it("also after a pause in transactions, and in a transaction longer than that pause", async () => {
      await db.transaction(async (tx) => tx.repo(owners).count());
      // Long enough for the scopes of transactions no longer to be tracked (TRACKING_IDLE_MS in session.ts).
      await pause(600);
      const error = await settlesWithin(
        db.transaction(async () => {
          await pause(600);
          return db.repo(owners).count();
        }),
      ).catch((e) => e);
      expect(error).toBeInstanceOf(SessionMisuseError);
      expect(String(error.message)).toMatch(misuse);
    });

    it("for raw SQL and for savepoints in savepoints started from the session outside them", async () => {
      const raw = await settlesWithin(db.transaction(async () => db.execute(sql`select 1`))).catch((e) => e);
      expect(String(raw.message)).toMatch(misuse);
      const savepoint = await settlesWithin(
        db.transaction((tx) => tx.transaction(async () => tx.transaction(async () => 1))),
      ).catch((e) => e);
      expect(String(savepoint.message)).toMatch(/inside a savepoint, use its session/);
    });

    it("and the transaction's own session inside one of its savepoints, whose statements would be undone with it", async () => {
      const kept = await db.transaction(async (tx) => {
        const inner = await tx
          .transaction(async (sp) => {
            await sp.repo(owners).create({ name: "In savepoint", email: "in-savepoint@example.com" });
            await tx.repo(owners).create({ name: "Meant outside", email: "meant-outside@example.com" });
          })
          .catch((e: Error) => e);
        expect(inner).toBeInstanceOf(SessionMisuseError);
        expect(String((inner as Error).message)).toMatch(/inside a savepoint, use its session/);
        // Once the savepoint has ended, the transaction's session is the one to use again.
        await tx.repo(owners).create({ name: "After", email: "after-savepoint@example.com" });
        return tx.repo(owners).count({ email: { like: "%savepoint@example.com" } });
      });
      expect(kept).toBe(1);
      expect(await db.repo(owners).exists({ email: "meant-outside@example.com" })).toBe(false);
      expect(await db.repo(owners).exists({ email: "after-savepoint@example.com" })).toBe(true);
    });

    it("for transactions, which would wait for the one they are in", async () => {
      const error = await settlesWithin(
        db.transaction(async (tx) => {
          await tx.repo(owners).create({ name: "Nested root", email: "nested-root@example.com" });
          await db.transaction(async (other) => other.repo(owners).count());
        }),
      ).catch((e) => e);
      expect(String(error.message)).toMatch(misuse);
      expect(await db.repo(owners).exists({ email: "nested-root@example.com" })).toBe(false);
    });

    it("but not once the transaction has ended, nor from callers outside it", async () => {
      let later: Promise<number> | undefined;
      const inside = signal();
      const outsider = signal();
      const ended = signal();
      const tx = db.transaction(async (t) => {
        // Started inside, it runs once the transaction has ended: it is no longer inside it then.
        later = ended.promise.then(() => db.repo(owners).count());
        inside.resolve();
        await outsider.promise;
        return t.repo(owners).count();
      });
      await inside.promise;
      const outside = db.repo(owners).count();
      // Another connection answers at once; SQLite's and PGlite's one connection answers once the transaction ends.
      if (db.driver === "postgres-js") await outside;
      outsider.resolve();
      await settlesWithin(tx);
      ended.resolve();
      expect(await settlesWithin(outside)).toBeTypeOf("number");
      expect(await settlesWithin(later as Promise<number>)).toBeTypeOf("number");
    });
  });

  it("serialize savepoints started together, so one failing undoes only its own work", async () => {
    await settlesWithin(
      db.transaction((tx) =>
        Promise.all([
          tx
            .transaction(async (sp) => {
              await sp.repo(owners).create({ name: "Sibling A", email: "sibling-a@example.com" });
              await pause(10);
              throw new Error("sibling A fails");
            })
            .catch(() => undefined),
          tx.transaction(async (sp) => {
            await sp.repo(owners).create({ name: "Sibling B", email: "sibling-b@example.com" });
          }),
          tx.transaction(async (sp) => {
            await pause(5);
            await sp.transaction(async (inner) => {
              await inner.repo(owners).create({ name: "Sibling C", email: "sibling-c@example.com" });
            });
          }),
        ]),
      ),
    );
    expect(await db.repo(owners).exists({ email: "sibling-a@example.com" })).toBe(false);
    expect(await db.repo(owners).exists({ email: "sibling-b@example.com" })).toBe(true);
    expect(await db.repo(owners).exists({ email: "sibling-c@example.com" })).toBe(true);
  });

  it("let transactions in progress finish when the database closes, and refuse new work", async () => {
    // A database of its own (PGlite allows one instance per directory): closed here, then reopened.
    const { testDb: ownTestDb, db: own } = await fixtureDatabase(dialect);
    try {
      const started = signal();
      const inProgress = own.transaction(async (tx) => {
        started.resolve();
        await pause(50);
        await tx.transaction((sp) => sp.repo(owners).create({ name: "Closing", email: "closing@example.com" }));
        return tx.execute(sql`select 1 as one`);
      });
      await started.promise;
      const closed = own.close();
      const lateTransaction = own.transaction(async (tx) => tx.repo(owners).count()).catch((e) => e);
      const lateStatement = Promise.resolve()
        .then(() => own.repo(owners).count())
        .catch((e) => e);
      await settlesWithin(closed);
      expect(await inProgress).toHaveLength(1);
      expect(await lateTransaction).toBeInstanceOf(DatabaseUnavailableError);
      expect(await lateStatement).toBeInstanceOf(DatabaseUnavailableError);
      await own.close(); // twice is fine
      const reopened = await ownTestDb.open({ tables: fixtureTables });
      expect(await reopened.repo(owners).exists({ email: "closing@example.com" })).toBe(true);
    } finally {
      await ownTestDb.drop();
    }
  });

  it("refuse use of a transaction's session after it finished", async () => {
    let leaked: Database | undefined;
    await db.transaction(async (tx) => {
      leaked = tx as Database;
    });
    await expect(leaked?.repo(owners).count()).rejects.toBeInstanceOf(TransactionFinishedError);
  });

  it("run serializable transactions where asked", async () => {
    const result = await db.transaction(async (tx) => tx.repo(owners).count(), { isolationLevel: "serializable" });
    expect(result).toBeGreaterThan(0);
    // A level neither dialect knows is refused alike, before anything runs.
    let ran = false;
    const error = await db
      .transaction(
        async () => {
          ran = true;
        },
        { isolationLevel: "bogus" as never },
      )
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual(["isolationLevel"]);
    expect(ran).toBe(false);
  });
});
