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
      error.issues.flatMap(explained).map((issue) => ({
        path: issue.path.filter((p): p is string | number => typeof p !== "symbol"),
        message: issue.message,
      })),
      table,
    );
  }
}

/** What zod says of a union none of whose options took the input, unless the union says more. */
const NO_OPTION_TOOK_IT = "Invalid input";

/**
 * A zod issue as the caller can act on it. Each unknown key is an issue at its own path, as any
 * other field's is. When a union's input is of the type of only one of its options, that option's
 * issues say what is wrong: a cost entry's bad field, rather than "Invalid input" for the whole
 * entry because it is not an array of entries either. A union with a message of its own keeps it.
 */
function explained(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ ...issue, path: [...issue.path, key], message: "not a known field" }));
  }
  if (issue.code !== "invalid_union" || issue.message !== NO_OPTION_TOOK_IT) return [issue];
  const wrongType = (option: z.core.$ZodIssue[]) =>
    option.length === 1 && option[0]?.code === "invalid_type" && option[0].path.length === 0;
  const fitting = issue.errors.filter((option) => !wrongType(option));
  if (fitting.length !== 1) return [issue];
  return (fitting[0] as z.core.$ZodIssue[]).flatMap((inner) =>
    explained({ ...inner, path: [...issue.path, ...inner.path] }),
  );
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

/**
 * A session called from inside a transaction (or savepoint) it would have to wait for, or run outside
 * of: the database's own session inside one of its transactions, the transaction's inside one of its
 * savepoints. The message says which session to use.
 */
export class SessionMisuseError extends DataError {
  readonly code = "session_misuse";
}

/** A configuration mistake, such as an unknown `DATABASE_URL`; the message is one line for a person. */
export class ConfigurationError extends DataError {
  readonly code = "configuration_error";
}
