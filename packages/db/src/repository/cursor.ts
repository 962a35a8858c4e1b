import { ValidationError } from "../errors/errors.js";

/** A position in a sorted list: the sort it belongs to, and the sort-key values of the last row seen. */
export interface CursorPosition {
  sort: string;
  values: unknown[];
}

const invalidCursor = () => new ValidationError([{ path: ["cursor"], message: "invalid or expired cursor" }]);

/** Encodes a position as an opaque, URL-safe string. */
export function encodeCursor(position: CursorPosition): string {
  const values = position.values.map((v) => (v instanceof Date ? { d: v.getTime() } : v));
  return Buffer.from(JSON.stringify([position.sort, values])).toString("base64url");
}

/** Decodes a cursor made by `encodeCursor` for the same sort; anything else is a `ValidationError`. */
export function decodeCursor(cursor: string, sort: string, length: number): unknown[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== sort || !Array.isArray(decoded[1])) {
    throw invalidCursor();
  }
  const values = decoded[1] as unknown[];
  if (values.length !== length) throw invalidCursor();
  return values.map((v) => {
    if (v !== null && typeof v === "object") {
      const ms = (v as { d?: unknown }).d;
      if (typeof ms !== "number" || !Number.isFinite(ms)) throw invalidCursor();
      return new Date(ms);
    }
    return v;
  });
}
