import { AsyncLocalStorage } from "node:async_hooks";
import type BetterSqlite3 from "better-sqlite3";
import { type SQL, sql } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { PgDatabase } from "drizzle-orm/pg-core";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import {
  DatabaseUnavailableError,
  type DataError,
  SessionMisuseError,
  TransactionFinishedError,
  ValidationError,
} from "../errors/errors.js";
import { isConnectionLost, mapDriverError, type TableLookup } from "../errors/map-driver-error.js";
import { Repository } from "../repository/repository.js";
import type { AnyTable } from "../schema/table.js";
import type { Checkpointer } from "./checkpointer.js";
import { Mutex } from "./mutex.js";

export type Dialect = "sqlite" | "postgres";

const sqliteDialect = new SQLiteSyncDialect();
/** How many statements the shared cache keeps before it drops the oldest. */
const RAW_STATEMENTS_KEPT = 500;
export type DriverName = "better-sqlite3" | "postgres-js" | "pglite";
const ISOLATION_LEVELS = ["read committed", "repeatable read", "serializable"] as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

// biome-ignore lint/suspicious/noExplicitAny: a Drizzle database or transaction of either dialect; typed access goes through repositories.
export type AnyDrizzle = BetterSQLite3Database<any> | PgDatabase<any, any>;

/** What a session shares with every session of the same database. */
export interface Shared {
  readonly dialect: Dialect;
  readonly driver: DriverName;
  readonly tables: TableLookup;
  /**
   * better-sqlite3 only: the connection, the lock that keeps transactions from interleaving, and for a
   * file the thread its WAL checkpoints move to once it writes enough to need one.
   */
  readonly sqlite?: { client: BetterSqlite3.Database; lock: Mutex; checkpointer?: Checkpointer };
  /** Prepared statements by table and query shape, built from the root connection. */
  // biome-ignore lint/suspicious/noExplicitAny: prepared queries of either dialect.
  readonly prepared: Map<string, any>;
  /** PostgreSQL: the SQL text and parameters of statements run on the client itself, by the same keys. */
  readonly texts: Map<string, unknown>;
  /**
   * The statements of the last few bulk inserts (more rows than `prepared` and `texts` keep), by the
   * same keys: a restore, a copy or an import inserts page after page of the same size, and building
   * a statement of hundreds of rows anew took longer than running it.
   */
  readonly bulk: Map<string, unknown>;
  /** Set when `close` begins: from then on, work from outside the transactions in progress is refused. */
  closed: boolean;
  /** Set when `close` closes the connections, once the transactions in progress have finished. */
  disconnected?: boolean;
  /** Transactions (not savepoints) called and not yet settled, including those waiting for their turn. */
  transactions?: number;
  /** What `close` waits on: called when `transactions` falls to 0. */
  whenIdle?: () => void;
}

export interface TransactionOptions {
  /** PostgreSQL only; SQLite transactions are always serializable. */
  isolationLevel?: IsolationLevel;
}

/** Carries an error thrown by a transaction's callback past the driver-error translation. */
class ThrownByFn {
  constructor(readonly error: unknown) {}
}

/** A transaction or savepoint whose callback the current async context runs in, and those around it. */
interface Scope {
  readonly session: Session;
  readonly outer: Scope | undefined;
}

/**
 * The transactions the running code is inside of. Entered once per transaction and savepoint, and
 * read only where a call could wait for one of them: by a transaction, and by a statement outside
 * any transaction while one is in progress on the same database.
 */
const scopes = new AsyncLocalStorage<Scope>();
/**
 * Scopes entered and not yet left, across every database of the process. On Node 20, tracking async
 * context costs every promise of the process something (a `get` by id on SQLite took 8% longer), so
 * it is on only while transactions run, and turned off once none has run for TRACKING_IDLE_MS: that
 * loses nothing, as only the scopes of transactions in progress count. Not as soon as the last scope
 * is left: turning the tracking off and on again around every transaction cost a PostgreSQL insert +
 * audit row 12–40 µs of CPU, where leaving it on between back-to-back transactions cost nothing
 * measurable.
 */
let scopesOpen = 0;
/** Whether a scope was entered since the last look at whether the tracking can be turned off. */
let scopeEntered = false;
/** The next such look; set while the tracking is on. Unreferenced: it never keeps the process alive. */
let idleCheck: NodeJS.Timeout | undefined;
const TRACKING_IDLE_MS = 250;

