import { isoString } from "@groundwork/db";
import type { Context } from "hono";
import type { AppEnv } from "./env.js";
import { type ProblemCode, type ProblemInit, problem } from "./problem.js";

/**
 * Marks answers built here, which carry the request id already (the request log adds it to the
 * others). A property rather than a WeakSet: a weak entry for every answer is work for the garbage
 * collector.
 */
const CARRIES_REQUEST_ID = Symbol("carries request id");

/** Whether `res` was built with the request id among its headers. */
export function carriesRequestId(res: Response): boolean {
  return (res as { [CARRIES_REQUEST_ID]?: boolean })[CARRIES_REQUEST_ID] === true;
}

/**
 * An answer of its own, its headers one plain record with the request id added: Node takes a plain
 * record as it is, where Hono would collect more than one header in a Fetch `Headers` for the Node
 * adapter to turn back into a record.
 */
function answer(c: Context<AppEnv>, text: string, status: number, headers: Record<string, string>): Response {
  const requestId = c.get("requestId");
  if (requestId) headers["x-request-id"] = requestId;
  const response = new Response(text, { status, headers });
  if (requestId) (response as { [CARRIES_REQUEST_ID]?: boolean })[CARRIES_REQUEST_ID] = true;
  return response;
}

/** `record` with the given headers set over it, by lower-case name (Node would send both spellings). */
function withHeaders(record: Record<string, string>, given: Record<string, string> | undefined) {
  if (given) for (const name in given) record[name.toLowerCase()] = given[name] as string;
  return record;
}

/** `body` as `application/json`, its Dates written as ISO strings. */
export function jsonResponse(
  c: Context<AppEnv>,
  body: unknown,
  status: number,
  headers?: Record<string, string>,
): Response {
  const text = JSON.stringify(withIsoDates(body, 0));
  return answer(c, text, status, withHeaders({ "content-type": "application/json" }, headers));
}

/**
 * A problem document (RFC 9457) as a response of its own: its status, its headers and the request
 * id, and no header set for the answer it replaces (an ETag of what could not be sent).
 */
export function sendProblem(c: Context<AppEnv>, code: ProblemCode, init: ProblemInit = {}): Response {
  const body = problem(code, init, c.get("requestId"));
  const headers = withHeaders({ "content-type": "application/problem+json" }, init.headers);
  return answer(c, JSON.stringify(body), body.status, headers);
}

/** Rows nest a few levels deep at most (a page, its rows, their children); deeper dates keep `toJSON`. */
const MAX_DEPTH = 5;

/**
 * `value` with its Dates written by `isoString`, serializing exactly as it would with them (where
 * JSON.stringify would call each Date's `toJSON`). Only objects and arrays that hold a Date, at any
 * depth up to MAX_DEPTH, are copied; everything else is returned as it is.
 */
export function withIsoDates(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return isoString(value);
  if (depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null || typeof item !== "object") continue;
      const written = withIsoDates(item, depth + 1);
      if (written !== item) {
        copy ??= value.slice();
        copy[i] = written;
      }
    }
    return copy ?? value;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (field === null || typeof field !== "object") continue;
    const written = withIsoDates(field, depth + 1);
    if (written !== field) {
      copy ??= prototype === null ? Object.assign(Object.create(null), value) : { ...value };
      (copy as Record<string, unknown>)[key] = written;
    }
  }
  return copy ?? value;
}
