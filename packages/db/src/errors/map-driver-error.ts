import type { TableInfo } from "../schema/table.js";
import {
  CheckViolationError,
  DatabaseError,
  DatabaseUnavailableError,
  DataError,
  ForeignKeyViolationError,
  NotNullViolationError,
  UniqueViolationError,
  ValidationError,
} from "./errors.js";

/** The tables a database knows by SQL name, to name columns in errors by their property names. */
export type TableLookup = ReadonlyMap<string, { info: TableInfo }>;

interface DriverErrorFields {
  code?: unknown;
  message?: unknown;
  /** PostgreSQL's severity of the error: ERROR, or FATAL and PANIC when it ends the connection. */
  severity?: unknown;
  // postgres-js names them like this …
  constraint_name?: unknown;
  table_name?: unknown;
  column_name?: unknown;
  // … and PGlite like this.
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  detail?: unknown;
  errno?: unknown;
}

const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "SQLITE_CANTOPEN",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_FULL",
  "SQLITE_IOERR",
  "SQLITE_READONLY",
  "SQLITE_NOTADB",
]);

/** Finds the driver's own error under Drizzle's wrappers. */
function driverError(error: unknown): DriverErrorFields & Error {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (current as { cause?: unknown })?.cause;
    const code = (current as { code?: unknown })?.code;
    if (code !== undefined || cause === undefined || cause === null) break;
    current = cause;
  }
  return current as DriverErrorFields & Error;
}

/**
 * Whether the connection a statement ran on is gone: closed under it, or being ended by the server (a
 * FATAL error, which the server follows by closing the connection).
 */
export function isConnectionLost(error: unknown): boolean {
  const { code, severity } = driverError(error);
  return (
    code === "CONNECTION_CLOSED" || code === "CONNECTION_DESTROYED" || severity === "FATAL" || severity === "PANIC"
  );
}

function columnsOf(lookup: TableLookup, table: string | undefined, sqlColumns: string[]): string[] {
  const info = table ? lookup.get(table)?.info : undefined;
  if (!info) return sqlColumns;
  const bySql = new Map(Object.entries(info.columns).map(([key, c]) => [c.sqlName, key]));
  return sqlColumns.map((c) => bySql.get(c) ?? c);
}

function uniqueColumnsFromConstraint(lookup: TableLookup, table: string | undefined, constraint: string | undefined) {
  if (!table || !constraint) return undefined;
  const info = lookup.get(table)?.info;
  if (!info) return undefined;
  const fromIndex = info.uniqueIndexes[constraint];
  if (fromIndex) return [...fromIndex];
  if (constraint === `${table}_pkey`) return [...info.primaryKey];
  return undefined;
}

// Constraint names start with their table's name; the longest match wins (`queue_items_…` over `queue_…`).
function tableOfConstraint(lookup: TableLookup, constraint: string): string | undefined {
  let best: string | undefined;
  for (const name of lookup.keys()) {
    if (constraint.startsWith(`${name}_`) && (!best || name.length > best.length)) best = name;
  }
  return best;
}

/** Turns any error thrown by a driver (or by Drizzle around it) into one of the layer's typed errors. */
export function mapDriverError(error: unknown, lookup: TableLookup): DataError {
  if (error instanceof DataError) return error;
  const e = driverError(error);
  const code = str(e.code);
  const message = str(e.message) ?? "";

  if (code?.startsWith("SQLITE_CONSTRAINT")) {
    // better-sqlite3: "UNIQUE constraint failed: users.email, users.team_id"
    const detail = message.split(": ").slice(1).join(": ");
    switch (code) {
      case "SQLITE_CONSTRAINT_UNIQUE":
      case "SQLITE_CONSTRAINT_PRIMARYKEY": {
        const qualified = detail.split(",").map((s) => s.trim());
        const table = qualified[0]?.split(".")[0];
        const columns = columnsOf(
          lookup,
          table,
          qualified.map((q) => q.split(".").slice(1).join(".")),
        );
        return new UniqueViolationError(table, columns);
      }
      case "SQLITE_CONSTRAINT_FOREIGNKEY":
        return new ForeignKeyViolationError(undefined);
      // ON DELETE RESTRICT is enforced like a trigger, and reported as one.
      case "SQLITE_CONSTRAINT_TRIGGER":
        if (message.includes("FOREIGN KEY")) return new ForeignKeyViolationError(undefined);
        return new DatabaseError({ cause: error });
      case "SQLITE_CONSTRAINT_CHECK":
        return new CheckViolationError(tableOfConstraint(lookup, detail), detail || undefined);
      case "SQLITE_CONSTRAINT_NOTNULL": {
        const [table, column] = detail.split(".");
        return new NotNullViolationError(table, column ? columnsOf(lookup, table, [column])[0] : undefined);
      }
      default:
        return new DatabaseError({ cause: error });
    }
  }

  if (code && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith("SQLITE")) {
    const table = str(e.table_name) ?? str(e.table);
    const constraint = str(e.constraint_name) ?? str(e.constraint);
    switch (code) {
      case "23505": {
        const columns =
          uniqueColumnsFromConstraint(lookup, table, constraint) ??
          columnsOf(
            lookup,
            table,
            // detail: Key (team_id, slug)=(…) already exists.
            (/Key \(([^)]*)\)=/.exec(str(e.detail) ?? "")?.[1] ?? "")
              .split(",")
              .map((s) => s.trim().replaceAll('"', "")),
          );
        return new UniqueViolationError(table, columns, constraint);
      }
      case "23503":
      case "23001": // restrict_violation: ON DELETE RESTRICT
        return new ForeignKeyViolationError(table, constraint);
      case "23514":
        return new CheckViolationError(table, constraint);
      case "23502": {
        const column = str(e.column_name) ?? str(e.column);
        return new NotNullViolationError(table, column ? columnsOf(lookup, table, [column])[0] : undefined);
      }
    }
    // Class 22: data exceptions, such as text that is no uuid or a number out of range: bad input.
    if (code.startsWith("22")) {
      const column = str(e.column_name) ?? str(e.column);
      return new ValidationError([
        { path: column ? columnsOf(lookup, table, [column]) : [], message: "a value is not valid for its column" },
      ]);
    }
    // Class 08: connection exceptions; 57P0x: the server is shutting down or restarting; 53300: too many connections.
    if (code.startsWith("08") || code.startsWith("57P") || code === "53300") {
      return new DatabaseUnavailableError({ cause: error });
    }
    return new DatabaseError({ cause: error });
  }

  if (code && CONNECTION_CODES.has(code)) return new DatabaseUnavailableError({ cause: error });
  if (/database (connection )?is closed|connection.*(closed|terminated|ended)|PGlite is closed/i.test(message)) {
    return new DatabaseUnavailableError({ cause: error });
  }
  return new DatabaseError({ cause: error });
}