/** Counts a scope in; `scopes.run` turns the tracking on. */
function enterScope(): void {
  scopesOpen++;
  scopeEntered = true;
  idleCheck ??= setTimeout(turnOffIdleTracking, TRACKING_IDLE_MS).unref();
}

function leaveScope(): void {
  scopesOpen--;
}

function turnOffIdleTracking(): void {
  if (scopesOpen > 0 || scopeEntered) {
    scopeEntered = false;
    idleCheck?.refresh();
    return;
  }
  idleCheck = undefined;
  scopes.disable();
}

/**
 * What a postgres-js transaction (or savepoint) callback returns once the transaction's connection has
 * closed: a promise that never settles, so postgres-js sends neither its COMMIT nor its ROLLBACK.
 * Either, sent on the closed connection, makes postgres-js (3.4.9) write to the socket it has let go
 * of: a TypeError thrown from a timer, which nothing can catch and which ends the process. The
 * transaction has already failed with the closed connection's error, and the server rolled it back
 * when the connection closed. A new promise each time: nothing holds it, so what waits on it is
 * collected with it.
 */
function abandoned(): Promise<never> {
  return new Promise<never>(() => {});
}

const USE_TX =
  "inside a transaction, use its session (the `tx` its callback was given), not the database: " +
  "the database's own session waits for the transaction to end, which waits for this call";
const USE_SP =
  "inside a savepoint, use its session (the `sp` its callback was given), not the transaction's: " +
  "a transaction runs one savepoint at a time, and waits for this one to end before the next; " +
  "a statement of the transaction's would run inside the savepoint and be undone with it";

/**
 * A way to talk to the database: the database itself, or a transaction in progress. Repositories,
 * raw SQL and nested transactions all go through it, so what runs inside a transaction is decided
 * by which session is used, never by global state.
 */
export class Session {
  private readonly repositories = new Map<AnyTable, unknown>();
  /** Set when the transaction this session stands for has committed or rolled back. */
  private finished = false;
  /** postgres-js: set when the connection of this transaction closed before the transaction ended. */
  private lostConnection = false;
  /** Statements this transaction sent without waiting for them (`Repository#createPipelined`). */
  private pipelined: Promise<unknown>[] | undefined;
  /** Lets one savepoint of this transaction run at a time, as they would nest otherwise. */
  private savepointLock: Mutex | undefined;
  /** 0 for the database, 1 for a transaction, 2 and on for savepoints. */
  private readonly depth: number;

  /** @internal */
  constructor(
    readonly shared: Shared,
    /** The Drizzle database (or transaction) that queries are built from. */
    readonly drizzle: AnyDrizzle,
    readonly inTransaction: boolean,
    /** The transaction (or savepoint) this session is a savepoint of. */
    private readonly parent?: Session,
  ) {
    this.depth = parent ? parent.depth + 1 : inTransaction ? 1 : 0;
  }

  get dialect(): Dialect {
    return this.shared.dialect;
  }

