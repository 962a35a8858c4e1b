import { type AddressInfo, createServer, connect as netConnect, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import {
  ConfigurationError,
  type Database,
  DatabaseUnavailableError,
  Migrator,
  openDatabase,
  parseDatabaseUrl,
  redactUrl,
  type Session,
  UniqueViolationError,
} from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { fixtureMigrations } from "./fixtures/database.js";
import { fixtureTables, items, owners } from "./fixtures/schema.js";

describe("DATABASE_URL", () => {
  it("picks the driver from the URL", async () => {
    expect(parseDatabaseUrl(":memory:")).toEqual({ driver: "better-sqlite3", dialect: "sqlite", file: ":memory:" });
    expect(parseDatabaseUrl("file:./data/groundwork.db")).toMatchObject({
      driver: "better-sqlite3",
      file: `${process.cwd()}/data/groundwork.db`,
    });
    expect(parseDatabaseUrl("file:///var/lib/gw.db")).toMatchObject({ file: "/var/lib/gw.db" });
    expect(parseDatabaseUrl("./local.db")).toMatchObject({
      driver: "better-sqlite3",
      file: `${process.cwd()}/local.db`,
    });
    expect(parseDatabaseUrl("postgres://u:p@db:5432/app")).toMatchObject({
      driver: "postgres-js",
      dialect: "postgres",
    });
    expect(parseDatabaseUrl("postgresql://db/app")).toMatchObject({ driver: "postgres-js" });
    expect(parseDatabaseUrl("pglite://memory")).toEqual({ driver: "pglite", dialect: "postgres", dataDir: undefined });
    expect(parseDatabaseUrl("pglite://./data/pg")).toMatchObject({ dataDir: `${process.cwd()}/data/pg` });
    // ~ is the home folder, as a shell would take it outside a URL.
    const home = (await import("node:os")).homedir();
    expect(parseDatabaseUrl("file:~/gw.db")).toMatchObject({ file: `${home}/gw.db` });
    expect(parseDatabaseUrl("~/gw.db")).toMatchObject({ file: `${home}/gw.db` });
    expect(parseDatabaseUrl("pglite://~/pg")).toMatchObject({ dataDir: `${home}/pg` });
  });

  it("refuses unknown or malformed URLs with one clear line", () => {
    for (const [url, message] of [
      ["mysql://localhost/db", /scheme "mysql:" is not supported; use a file path/],
      ["", /DATABASE_URL is empty/],
      ["postgres://", /not a valid PostgreSQL URL|names no host/],
      ["postgres://host:notaport/db", /not a valid PostgreSQL URL/],
      ["pglite://", /use pglite:\/\/memory or pglite:\/\/<directory>/],
      ["file:", /names no file/],
      ["file:x.db?mode=ro", /SQLite URLs take no options \(\?mode=ro\)/],
    ] as const) {
      const error = (() => {
        try {
          parseDatabaseUrl(url);
        } catch (e) {
          return e;
        }
      })();
      expect(error, url).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
    }
  });

  it("hides passwords in what it shows", () => {
    expect(redactUrl("postgres://user:secret@host/db")).toBe("postgres://user:***@host/db");
  });
});

describe("drivers", () => {
  it("opens a PGlite folder in one process at a time, and takes over the claim of a process that is gone", async () => {
    const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { spawn } = await import("node:child_process");
    const { once } = await import("node:events").then((m) => m.EventEmitter);
    const dir = mkdtempSync(`${tmpdir()}/gw-pglite-lock-`);
    const lock = `${dir}/groundwork.pid`;
    // Another process holding the folder, as a server on it would.
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"]);
    try {
      writeFileSync(lock, String(other.pid));
      const refused = await openDatabase({ url: `pglite://${dir}` }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DatabaseUnavailableError);
      expect(String((refused as Error).cause)).toContain(`it is open in process ${other.pid}`);
      expect(readFileSync(lock, "utf8")).toBe(String(other.pid));
    } finally {
      other.kill();
      await once(other, "exit");
    }
    const db = await openDatabase({ url: `pglite://${dir}` });
    try {
      expect(readFileSync(lock, "utf8")).toBe(String(process.pid));
      expect(await db.execute(sql`select 1 as one`)).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
    expect(existsSync(lock)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens SQLite in WAL mode with foreign keys on, a busy timeout and synchronous=NORMAL", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(`${tmpdir()}/gw-driver-`);
    const db = await openDatabase({ url: `file:${dir}/nested/dir/app.db` });
    try {
      const pragma = async (name: string) => Object.values((await db.execute(sql.raw(`PRAGMA ${name}`)))[0] ?? {})[0];
      expect(await pragma("journal_mode")).toBe("wal");
      expect(await pragma("foreign_keys")).toBe(1);
      expect(await pragma("busy_timeout")).toBe(5000);
      expect(await pragma("synchronous")).toBe(1);
      expect(db.driver).toBe("better-sqlite3");
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // PGlite runs the repository's whole-row statements on its client directly, with the type parsers
  // it was opened with; the shared dialect tests use a PostgreSQL server where there is one.
  it("reads and writes through the repository on PGlite as on any PostgreSQL", async () => {
    const db = await openDatabase({ url: "pglite://memory", tables: fixtureTables });
    try {
      await new Migrator(db, await fixtureMigrations("postgres")).up();
      const owner = await db.repo(owners).create({ name: "Ada", email: "ada@example.com" });
      expect(owner.createdAt).toBeInstanceOf(Date);
      const dueAt = new Date("2031-02-03T04:05:06.789Z");
      const item = await db.repo(items).create({
        ownerId: owner.id,
        title: "First",
        data: { tags: ["a"], nested: { n: 1 } },
        big: 9_007_199_254_740_991,
        score: 0.5,
        dueAt,
      });
      expect(await db.repo(items).get(item.id)).toEqual(item);
      expect(item).toMatchObject({ dueAt, data: { tags: ["a"], nested: { n: 1 } }, big: 9_007_199_254_740_991 });
      const updated = await db.repo(items).update(item.id, { title: "Renamed" }, { expectedVersion: 1 });
      expect(updated).toMatchObject({ title: "Renamed", version: 2, dueAt });

      // A row sent without waiting commits with its transaction, or fails it and nothing is kept.
      await db.transaction(async (tx) => {
        tx.repo(items).createPipelined({ ownerId: owner.id, title: "Second" });
      });
      const failed = await db
        .transaction(async (tx) => {
          await tx.repo(items).create({ ownerId: owner.id, title: "Third" });
          tx.repo(items).createPipelined({ ownerId: owner.id, title: "Second" });
        })
        .catch((e) => e);
      expect(failed).toBeInstanceOf(UniqueViolationError);
      const page = await db.repo(items).list({ where: { ownerId: owner.id }, sort: "title", limit: 1 });
      const next = await db.repo(items).list({ where: { ownerId: owner.id }, sort: "title", cursor: page.nextCursor });
      expect([...page.data, ...next.data].map((i) => i.title)).toEqual(["Renamed", "Second"]);

      // The client reads timestamps as text, as Drizzle's own queries have it read them.
      const client = (db.drizzle as unknown as { $client: PGlite }).$client;
      const { rows } = await client.query<{ due: unknown }>("select due_at as due from items where id = $1", [item.id]);
      expect(rows[0]?.due).toBe("2031-02-03 04:05:06.789+00");
    } finally {
      await db.close();
    }
  });

  it("opens PGlite in memory", async () => {
    const db = await openDatabase({ url: "pglite://memory" });
    try {
      const [row] = await db.execute<{ v: string }>(sql`select version() as v`);
      expect(row?.v).toMatch(/PostgreSQL/);
      expect(db.dialect).toBe("postgres");
    } finally {
      await db.close();
    }
  });
});

describe.each(testDialects())("read replicas on $name", (dialect) => {
  let testDb: TestDatabase;
  beforeEach(async () => {
    testDb = await dialect.create();
  });
  afterEach(() => testDb.drop());

  it("send reads to the replicas on a PostgreSQL server, and are refused elsewhere", async () => {
    if (!testDb.url.startsWith("postgres")) {
      await expect(testDb.open({ replicaUrls: ["postgres://replica/db"] })).rejects.toThrow(
        /DATABASE_REPLICA_URLS needs a PostgreSQL server/,
      );
      return;
    }
    await expect(testDb.open({ replicaUrls: ["file:./replica.db"] })).rejects.toBeInstanceOf(ConfigurationError);
    // The same server stands in for a replica: what matters is that reads and writes both work through it.
    const db = await testDb.open({ replicaUrls: [testDb.url], tables: fixtureTables });
    await new Migrator(db, await fixtureMigrations("postgres")).up();
    const owner = await db.repo(owners).create({ name: "Replica", email: "replica@example.com" });
    expect((await db.repo(owners).get(owner.id)).email).toBe("replica@example.com");
    expect(await db.transaction(async (tx) => tx.repo(owners).count())).toBe(1);
  });
});

/** Runs `test` with a new database on the PostgreSQL server (not PGlite), dropped afterwards. */
async function onServerDatabase(test: (testDb: TestDatabase) => Promise<void>): Promise<void> {
  const postgresServer = testDialects().find((d) => d.dialect === "postgres");
  if (!postgresServer) throw new Error("no PostgreSQL dialect");
  const testDb = await postgresServer.create();
  try {
    await test(testDb);
  } finally {
    await testDb.drop();
  }
}

describe("a PostgreSQL server named by its IPv6 address", () => {
  const server = inject("postgresTarget");
  it.runIf(server && server !== "pglite")("is reached, as primary and as replica", async (context) => {
    // The server listens on IPv4 here: a proxy on the IPv6 loopback stands in front of it.
    const upstream = new URL(server);
    let connections = 0;
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      connections++;
      const target = netConnect(Number(upstream.port || 5432), upstream.hostname);
      for (const socket of [client, target]) {
        sockets.add(socket);
        socket.on("error", () => {
          client.destroy();
          target.destroy();
        });
      }
      client.pipe(target).pipe(client);
    });
    const listening = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      proxy.once("error", resolve);
      proxy.listen(0, "::1", () => resolve(undefined));
    });
    // A machine without an IPv6 loopback cannot take part.
    if (listening?.code === "EADDRNOTAVAIL" || listening?.code === "EAFNOSUPPORT") context.skip();
    if (listening) throw listening;
    try {
      await onServerDatabase(async (testDb) => {
        const url = new URL(testDb.url);
        url.hostname = "[::1]";
        url.port = String((proxy.address() as AddressInfo).port);
        const db = await openDatabase({ url: url.toString(), replicaUrls: [url.toString()], tables: fixtureTables });
        try {
          await new Migrator(db, await fixtureMigrations("postgres")).up();
          const owner = await db.repo(owners).create({ name: "Six", email: "six@example.com" });
          expect((await db.repo(owners).get(owner.id)).name).toBe("Six");
        } finally {
          await db.close();
        }
      });
      expect(connections).toBeGreaterThan(0);
      // Nothing listens on port 1: the address is tried as it is, not looked up as a name.
      const refused = await openDatabase({ url: "postgres://postgres@[::1]:1/none" }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DatabaseUnavailableError);
      const reason = String((refused as Error).cause);
      expect(reason).toMatch(/ECONNREFUSED ::1:1/);
      expect(reason).not.toMatch(/ENOTFOUND/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe("a PostgreSQL transaction whose connection closes", () => {
  const server = inject("postgresTarget");

  /** Runs a long statement on `session` and has the server end its connection while it runs; returns its error. */
  async function closedMidStatement(session: Session, admin: Database): Promise<unknown> {
    const [row] = await session.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    const pid = row?.pid;
    const running = session.execute(sql`select pg_sleep(30)`).catch((error: unknown) => error);
    for (;;) {
      const active = await admin.execute(sql`select 1 from pg_stat_activity where pid = ${pid} and state = 'active'`);
      if (active.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await admin.execute(sql`select pg_terminate_backend(${pid})`);
    return running;
  }

  /**
   * Starts a transaction that writes a row, has the server end its connection, and waits until
   * `resume` is called; then it runs `then`, whose outcome (its result or its error) lands in `after`.
   */
  function closedWhilePaused(db: Database, admin: Database, then: (tx: Session) => Promise<unknown>) {
    let resume = () => {};
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const outcome: { after?: unknown } = {};
    const attempt = db.transaction(async (tx) => {
      await tx.repo(owners).create({ name: "Paused", email: "paused@example.com" });
      const [row] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
      await admin.execute(sql`select pg_terminate_backend(${row?.pid})`);
      await paused;
      outcome.after = await then(tx).catch((error: unknown) => error);
    });
    return { attempt, resume, outcome };
  }

  // What the callback does once its statement failed with the closed connection. Each would make
  // postgres-js send a COMMIT, a ROLLBACK or a statement on the closed connection.
  const afterwards: Record<string, (tx: Session, admin: Database) => Promise<unknown>> = {
    throws: async () => {
      throw new Error("the callback gave up");
    },
    "runs another statement": (tx) => tx.repo(owners).count(),
    "returns as if nothing happened": async () => "done",
    "opens a savepoint": (tx) => tx.transaction(async (sp) => sp.repo(owners).count()),
    "was in a savepoint that throws": (tx, admin) =>
      tx.transaction(async (sp) => {
        await closedMidStatement(sp, admin);
        throw new Error("the savepoint gave up");
      }),
  };

  it.runIf(server && server !== "pglite")(
    "fails with DatabaseUnavailableError whatever the callback does next, and the database goes on working",
    () =>
      onServerDatabase(async (testDb) => {
        const admin = await testDb.open();
        await new Migrator(admin, await fixtureMigrations("postgres")).up();
        for (const [what, then] of Object.entries(afterwards)) {
          // A database each: closing one whose connection was lost waits out postgres-js's end timeout.
          const db = await testDb.open({ tables: fixtureTables });
          const attempt = db.transaction(async (tx) => {
            await tx.repo(owners).create({ name: "Lost", email: "lost@example.com" });
            if (!what.startsWith("was in")) {
              expect(await closedMidStatement(tx, admin), what).toBeInstanceOf(DatabaseUnavailableError);
            }
            return then(tx, admin);
          });
          await expect(attempt, what).rejects.toBeInstanceOf(DatabaseUnavailableError);
          // Nothing of the transaction was kept, and the pool serves the next caller on a new connection.
          expect(await db.repo(owners).count(), what).toBe(0);
          const next = await db.transaction(async (tx) =>
            tx.repo(owners).create({ name: "Next", email: "next@example.com" }),
          );
          await db.repo(owners).delete(next.id);
        }
      }),
  );

  it.runIf(server && server !== "pglite")(
    "fails at once when the connection closes between statements, and refuses the callback's next one",
    () =>
      onServerDatabase(async (testDb) => {
        const db = await testDb.open({ tables: fixtureTables });
        await new Migrator(db, await fixtureMigrations("postgres")).up();
        const { attempt, resume, outcome } = closedWhilePaused(db, await testDb.open(), (tx) =>
          tx.repo(owners).count(),
        );
        // The callback is still paused: the transaction failed when its connection closed.
        await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
        resume();
        await vi.waitFor(() => expect(outcome.after).toBeInstanceOf(DatabaseUnavailableError));
        expect(await db.repo(owners).count()).toBe(0);
      }),
  );

  it.runIf(server && server !== "pglite")(
    "does not run the callback's next write on the connection the pool opened again, outside the transaction",
    () =>
      onServerDatabase(async (testDb) => {
        // One connection: the statement outside the transaction makes the pool open the lost one again.
        const db = await testDb.open({ tables: fixtureTables, poolMax: 1 });
        await new Migrator(db, await fixtureMigrations("postgres")).up();
        const { attempt, resume, outcome } = closedWhilePaused(db, await testDb.open(), (tx) =>
          tx.repo(owners).create({ name: "Stray", email: "stray@example.com" }),
        );
        await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
        expect(await db.repo(owners).count()).toBe(0);
        resume();
        await vi.waitFor(() => expect(outcome.after).toBeDefined());
        expect(outcome.after).toBeInstanceOf(DatabaseUnavailableError);
        expect(await db.repo(owners).count()).toBe(0);
      }),
  );
});
