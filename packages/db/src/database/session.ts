import type BetterSqlite3 from "better-sqlite3";
import { type SQL, sql } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { PgDatabase } from "drizzle-orm/pg-core";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { DatabaseUnavailableError, type DataError, TransactionFinishedError } from "../errors/errors.js";
import { mapDriverError, type TableLookup } from "../errors/map-driver-error.js";
import { Repository } from "../repository/repository.js";
import type { AnyTable } from "../schema/table.js";
import { Mutex } from "./mutex.js";

export type Dialect = "sqlite" | "postgres";

const sqliteDialect = new SQLiteSyncDialect();
/** How many statements the shared cache keeps before it drops the oldest. */
const RAW_STATEMENTS_KEPT = 500;
export type DriverName = "better-sqlite3" | "postgres-js" | "pglite";
export type IsolationLevel = "read committed" | "repeatable read" | "serializable";

// biome-ignore lint/suspicious/noExplicitAny: a Drizzle database or transaction of either dialect; typed access goes through repositories.
export type AnyDrizzle = BetterSQLite3Database<any> | PgDatabase<any, any>;

/** What a session shares with every session of the same database. */
export interface Shared {
  readonly dialect: Dialect;
  readonly driver: DriverName;
  readonly tables: TableLookup;
  /** better-sqlite3 only: the connection and the lock that keeps transactions from interleaving. */
  readonly sqlite?: { client: BetterSqlite3.Database; lock: Mutex };
  /** Prepared statements by table and query shape, built from the root connection. */
  // biome-ignore lint/suspicious/noExplicitAny: prepared queries of either dialect.
  readonly prepared: Map<string, any>;
  closed: boolean;
}

export interface TransactionOptions {
  /** PostgreSQL only; SQLite transactions are always serializable. */
  isolationLevel?: IsolationLevel;
}

/** Carries an error thrown by a transaction's callback past the driver-error translation. */
class ThrownByFn {
  constructor(readonly error: unknown) {}
}

/**
 * A way to talk to the database: the database itself, or a transaction in progress. Repositories,
 * raw SQL and nested transactions all go through it, so what runs inside a transaction is decided
 * by which session is used, never by global state.
 */
export class Session {
  private readonly repositories = new Map<AnyTable, unknown>();
  private savepoints = 0;
  /** Set when the transaction this session stands for has committed or rolled back. */
  private finished = false;
  /** Statements this transaction sent without waiting for them (`Repository#createPipelined`). */
  private pipelined: Promise<unknown>[] | undefined;

  /** @internal */
  constructor(
    readonly shared: Shared,
    /** The Drizzle database (or transaction) that queries are built from. */
    readonly drizzle: AnyDrizzle,
    readonly inTransaction: boolean,
    private readonly savepointLock?: Mutex,
  ) {}

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
   * transaction, it opens a savepoint, so a nested failure can be caught without losing the outer work.
   */
  async transaction<R>(fn: (tx: Session) => Promise<R>, options: TransactionOptions = {}): Promise<R> {
    this.assertOpen();
    const sqlite = this.shared.sqlite;
    if (sqlite) return this.inTransaction ? this.sqliteSavepoint(fn) : this.sqliteTransaction(sqlite, fn);
    let thrownByFn: unknown;
    // A postgres-js transaction's own COMMIT goes out behind the statements it has not waited for, in
    // one round trip; every other transaction waits for them before it commits.
    const commitBehindPipelined = !this.inTransaction && this.shared.driver === "postgres-js";
    let tx: Session | undefined;
    try {
      const pgDb = this.drizzle as PgDatabase<never, never>;
      const result = await pgDb.transaction(
        async (drizzleTx) => {
          const session = new Session(this.shared, drizzleTx as unknown as AnyDrizzle, true);
          tx = session;
          try {
            const result = await fn(session);
            if (commitBehindPipelined) await session.pipelinedSent();
            else await session.settlePipelined();
            return result;
          } catch (error) {
            // A statement sent without waiting that failed is why everything after it failed.
            thrownByFn = (await session.pipelinedFailure()) ?? error;
            throw thrownByFn;
          } finally {
            session.finished = true;
          }
        },
        !this.inTransaction && options.isolationLevel ? { isolationLevel: options.isolationLevel } : undefined,
      );
      // Had one of them failed, PostgreSQL answered the COMMIT by rolling back: nothing was kept.
      if (commitBehindPipelined) await tx?.settlePipelined();
      return result;
    } catch (error) {
      // What the caller threw comes out as it was; only the driver's own errors are translated.
      throw error === thrownByFn ? error : this.mapError(error);
    }
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

  /**
   * Waits for the statements sent without waiting (those from the `from`th on: a SQLite savepoint
   * shares its session with the transaction around it); the first of them that failed is thrown.
   */
  private async settlePipelined(from = 0): Promise<void> {
    const statements = this.pipelined?.splice(from);
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
  ): Promise<R> {
    const release = await sqlite.lock.acquire();
    try {
      this.assertOpen();
      // IMMEDIATE takes the write lock up front, so another process cannot make this one fail half-way.
      sqlite.client.exec("BEGIN IMMEDIATE");
      const tx = new Session(this.shared, this.drizzle, true, new Mutex());
      let result: R;
      try {
        result = await fn(tx);
        await tx.settlePipelined();
      } catch (error) {
        if (sqlite.client.inTransaction) sqlite.client.exec("ROLLBACK");
        throw new ThrownByFn(error);
      } finally {
        tx.finished = true;
      }
      sqlite.client.exec("COMMIT");
      return result;
    } catch (error) {
      if (error instanceof ThrownByFn) throw error.error;
      if (sqlite.client.inTransaction) sqlite.client.exec("ROLLBACK");
      throw this.mapError(error);
    } finally {
      release();
    }
  }

  private async sqliteSavepoint<R>(fn: (tx: Session) => Promise<R>): Promise<R> {
    const client = this.shared.sqlite?.client as BetterSqlite3.Database;
    const release = await this.savepointLock?.acquire();
    const name = `sp_${++this.savepoints}`;
    try {
      client.exec(`SAVEPOINT ${name}`);
      let result: R;
      const pipelinedBefore = this.pipelined?.length ?? 0;
      try {
        result = await fn(this);
        await this.settlePipelined(pipelinedBefore);
      } catch (error) {
        client.exec(`ROLLBACK TO ${name}`);
        client.exec(`RELEASE ${name}`);
        throw new ThrownByFn(error);
      }
      client.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      if (error instanceof ThrownByFn) throw error.error;
      throw this.mapError(error);
    } finally {
      release?.();
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
      if (!this.inTransaction && sqlite.lock.locked) return this.runWhenIdle(sqlite.lock, sqliteWork);
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
    while (lock.locked) await lock.idle();
    try {
      this.assertOpen();
      return work();
    } catch (error) {
      throw this.mapError(error);
    }
  }

  private async runAsync<R>(work: () => Promise<R>): Promise<R> {
    try {
      this.assertOpen();
      return await work();
    } catch (error) {
      throw this.mapError(error);
    }
  }

  /** @internal */
  mapError(error: unknown): DataError {
    return mapDriverError(error, this.shared.tables);
  }

  private assertOpen(): void {
    if (this.finished) throw new TransactionFinishedError();
    if (this.shared.closed) throw new DatabaseUnavailableError({ cause: new Error("the database has been closed") });
  }
}
