import type { Context, Next } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.js";
import { HttpProblem } from "../problem.js";

/** Deeper JSON than this is refused before any validator walks it (recursively, so it could overflow). */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether the request says it has a body: Content-Length other than 0, or Transfer-Encoding. Without
 * either it has none (RFC 9112 §6.3), and nothing need ask the Node adapter for one (which makes it
 * build a whole Fetch Request).
 */
export function declaresBody(c: Context<AppEnv>): boolean {
  const length = c.req.header("content-length");
  return (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
}

/**
 * Marks a route that takes a file's content (`createRoute({ middleware: [takesFileContent] })`): its
 * body may pass the general limit (see createApp).
 */
export const takesFileContent = createMiddleware<AppEnv>((_c, next) => next());

/**
 * Request bodies are JSON in UTF-8 (RFC 8259), sent as they are: another media type, another charset
 * or a Content-Encoding answers 415 before the request reaches a route; bytes that are not UTF-8, or
 * JSON nested deeper than MAX_JSON_DEPTH, answer 400. For the methods whose routes read a body.
 */
export const requireJsonBody = createMiddleware<AppEnv>(checkJsonBody);

/** Refuses what is not UTF-8, where the default decoder would put U+FFFD in its place. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

async function checkJsonBody(c: Context<AppEnv>, next: Next): Promise<void> {
  if (!declaresBody(c)) return next();
  const [mediaType = "", ...parameters] = (c.req.header("content-type") ?? "").split(";");
  const type = mediaType.trim().toLowerCase();
  if (type !== "application/json" && !type.endsWith("+json")) {
    throw new HttpProblem("unsupported_media_type", {
      detail: `send JSON with Content-Type: application/json${type ? `, not ${type}` : ""}`,
    });
  }
  const charset = parameters
    .map((parameter) => parameter.trim().toLowerCase())
    .find((parameter) => parameter.startsWith("charset="))
    ?.slice("charset=".length)
    .replace(/^"(.*)"$/, "$1");
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    throw new HttpProblem("unsupported_media_type", { detail: `JSON is sent in UTF-8, not ${charset}` });
  }
  const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
  if (encoding && encoding !== "identity") {
    throw new HttpProblem("unsupported_media_type", {
      detail: `send the body without Content-Encoding (${encoding} is not taken)`,
    });
  }
  // The bytes are cached: the route's validator parses them from there. (Reading fails on its own
  // terms, such as a body over the limit; only the decoding is a matter of UTF-8.)
  const bytes = await c.req.arrayBuffer();
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    const message = "the body is not valid UTF-8";
    throw new HttpProblem("validation_failed", { detail: message, errors: [{ path: "body", message }] });
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    const message = `the body is nested more than ${MAX_JSON_DEPTH} levels deep`;
    throw new HttpProblem("validation_failed", { detail: message, errors: [{ path: "body", message }] });
  }
  await next();
}

/** The deepest nesting of arrays and objects in JSON text (valid or not), without parsing it. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) max = Math.max(max, ++depth);
    else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return max;
}
