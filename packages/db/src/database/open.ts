import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PGlite, types } from "@electric-sql/pglite";
import BetterSqlite3 from "better-sqlite3";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { withReplicas } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type postgres from "postgres";
import { ConfigurationError, DatabaseUnavailableError } from "../errors/errors.js";
import type { AnyTable } from "../schema/table.js";
import { Checkpointer } from "./checkpointer.js";
import { Mutex } from "./mutex.js";
import { postgresClient } from "./postgres-client.js";
import { type AnyDrizzle, Session, type Shared } from "./session.js";
import { type DatabaseTarget, parseDatabaseUrl, redactUrl } from "./url.js";

export interface OpenOptions {
  /** See `parseDatabaseUrl`: a path, `file:`, `:memory:`, `postgres://`, `pglite://<dir>` or `pglite://memory`. */
  url: string;
  /** The tables the database holds, so errors can name columns by their property names. */
  tables?: Record<string, AnyTable> | readonly AnyTable[];
  /** PostgreSQL read replicas: reads outside transactions go to them. */
  replicaUrls?: readonly string[];
  /** PostgreSQL pool size (default 10). */
  poolMax?: number;
  /** SQLite: how long to wait for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
}

/** Array types that PGlite's `types` does not name, by their PostgreSQL type numbers (`pg_type.oid`). */
const ARRAY_TYPES = { numeric: 1231, timestamp: 1115, timestamptz: 1185, interval: 1187, date: 1182 };

/**
 * PGlite reads these types as text, as Drizzle has them read (it passes the same parsers with each of
 * its queries) to convert them by their columns. Set on the instance, they also serve the
 * repository's own queries, which pass none; the raw client (`db.drizzle.$client`) reads them so too.
 * They are set once the instance is ready: PGlite 0.5 drops the `parsers` given to its constructor
 * when it starts.
 */
const PGLITE_TEXT_PARSERS = Object.fromEntries(
  [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, ...Object.values(ARRAY_TYPES)].map((type) => [
    type,
    (value: string) => value,
  ]),
);

/** An open database: the root session, plus what is needed to close it. */
export class Database extends Session {
  /** @internal */
  constructor(
    shared: Shared,
    drizzle: AnyDrizzle,
    readonly target: DatabaseTarget,
    /** The URL it was opened with, password hidden. */
    readonly url: string,
    private readonly closeDriver: () => Promise<void>,
  ) {
    super(shared, drizzle, false);
  }

  get driver() {
    return this.shared.driver;
  }

  private closing: Promise<void> | undefined;

  /**
   * Refuses new work at once (`DatabaseUnavailableError`), lets the transactions already called
   * finish (those waiting for their turn too), then closes every connection. Safe to call twice:
   * each call resolves once the connections are closed.
   */
  close(): Promise<void> {
    this.closing ??= this.closeWhenIdle();
    return this.closing;
  }

