import { sql } from "drizzle-orm";
import type { Database } from "../database/open.js";
import type { Session } from "../database/session.js";
import { DataError } from "../errors/errors.js";
import { type MigrationFile, readMigrations } from "./files.js";

/** `INSERT INTO __new_t("a", "b") SELECT "a", "b" FROM t`: drizzle-kit's copy of a table it rebuilds. */
const REBUILD_COPY =
  /^\s*INSERT INTO\s+[`"]?__new_(\w+)[`"]?\s*\(([^)]*)\)\s*SELECT\b[\s\S]*\bFROM\s+[`"]?(\w+)[`"]?\s*;?\s*$/i;
/**
 * What the database said, for an operator: the innermost cause's message. Drizzle wraps the
 * driver's error in its own ("Failed query: <sql>"), which the layer wraps again.
 */
function databaseMessage(error: unknown): string {
  let message = (error as Error)?.message ?? String(error);
  for (let at = (error as { cause?: unknown })?.cause; at instanceof Error; at = at.cause) message = at.message;
  return message;
}
const unquote = (name: string) => name.trim().replace(/^[`"]|[`"]$/g, "");

/** A migration problem a person has to resolve; the message says how. */
export class MigrationError extends DataError {
  readonly code = "migration_error";
}

export type MigrationStatus = "applied" | "pending" | "changed" | "unknown";

export interface MigrationState {
  id: string;
  /** `changed`: applied, but the file differs from what was applied; `unknown`: applied, but no such file. */
  status: MigrationStatus;
  appliedAt?: Date;
}

export interface DownOptions {
  /** Revert every migration applied after this one (keep it); `null` reverts them all. Default: only the newest. */
  to?: string | null;
  /** Revert even when it drops tables or columns that hold data. */
  force?: boolean;
  /** Called once before a forced, data-dropping revert, to take a backup. */
  backup?: () => Promise<void>;
}

const TABLE = "__groundwork_migrations";
// Any number works; it only has to be the same for every process migrating this database.
const PG_LOCK_KEY = 7_146_021_923;

/**
 * Applies and reverts the migrations in one directory, each in its own transaction, recording each
 * with a checksum of its files so that a migration edited after it was applied is refused.
 */
export class Migrator {
  constructor(
    private readonly db: Database,
    readonly dir: string,
  ) {}

