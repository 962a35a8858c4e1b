import type { z } from "zod";

/** The base of every error the data layer throws; `code` is stable and safe to show. */
export abstract class DataError extends Error {
  abstract readonly code: string;
  override get name(): string {
    return this.constructor.name;
  }
}

export class NotFoundError extends DataError {
  readonly code = "not_found";
  constructor(
    readonly table: string,
    readonly id?: unknown,
  ) {
    super(id === undefined ? `${table}: no such row` : `${table}: no row with id ${String(id)}`);
  }
}

export class UniqueViolationError extends DataError {
  readonly code = "unique_violation";
  constructor(
    readonly table: string | undefined,
    /** The columns (property names) whose values already exist. */
    readonly columns: readonly string[],
    readonly constraint?: string,
  ) {
    super(`${table ?? "row"}: a row with the same ${columns.join(", ") || "key"} already exists`);
  }
}

export class ForeignKeyViolationError extends DataError {
  readonly code = "foreign_key_violation";
  constructor(
    readonly table: string | undefined,
    readonly constraint?: string,
  ) {
    super(`${table ?? "row"}: a referenced row does not exist, or the row is still referenced`);
  }
}

export class CheckViolationError extends DataError {
  readonly code = "check_violation";
  constructor(
    readonly table: string | undefined,
    readonly constraint?: string,
  ) {
    super(`${table ?? "row"}: a value breaks the rule ${constraint ?? "of a check constraint"}`);
  }
}

export class NotNullViolationError extends DataError {
  readonly code = "not_null_violation";
  constructor(
    readonly table: string | undefined,
    readonly column?: string,
  ) {
    super(`${table ?? "row"}: ${column ?? "a column"} must not be null`);
  }
}

export class VersionConflictError extends DataError {
  readonly code = "version_conflict";
  constructor(
    readonly table: string,
    readonly id: unknown,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`${table}: row ${String(id)} is at version ${actualVersion}, not ${expectedVersion}`);
  }
}

export interface ValidationIssue {
  path: (string | number)[];
  message: string;
}

export class ValidationError extends DataError {
  readonly code = "validation_failed";
  readonly issues: ValidationIssue[];
  constructor(
    issues: ValidationIssue[],
    readonly table?: string,
  ) {
    super(
      `${table ? `${table}: ` : ""}invalid input: ${issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
    this.issues = issues;
  }

  static fromZod(error: z.ZodError, table?: string): ValidationError {
    return new ValidationError(
      error.issues.map((issue) => ({
        path: issue.path.filter((p): p is string | number => typeof p !== "symbol"),
        message: issue.message,
      })),
      table,
    );
  }
}

export class DatabaseUnavailableError extends DataError {
  readonly code = "database_unavailable";
  constructor(options?: { cause?: unknown }) {
    super("the database is unavailable", options);
  }
}

/** A driver error with no more specific class; the driver's message stays in `cause`, out of `message`. */
export class DatabaseError extends DataError {
  readonly code = "database_error";
  constructor(options?: { cause?: unknown }) {
    super("the database could not carry out the operation", options);
  }
}

/** A transaction's session was used after the transaction committed or rolled back. */
export class TransactionFinishedError extends DataError {
  readonly code = "transaction_finished";
  constructor() {
    super("the transaction has already finished; use the session it was called from");
  }
}

/** A configuration mistake, such as an unknown `DATABASE_URL`; the message is one line for a person. */
export class ConfigurationError extends DataError {
  readonly code = "configuration_error";
}