  private async closeWhenIdle(): Promise<void> {
    this.shared.closed = true;
    await this.transactionsFinished();
    this.shared.disconnected = true;
    this.shared.prepared.clear();
    this.shared.texts.clear();
    this.shared.bulk.clear();
    await this.closeDriver();
  }
}

/** Opens the database a `DATABASE_URL` names, with the driver and settings that suit it. */
/** How long opening waits for a PostgreSQL server to answer. */
const CONNECT_SECONDS = 10;

/**
 * Resolves once the server answers, or fails naming it. postgres-js's own connect timeout does not
 * end a query that waits for a host which never answers (it tries again), so opening sets its own.
 */
async function answering(client: postgres.Sql, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_SECONDS} s`)), CONNECT_SECONDS * 1000);
  });
  try {
    await Promise.race([client`select 1`, timeout]);
  } catch (error) {
    const reason = (error as Error).message || String((error as { code?: string }).code);
    throw new DatabaseUnavailableError({ cause: new Error(`cannot connect to ${name}: ${reason}`) });
  } finally {
    clearTimeout(timer);
  }
}

/** The file in a PGlite folder that names the process holding it open. */
const PGLITE_LOCK_FILE = "groundwork.pid";

/**
 * Claims a PGlite folder for this process; returns what gives it back. PGlite runs PostgreSQL inside
 * one process, without PostgreSQL's own lock: a second process on the same folder would write over
 * the first's acknowledged writes. A claim whose process is gone (killed) is taken over.
 */
function lockFolder(dir: string): () => void {
  const file = path.join(dir, PGLITE_LOCK_FILE);
  const mine = String(process.pid);
  for (;;) {
    try {
      writeFileSync(file, mine, { flag: "wx" });
      return () => {
        try {
          if (readFileSync(file, "utf8") === mine) unlinkSync(file);
        } catch {}
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(readFileSync(file, "utf8").trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
      throw new Error(`it is open in process ${holder}; one process at a time may open a PGlite folder`);
    }
    unlinkSync(file);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** SQLite's case functions as PostgreSQL's work, on every letter: registered on each connection. */
const CASE_CHANGES: [string, (text: string) => string][] = [
  ["lower", (text) => text.toLowerCase()],
  ["upper", (text) => text.toUpperCase()],
];

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const target = parseDatabaseUrl(options.url);
  const tableList = Array.isArray(options.tables) ? options.tables : Object.values(options.tables ?? {});
  const tables = new Map((tableList as AnyTable[]).map((t) => [t.name, t]));
  const url = target.driver === "postgres-js" ? redactUrl(options.url) : options.url;
  const replicaUrls = options.replicaUrls ?? [];
  if (replicaUrls.length > 0) {
    if (target.driver !== "postgres-js") {
      throw new ConfigurationError("DATABASE_REPLICA_URLS needs a PostgreSQL server (postgres://…) as DATABASE_URL");
    }
    for (const replica of replicaUrls) {
      let driver: string | undefined;
      try {
        driver = parseDatabaseUrl(replica).driver;
      } catch {}
      if (driver !== "postgres-js") {
        throw new ConfigurationError(`DATABASE_REPLICA_URLS: "${redactUrl(replica)}" is not a postgres:// URL`);
      }
    }
  }

  switch (target.driver) {
    case "better-sqlite3": {
      let client: BetterSqlite3.Database;
      try {
        if (target.file !== ":memory:") mkdirSync(path.dirname(target.file), { recursive: true });
        client = new BetterSqlite3(target.file);
        // WAL lets readers in other processes go on while one writes; NORMAL is durable in WAL mode
        // across application crashes (only an OS crash can lose the last commits).
        if (target.file !== ":memory:") client.pragma("journal_mode = WAL");
        client.pragma("synchronous = NORMAL");
        client.pragma("foreign_keys = ON");
        client.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
        // SQLite's own lower() and upper() change ASCII letters only, PostgreSQL's every letter: the
        // case-insensitive `like` (both sides lowered) would miss "École" for "école" on SQLite alone.
        for (const [name, change] of CASE_CHANGES) {
          client.function(name, { deterministic: true }, (value: unknown) =>
            value === null ? null : change(String(value)),
          );
        }
      } catch (error) {
        throw new DatabaseUnavailableError({
          cause: new Error(`cannot open SQLite database ${target.file}: ${(error as Error).message}`),
        });
      }
      const checkpointer = target.file === ":memory:" ? undefined : new Checkpointer(client, target.file);
      const shared: Shared = {
        dialect: "sqlite",
        driver: "better-sqlite3",
        tables,
        sqlite: { client, lock: new Mutex(), checkpointer },
        prepared: new Map(),
        texts: new Map(),
        bulk: new Map(),
        closed: false,
      };
      return new Database(shared, drizzleSqlite({ client }), target, url, async () => {
        await checkpointer?.stop();
        client.close();
      });
    }

    case "postgres-js": {
      const poolMax = options.poolMax ?? 10;
      if (!Number.isInteger(poolMax) || poolMax < 1)
        throw new ConfigurationError("DATABASE_POOL_MAX must be a whole number ≥ 1");
      const connect = (connectionUrl: string) =>
        postgresClient(connectionUrl, {
          max: poolMax,
          onnotice: () => {},
          connect_timeout: CONNECT_SECONDS,
          idle_timeout: 60,
          // Timestamps are read as text: in UTC, whatever the server's zone, their offsets are whole hours.
          connection: { TimeZone: "UTC" },
        });
      const client = connect(options.url);
      const replicas = replicaUrls.map(connect);
      const all = [client, ...replicas];
      const names = [url, ...replicaUrls.map((r) => `replica ${redactUrl(r)}`)];
      try {
        await Promise.all(all.map((c, i) => answering(c, names[i] as string)));
      } catch (error) {
        await Promise.all(all.map((c) => c.end({ timeout: 0 })));
        throw error;
      }
      const primary = drizzlePostgres({ client });
      const drizzle =
        replicas.length > 0
          ? withReplicas(
              primary,
              replicas.map((r) => drizzlePostgres({ client: r })) as [typeof primary, ...(typeof primary)[]],
            )
          : primary;
      const shared: Shared = {
        dialect: "postgres",
        driver: "postgres-js",
        tables,
        prepared: new Map(),
        texts: new Map(),
        bulk: new Map(),
        closed: false,
      };
      return new Database(shared, drizzle as unknown as AnyDrizzle, target, url, async () => {
        await Promise.all(all.map((c) => c.end({ timeout: 5 })));
      });
    }

    case "pglite": {
      let client: PGlite;
      let unlock: (() => void) | undefined;
      try {
        if (target.dataDir) {
          mkdirSync(target.dataDir, { recursive: true });
          unlock = lockFolder(target.dataDir);
        }
        client = new PGlite(target.dataDir);
        await client.waitReady;
        Object.assign(client.parsers, PGLITE_TEXT_PARSERS);
        await client.exec("set time zone 'UTC'");
      } catch (error) {
        unlock?.();
        throw new DatabaseUnavailableError({
          cause: new Error(`cannot open PGlite database ${target.dataDir ?? "in memory"}: ${(error as Error).message}`),
        });
      }
      const shared: Shared = {
        dialect: "postgres",
        driver: "pglite",
        tables,
        prepared: new Map(),
        texts: new Map(),
        bulk: new Map(),
        closed: false,
      };
      return new Database(shared, drizzlePglite({ client }), target, url, async () => {
        await client.close();
        unlock?.();
      });
    }
  }
}