  async status(): Promise<MigrationState[]> {
    const files = readMigrations(this.dir);
    const applied = await this.applied();
    const states: MigrationState[] = files.map((file) => {
      const record = applied.get(file.id);
      if (!record) return { id: file.id, status: "pending" };
      return {
        id: file.id,
        status: record.checksum === file.checksum ? "applied" : "changed",
        appliedAt: new Date(Number(record.appliedAt)),
      };
    });
    for (const [id, record] of applied) {
      if (!files.some((f) => f.id === id))
        states.push({ id, status: "unknown", appliedAt: new Date(Number(record.appliedAt)) });
    }
    return states.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** True when every migration is applied, none was changed and the database knows none we lack. */
  async isCurrent(): Promise<boolean> {
    return (await this.status()).every((s) => s.status === "applied");
  }

  /** Applies every pending migration (or those up to and including `to`); returns the ids applied. */
  async up(options: { to?: string } = {}): Promise<string[]> {
    const files = readMigrations(this.dir);
    if (options.to !== undefined && !files.some((f) => f.id === options.to)) {
      throw new MigrationError(`no migration "${options.to}" in ${this.dir}`);
    }
    this.refuseProblems(await this.status());
    const done: string[] = [];
    for (const file of files) {
      const applied = await this.apply(file, "up");
      if (applied) done.push(file.id);
      if (file.id === options.to) break;
    }
    return done;
  }

  /** Reverts the newest migration, or every one after `to`; returns the ids reverted, newest first. */
  async down(options: DownOptions = {}): Promise<string[]> {
    const files = readMigrations(this.dir);
    const states = await this.status();
    this.refuseProblems(states);
    const appliedIds = states.filter((s) => s.status === "applied").map((s) => s.id);
    let revert: string[];
    if (options.to === undefined) revert = appliedIds.slice(-1);
    else if (options.to === null) revert = appliedIds;
    else {
      const index = appliedIds.indexOf(options.to);
      if (index < 0) throw new MigrationError(`migration "${options.to}" is not applied; see \`migrate status\``);
      revert = appliedIds.slice(index + 1);
    }
    revert.reverse();
    const targets = revert.map((id) => files.find((f) => f.id === id) as MigrationFile);

    const losses = await this.dataAtRisk(targets);
    if (losses.length > 0) {
      if (!options.force) {
        throw new MigrationError(
          `reverting would delete data (${losses.join(", ")}); run again with --force to go ahead (a backup is taken first)`,
        );
      }
      await options.backup?.();
    }
    const done: string[] = [];
    for (const file of targets) if (await this.apply(file, "down")) done.push(file.id);
    return done;
  }

  private refuseProblems(states: MigrationState[]): void {
    const changed = states.filter((s) => s.status === "changed").map((s) => s.id);
    if (changed.length > 0) {
      throw new MigrationError(
        `migration ${changed.join(", ")} was changed after it was applied; restore the file and put the change in a new migration`,
      );
    }
    const unknown = states.filter((s) => s.status === "unknown").map((s) => s.id);
    if (unknown.length > 0) {
      throw new MigrationError(
        `the database has migration ${unknown.join(", ")}, which is not in ${this.dir}; it was made by another version of the code`,
      );
    }
  }

  /** Tables that the reverts would drop, or drop columns of, and that hold rows. */
  private async dataAtRisk(files: MigrationFile[]): Promise<string[]> {
    const tables = new Set<string>();
    for (const file of files) {
      // SQLite changes a table by rebuilding it: a copy, its rows copied in, the old one dropped.
      // Dropping the old one loses only the columns the copy leaves out.
      const copied = new Map<string, string[]>();
      for (const statement of file.down) {
        const rebuild = REBUILD_COPY.exec(statement);
        if (rebuild?.[1] && rebuild[1] === rebuild[3]) {
          copied.set(rebuild[1], (rebuild[2] ?? "").split(",").map(unquote));
          continue;
        }
        const match = /^\s*(?:DROP TABLE(?: IF EXISTS)?|ALTER TABLE)\s+[`"]?(\w+)[`"]?(.*)$/is.exec(statement);
        const [, table, rest = ""] = match ?? [];
        if (!table) continue;
        if (/^\s*DROP TABLE/i.test(statement)) {
          const kept = copied.get(table);
          if (!kept || !(await this.keepsEveryColumn(table, kept))) tables.add(table);
        } else if (/\bDROP COLUMN\b/i.test(rest)) tables.add(table);
      }
    }
    const losses: string[] = [];
    for (const table of tables) {
      const rows = await this.rowCount(table);
      if (rows > 0) losses.push(`${table}: ${rows} row${rows === 1 ? "" : "s"}`);
    }
    return losses;
  }

  /** Whether a SQLite rebuild copying `columns` of `table` keeps every column the table has now. */
  private async keepsEveryColumn(table: string, columns: string[]): Promise<boolean> {
    if (this.db.dialect !== "sqlite") return false;
    const now = await this.db.execute<{ name: string }>(sql`select name from pragma_table_info(${table})`);
    return now.length > 0 && now.every(({ name }) => columns.includes(name));
  }

  private async rowCount(table: string): Promise<number> {
    try {
      const [row] = await this.db.execute<{ n: number | string }>(
        sql`select count(*) as n from ${sql.identifier(table)}`,
      );
      return Number(row?.n ?? 0);
    } catch {
      return 0; // the table does not exist (yet): nothing to lose
    }
  }

  private async ensureTable(session: Session): Promise<void> {
    const appliedAt = session.dialect === "sqlite" ? sql.raw("integer") : sql.raw("bigint");
    // Under the migration lock: two PostgreSQL sessions running `create table if not exists` at once
    // can both miss the table and collide creating it.
    await session.transaction(async (tx) => {
      if (tx.dialect === "postgres") await tx.execute(sql`select pg_advisory_xact_lock(${PG_LOCK_KEY})`);
      await tx.execute(
        sql`create table if not exists ${sql.identifier(TABLE)} (id text primary key, checksum text not null, applied_at ${appliedAt} not null)`,
      );
    });
  }

  /**
   * The migrations recorded as applied. Only read: a database never migrated has none, and asking
   * (`migrate status`, the readiness probe) leaves it as it was, with no table made and no lock taken.
   */
  private async applied(): Promise<Map<string, { checksum: string; appliedAt: number | string }>> {
    if (!(await this.tableExists())) return new Map();
    const rows = await this.db.execute<{ id: string; checksum: string; applied_at: number | string }>(
      sql`select id, checksum, applied_at from ${sql.identifier(TABLE)} order by id`,
    );
    return new Map(rows.map((r) => [r.id, { checksum: r.checksum, appliedAt: r.applied_at }]));
  }

  /** Whether the table of applied migrations exists (where an unqualified name finds it). */
  private async tableExists(): Promise<boolean> {
    const found =
      this.db.dialect === "sqlite"
        ? await this.db.execute(sql`select 1 from sqlite_master where type = 'table' and name = ${TABLE}`)
        : await this.db.execute(sql`select 1 where to_regclass(${TABLE}) is not null`);
    return found.length > 0;
  }

  /** Runs one migration in one transaction; false when another process did it first. */
  private async apply(file: MigrationFile, direction: "up" | "down"): Promise<boolean> {
    const statements = direction === "up" ? file.up : file.down;
    const run = async (tx: Session): Promise<boolean> => {
      if (tx.dialect === "postgres") await tx.execute(sql`select pg_advisory_xact_lock(${PG_LOCK_KEY})`);
      const [existing] = await tx.execute(sql`select id from ${sql.identifier(TABLE)} where id = ${file.id}`);
      if ((existing !== undefined) !== (direction === "down")) return false;
      for (const statement of statements) {
        // SQLite ignores foreign_keys pragmas inside a transaction; the runner turns checks off around it.
        if (/^PRAGMA foreign_keys/i.test(statement)) continue;
        await tx.execute(sql.raw(statement));
      }
      if (tx.dialect === "sqlite") {
        const broken = await tx.execute(sql`PRAGMA foreign_key_check`);
        if (broken.length > 0)
          throw new MigrationError(`${file.id} ${direction} would leave rows pointing at missing rows`);
      }
      if (direction === "up") {
        await tx.execute(
          sql`insert into ${sql.identifier(TABLE)} (id, checksum, applied_at) values (${file.id}, ${file.checksum}, ${Date.now()})`,
        );
      } else {
        await tx.execute(sql`delete from ${sql.identifier(TABLE)} where id = ${file.id}`);
      }
      return true;
    };

    await this.ensureTable(this.db);
    const sqlite = this.db.shared.sqlite;
    try {
      if (!sqlite) return await this.db.transaction(run);
      // Table rebuilds need foreign key enforcement off, which SQLite only allows outside a transaction.
      await this.db.execute(sql`PRAGMA foreign_keys = OFF`);
      try {
        return await this.db.transaction(run);
      } finally {
        await this.db.execute(sql`PRAGMA foreign_keys = ON`);
      }
    } catch (error) {
      if (error instanceof MigrationError) throw error;
      throw new MigrationError(`${file.id} ${direction} failed: ${databaseMessage(error)}`, { cause: error });
    }
  }
}