  /** The typed repository of `table` in this session. */
  repo<T extends AnyTable>(table: T): Repository<T> {
    let repository = this.repositories.get(table) as Repository<T> | undefined;
    if (!repository) {
      repository = new Repository(this, table);
      this.repositories.set(table, repository);
    }
    return repository;
  }

  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Called on a
   * transaction, it opens a savepoint, so a nested failure can be caught without losing the outer work;
   * savepoints of one transaction (or savepoint) run one at a time, in the order they were called.
   * Inside `fn`, use `tx`: the database's own session (and, inside a savepoint, the transaction's)
   * throws there instead of waiting forever for the transaction the call is part of.
   */
  transaction<R>(fn: (tx: Session) => Promise<R>, options: TransactionOptions = {}): Promise<R> {
    let outer: Scope | undefined;
    try {
      const level = options.isolationLevel;
      if (level !== undefined && !ISOLATION_LEVELS.includes(level)) {
        throw new ValidationError([
          { path: ["isolationLevel"], message: `must be one of ${ISOLATION_LEVELS.join(", ")}` },
        ]);
      }
      this.assertOpen();
      outer = scopes.getStore();
      if (outer) this.refuseWaitingOnItself(outer);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.inTransaction) return this.savepoint(fn, outer);
    const shared = this.shared;
    // Counted from the call, so `close` also waits for those still waiting for their turn; counted
    // out by `transactionEnded`.
    shared.transactions = (shared.transactions ?? 0) + 1;
    return shared.sqlite
      ? this.sqliteTransaction(shared.sqlite, fn, outer)
      : this.postgresTransaction(fn, outer, options);
  }

  private transactionEnded(): void {
    const shared = this.shared;
    const left = (shared.transactions ?? 1) - 1;
    shared.transactions = left;
    if (left === 0) shared.whenIdle?.();
  }

  /** One savepoint at a time per transaction (per savepoint, for savepoints in it), as on SQLite's one connection. */
  private async savepoint<R>(fn: (tx: Session) => Promise<R>, outer: Scope | undefined): Promise<R> {
    this.savepointLock ??= new Mutex();
    const release = await this.savepointLock.acquire();
    try {
      // The transaction may have ended while this savepoint waited for the one before it.
      this.assertOpen();
      return this.shared.sqlite ? await this.sqliteSavepoint(fn, outer) : await this.postgresTransaction(fn, outer);
    } finally {
      release();
    }
  }

  /**
   * Throws, rather than wait forever, when this call could only go on once a transaction (or
   * savepoint) ends that the caller is itself inside of: the database's own session called from
   * inside one of its transactions, or a transaction called from inside one of its savepoints.
   * postgres-js would run the former on another connection, outside the transaction, neither seeing
   * its work nor undone with it (and blocked by its row locks): refused there too, so code does the
   * same on every driver.
   */
  private refuseWaitingOnItself(scope: Scope | undefined): void {
    for (; scope; scope = scope.outer) {
      const inside = scope.session;
      if (inside.finished) continue;
      if (!this.inTransaction) {
        if (inside.shared === this.shared) throw new SessionMisuseError(USE_TX);
      } else if (inside.parent === this) throw new SessionMisuseError(USE_SP);
    }
  }

  /** Resolves once no transaction of this database is in progress, nor waiting to start. */
  protected async transactionsFinished(): Promise<void> {
    const shared = this.shared;
    while (shared.transactions) {
      await new Promise<void>((resolve) => {
        shared.whenIdle = resolve;
      });
    }
    shared.whenIdle = undefined;
  }

  private async postgresTransaction<R>(
    fn: (tx: Session) => Promise<R>,
    outer: Scope | undefined,
    options: TransactionOptions = {},
  ): Promise<R> {
    let thrownByFn: unknown;
    // A postgres-js transaction (not a savepoint): its own COMMIT goes out behind the statements it has
    // not waited for, in one round trip, where every other transaction waits for them before it
    // commits; and postgres-js tells it when its connection closes.
    const postgresJsTransaction = !this.inTransaction && this.shared.driver === "postgres-js";
    let tx: Session | undefined;
    try {
      const pgDb = this.drizzle as PgDatabase<never, never>;
      const pending = pgDb.transaction(
        async (drizzleTx) => {
          const session = new Session(
            this.shared,
            drizzleTx as unknown as AnyDrizzle,
            true,
            this.inTransaction ? this : undefined,
          );
          tx = session;
          enterScope();
          try {
            const result = await scopes.run({ session, outer }, fn, session);
            if (postgresJsTransaction) await session.pipelinedSent();
            else await session.settlePipelined();
            if (session.connectionLost) return abandoned();
            return result;
          } catch (error) {
            if (session.connectionLost) return abandoned();
            // A statement sent without waiting that failed is why everything after it failed.
            thrownByFn = (await session.pipelinedFailure()) ?? error;
            throw thrownByFn;
          } finally {
            session.end();
          }
        },
        !this.inTransaction && options.isolationLevel ? { isolationLevel: options.isolationLevel } : undefined,
      );
      // postgres-js rejects a transaction as soon as its connection closes, while the callback may still
      // be running (a statement in flight fails too, see runAsync): from then on the transaction, and
      // its savepoints, send nothing (see `abandoned`).
      if (postgresJsTransaction) {
        pending.catch((error: unknown) => {
          if (tx && !tx.finished && isConnectionLost(error)) tx.loseConnection();
        });
      }
      const result = await pending;
      // Had one of them failed, PostgreSQL answered the COMMIT by rolling back: nothing was kept.
      if (postgresJsTransaction) await tx?.settlePipelined();
      return result;
    } catch (error) {
      // What the caller threw comes out as it was; only the driver's own errors are translated.
      throw error === thrownByFn ? error : this.mapError(error);
    } finally {
      if (!this.inTransaction) this.transactionEnded();
    }
  }

  /** Whether the connection of this transaction (or of the one it is a savepoint of) has closed. */
  private get connectionLost(): boolean {
    return this.lostConnection || (this.parent?.connectionLost ?? false);
  }

  /**
   * Marks the transaction this session belongs to as over because its connection closed: its
   * statements, and its savepoints', are refused from now on.
   */
  private loseConnection(): void {
    // Ended from the inside out: a callback waiting on a savepoint that sends nothing more waits forever.
    let session: Session = this;
    for (; session.parent; session = session.parent) session.end();
    session.lostConnection = true;
    session.end();
  }

  /** Ends this session's transaction scope, once. */
  private end(): void {
    if (this.finished) return;
    this.finished = true;
    leaveScope();
  }

  /**
   * @internal Makes this transaction answer for a statement sent without waiting for it: it commits
   * only once the statement has succeeded, and fails with the statement's error if it did not.
   */
  pipeline(send: () => Promise<unknown>): void {
    if (!this.inTransaction) throw new Error("a statement sent without waiting needs a transaction to wait for it");
    this.assertOpen();
    const statement = send();
    statement.catch(() => {
      // Reported when the transaction ends (settlePipelined), not as an unhandled rejection.
    });
    if (this.pipelined) this.pipelined.push(statement);
    else this.pipelined = [statement];
  }

  /** Waits for the statements sent without waiting; the first of them that failed is thrown. */
  private async settlePipelined(): Promise<void> {
    const statements = this.pipelined;
    this.pipelined = undefined;
    if (statements) for (const statement of statements) await statement;
  }

  /** The error of the first statement sent without waiting that failed, once all have answered. */
  private async pipelinedFailure(): Promise<unknown> {
    const statements = this.pipelined;
    if (!statements) return undefined;
    this.pipelined = undefined;
    for (const outcome of await Promise.allSettled(statements)) {
      if (outcome.status === "rejected") return outcome.reason;
    }
    return undefined;
  }

  /**
   * Resolves once the statements sent without waiting are with the driver: postgres-js hands a query to
   * its connection a few microtasks after it is started, and a COMMIT must come after them.
   */
  private async pipelinedSent(): Promise<void> {
    if (this.pipelined?.length) await new Promise((resolve) => setImmediate(resolve));
  }

  private async sqliteTransaction<R>(
    sqlite: NonNullable<Shared["sqlite"]>,
    fn: (tx: Session) => Promise<R>,
    outer: Scope | undefined,
  ): Promise<R> {
    let release: (() => void) | undefined;
    try {
      release = await sqlite.lock.acquire();
      // Called before `close` began, it runs though `close` is waiting: only a closed connection stops it.
      if (this.shared.disconnected) throw this.unavailable();
      // IMMEDIATE takes the write lock up front, so another process cannot make this one fail half-way.
      sqlite.client.exec("BEGIN IMMEDIATE");
      const tx = new Session(this.shared, this.drizzle, true);
      let result: R;
      enterScope();
      try {
        result = await scopes.run({ session: tx, outer }, fn, tx);
        await tx.settlePipelined();
      } catch (error) {
        if (sqlite.client.inTransaction) sqlite.client.exec("ROLLBACK");
        throw new ThrownByFn(error);
      } finally {
        tx.end();
      }
      sqlite.client.exec("COMMIT");
      return result;
    } catch (error) {
      if (error instanceof ThrownByFn) throw error.error;
      if (sqlite.client.inTransaction) sqlite.client.exec("ROLLBACK");
      throw this.mapError(error);
    } finally {
      release?.();
      this.transactionEnded();
    }
  }

  /** Called with the savepoint lock held: see `savepoint`. */
  private async sqliteSavepoint<R>(fn: (tx: Session) => Promise<R>, outer: Scope | undefined): Promise<R> {
    const client = this.shared.sqlite?.client as BetterSqlite3.Database;
    const sp = new Session(this.shared, this.drizzle, true, this);
    // Savepoints of one transaction run one at a time, so each depth needs one name.
    const name = `sp_${sp.depth}`;
    try {
      client.exec(`SAVEPOINT ${name}`);
      let result: R;
      enterScope();
      try {
        result = await scopes.run({ session: sp, outer }, fn, sp);
        await sp.settlePipelined();
      } catch (error) {
        client.exec(`ROLLBACK TO ${name}`);
        client.exec(`RELEASE ${name}`);
        throw new ThrownByFn(error);
      } finally {
        sp.end();
      }
      client.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      if (error instanceof ThrownByFn) throw error.error;
      throw this.mapError(error);
    }
  }

  /** Runs raw SQL and returns its rows (as the driver gives them: column names, driver values). */
  async execute<Row = Record<string, unknown>>(query: SQL): Promise<Row[]> {
    return this.run(
      () => {
        const client = this.shared.sqlite?.client as BetterSqlite3.Database;
        const { sql: text, params } = sqliteDialect.sqlToQuery(query);
        // Prepared once per text, as repository statements are: preparing costs more than a small read.
        const key = `raw|${text}`;
        let statement = this.shared.prepared.get(key) as BetterSqlite3.Statement | undefined;
        if (!statement) {
          statement = client.prepare(text);
          if (this.shared.prepared.size >= RAW_STATEMENTS_KEPT) {
            const oldest = this.shared.prepared.keys().next().value;
            if (oldest !== undefined) this.shared.prepared.delete(oldest);
          }
          this.shared.prepared.set(key, statement);
        }
        if (statement.reader) return statement.all(...params) as Row[];
        statement.run(...params);
        return [];
      },
      async () => {
        const result = await (this.drizzle as PgDatabase<never, never>).execute(query);
        return (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[];
      },
    );
  }

  /** Answers whether the database responds. */
  async ping(): Promise<boolean> {
    try {
      await this.execute(sql`select 1`);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * @internal Runs one unit of database work. On SQLite, `sqliteWork` is synchronous and, outside a
   * transaction, waits until no transaction is open on the shared connection, so it can neither see
   * nor join another caller's uncommitted work. Errors come out typed.
   */
  run<R>(sqliteWork: () => R, pgWork: () => Promise<R>): Promise<R> | R {
    const sqlite = this.shared.sqlite;
    if (sqlite) {
      sqlite.checkpointer?.noteStatement();
      // A transaction is open (or waiting): the only case where this could wait on its caller.
      if (!this.inTransaction && sqlite.lock.locked) return this.runWhenIdle(sqlite.lock, sqliteWork);
      // A savepoint of this transaction is open: refused if called from inside it.
      if (this.savepointLock?.locked) this.refuseWaitingOnItself(scopes.getStore());
      try {
        this.assertOpen();
        return sqliteWork();
      } catch (error) {
        throw this.mapError(error);
      }
    }
    return this.runAsync(pgWork);
  }

  private async runWhenIdle<R>(lock: Mutex, work: () => R): Promise<R> {
    this.refuseWaitingOnItself(scopes.getStore());
    while (lock.locked) await lock.idle();
    try {
      this.assertOpen();
      return work();
    } catch (error) {
      throw this.mapError(error);
    }
  }

  /** Chained rather than async: inside a transaction every promise costs its async-context hook. */
  private runAsync<R>(work: () => Promise<R>): Promise<R> {
    let running: Promise<R>;
    try {
      // Looked up only while a transaction, or a savepoint of this one, is in progress; see
      // `refuseWaitingOnItself`.
      if (this.inTransaction ? this.savepointLock?.locked : this.shared.transactions) {
        this.refuseWaitingOnItself(scopes.getStore());
      }
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      this.assertOpen();
      running = work();
    } catch (error) {
      return Promise.reject(this.mapError(error));
    }
    return running.catch((error: unknown) => {
      if (this.inTransaction && isConnectionLost(error)) this.loseConnection();
      throw this.mapError(error);
    });
  }

  /** @internal */
  mapError(error: unknown): DataError {
    return mapDriverError(error, this.shared.tables);
  }

  /** Transactions in progress when `close` began go on until it closes the connections; nothing else does. */
  private assertOpen(): void {
    if (this.connectionLost) {
      throw new DatabaseUnavailableError({ cause: new Error("the connection of this transaction closed") });
    }
    if (this.finished) throw new TransactionFinishedError();
    if (this.shared.closed && (!this.inTransaction || this.shared.disconnected)) throw this.unavailable();
  }

  private unavailable(): DatabaseUnavailableError {
    return new DatabaseUnavailableError({ cause: new Error("the database has been closed") });
  }
}
