import {
  CheckViolationError,
  DatabaseUnavailableError,
  ForeignKeyViolationError,
  NotFoundError,
  NotNullViolationError,
  UniqueViolationError,
  ValidationError,
  VersionConflictError,
} from "@groundwork/db";
import { ConflictError, ForbiddenError, RateLimitedError, UnauthenticatedError } from "@groundwork/domain";
import { z } from "@hono/zod-openapi";

/** The stable codes of problem documents, with their HTTP status. */
export const problemStatus = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  version_conflict: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
  internal: 500,
  unavailable: 503,
} as const;
export type ProblemCode = keyof typeof problemStatus;

const titles: Record<ProblemCode, string> = {
  validation_failed: "The request is not valid",
  unauthenticated: "Authentication is required",
  forbidden: "Not allowed",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict with the current state",
  version_conflict: "The resource has changed",
  payload_too_large: "The request body is too large",
  unsupported_media_type: "Unsupported media type",
  rate_limited: "Too many requests",
  headers_too_large: "The request's URL or headers are too large",
  internal: "Internal error",
  unavailable: "Service unavailable",
};

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://groundwork.dev/problems/not_found" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(problemStatus) as [ProblemCode, ...ProblemCode[]]),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    fields: z.array(z.string()).optional(),
    requestId: z.string().optional(),
  })
  .openapi("Problem");
export type Problem = z.infer<typeof ProblemSchema>;

export interface ProblemInit {
  detail?: string;
  errors?: { path: string; message: string }[];
  fields?: string[];
  /** Extra response headers (Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
}

/** An error that already knows the problem document it becomes. */
export class HttpProblem extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly init: ProblemInit = {},
  ) {
    super(init.detail ?? titles[code]);
  }
}

export function problem(code: ProblemCode, init: ProblemInit = {}, requestId?: string): Problem {
  return {
    type: `https://groundwork.dev/problems/${code}`,
    title: titles[code],
    status: problemStatus[code],
    detail: init.detail ?? titles[code],
    code,
    ...(init.errors ? { errors: init.errors } : {}),
    ...(init.fields ? { fields: init.fields } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

const path = (p: readonly (string | number)[]) => p.join(".");

/**
 * Turns any error into a problem document. Known errors say what went wrong in terms of the API;
 * anything else is `internal`, with no detail: stack traces, SQL and driver messages stay in the log.
 */
export function toProblem(error: unknown): { code: ProblemCode; init: ProblemInit; expected: boolean } {
  if (error instanceof HttpProblem) return { code: error.code, init: error.init, expected: true };
  if (error instanceof ValidationError) {
    return {
      code: "validation_failed",
      init: {
        detail: "some fields are not valid",
        errors: error.issues.map((i) => ({ path: path(i.path), message: i.message })),
      },
      expected: true,
    };
  }
  if (error instanceof UnauthenticatedError) {
    return {
      code: "unauthenticated",
      init: { detail: error.message, headers: { "WWW-Authenticate": "Bearer" } },
      expected: true,
    };
  }
  if (error instanceof ForbiddenError) return { code: "forbidden", init: { detail: error.message }, expected: true };
  if (error instanceof NotFoundError) {
    return { code: "not_found", init: { detail: `no such ${singular(error.table)}` }, expected: true };
  }
  if (error instanceof UniqueViolationError) {
    return {
      code: "conflict",
      init: { detail: `the same ${error.columns.join(", ")} is already taken`, fields: [...error.columns] },
      expected: true,
    };
  }
  if (error instanceof ConflictError) {
    return { code: "conflict", init: { detail: error.message, fields: error.fields }, expected: true };
  }
  if (error instanceof ForeignKeyViolationError) {
    return {
      code: "conflict",
      init: { detail: "the change refers to something that does not exist, or is still in use" },
      expected: true,
    };
  }
  if (error instanceof CheckViolationError || error instanceof NotNullViolationError) {
    return { code: "validation_failed", init: { detail: "a value is outside what is allowed" }, expected: true };
  }
  if (error instanceof VersionConflictError) {
    return {
      code: "version_conflict",
      init: {
        detail: `the ${singular(error.table)} is at version ${error.actualVersion}, not ${error.expectedVersion}`,
      },
      expected: true,
    };
  }
  if (error instanceof RateLimitedError) {
    return {
      code: "rate_limited",
      init: { detail: error.message, headers: { "Retry-After": String(error.retryAfterSeconds) } },
      expected: true,
    };
  }
  if (error instanceof DatabaseUnavailableError) return { code: "unavailable", init: {}, expected: false };
  return { code: "internal", init: {}, expected: false };
}

function singular(table: string): string {
  const name = table.replaceAll("_", " ");
  if (name.endsWith("yses")) return `${name.slice(0, -2)}is`; // file analyses
  return name.endsWith("ies") ? `${name.slice(0, -3)}y` : name.endsWith("s") ? name.slice(0, -1) : name;
}
