import { storableIssues, ValidationError } from "@groundwork/db";
import { OpenAPIHono, type RouteConfig, type z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler, Next } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "./env.js";
import { HttpProblem } from "./problem.js";

/** What problem paths call the parts of a request that validators check (Hono's targets). */
const PART_NAMES: Record<string, string> = { json: "body", query: "query", param: "path" };
const partName = (target: string) => PART_NAMES[target] ?? target;

/**
 * A router whose request validation failures become `validation_failed` problems, with one entry
 * per invalid field (`body.email`, `query.limit`, `path.teamId`).
 *
 * A route's path and query are validated in one synchronous step: zod-openapi would give each part
 * an async middleware of its own (with an async parse and an awaited hook), which cost a
 * `GET /tickets/{id}` more than its database read. Routes without a body take the step as their
 * handler is called, with no middleware of its own (each a request passes through costs it); bodies
 * are left to zod-openapi's validator, after the step.
 */
export function router() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      validated(result.target, result);
    },
  });
  const register = app.openapi;
  type Register = typeof register;
  app.openapi = ((route: RouteConfig, handler: Parameters<Register>[1], hook?: Parameters<Register>[2]) => {
    const { middleware, hide, request, ...rest } = route;
    if (!request || (!request.params && !request.query) || hook) return register(route, handler, hook);
    if (!hide) app.openAPIRegistry.registerPath({ ...rest, request });
    const { params, query, ...others } = request;
    const validate = pathAndQueryValidation(params, query);
    if (!others.body) {
      // Nothing is validated after the path and query: they are checked as the handler is called.
      const validatedHandler = ((c: Context<AppEnv>, next: Next) => {
        validate(c);
        return (handler as (c: Context<AppEnv>, next: Next) => unknown)(c, next);
      }) as unknown as typeof handler;
      return register(
        { ...rest, request: others, hide: true, ...(middleware ? { middleware } : {}) },
        validatedHandler,
      );
    }
    const before = middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware];
    const validation: MiddlewareHandler<AppEnv> = (c, next) => {
      validate(c);
      return next();
    };
    return register({ ...rest, request: others, hide: true, middleware: [...before, validation] }, handler);
  }) as typeof app.openapi;
  return app;
}

/**
 * Whether the request is routed to a route that lists `marker` among its middleware
 * (`createRoute({ middleware: [marker] })`): Hono matches every handler of a request up front, so
 * middleware that runs before the route can ask.
 */
export function routedThrough(c: Context, marker: MiddlewareHandler): boolean {
  return matchedRoutes(c).some((route) => route.handler === marker);
}

type Parsed = { success: true; data: unknown } | { success: false; error: z.ZodError };

/** A validator's result as the route sees it: its data, or the `validation_failed` problem thrown. */
function validated(target: string, result: Parsed): unknown {
  const part = partName(target);
  if (result.success) {
    const issues = unstorable(result.data, part);
    if (issues.length > 0) {
      throw new HttpProblem("validation_failed", { detail: `the request ${part} is not valid`, errors: issues });
    }
    return result.data;
  }
  throw new HttpProblem("validation_failed", {
    detail: `the request ${part} is not valid`,
    errors: ValidationError.fromZod(result.error).issues.map((issue) => ({
      path: [part, ...issue.path.map(String)].join("."),
      message: issue.message,
    })),
  });
}

/** Validates the query, then the path (zod-openapi's order), as Hono's validator reads them. */
function pathAndQueryValidation(params: z.ZodType | undefined, query: z.ZodType | undefined) {
  return (c: Context<AppEnv>): void => {
    if (query) c.req.addValidatedData("query", validated("query", query.safeParse(queryOf(c))) as object);
    if (params) c.req.addValidatedData("param", validated("param", params.safeParse(c.req.param())) as object);
  };
}

/** The query as Hono's validator gives it: a name given once has its value, one given more an array. */
function queryOf(c: Context<AppEnv>): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  const queries = c.req.queries();
  for (const name in queries) {
    const values = queries[name] as string[];
    query[name] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}

/**
 * A ValidationError from past the validators (a service's) with each path located in the request as
 * theirs are (`body.agentId`, `query.cursor`): by the validated part of the request that holds the
 * path's first step, else, for a field left out, the one part besides the path that was validated.
 * A path found in none stays as it is.
 */
export function locatedInRequest(c: Context<AppEnv>, error: ValidationError): ValidationError {
  const request = c.req as unknown as { valid(target: string): unknown };
  const parts = Object.entries(PART_NAMES)
    .map(([target, name]) => [name, request.valid(target)] as const)
    .filter(([, data]) => data !== null && typeof data === "object");
  const [onlyInput, ...more] = parts.filter(([name]) => name !== "path");
  const issues = error.issues.map((issue) => {
    const [first] = issue.path;
    if (first === undefined) return issue;
    const part =
      parts.find(([, data]) => Object.hasOwn(data as object, first)) ?? (more.length === 0 ? onlyInput : undefined);
    return part ? { ...issue, path: [part[0], ...issue.path] } : issue;
  });
  return new ValidationError(issues, error.table);
}

/** Values that passed their schema but no database may store as given (see `storableIssues`), with their paths. */
function unstorable(data: unknown, target: string): { path: string; message: string }[] {
  return storableIssues(data, [target]).map(({ path, message }) => ({ path: path.join("."), message }));
}
