/** A value no database of the layer can store as given, and where it is. */
export interface StorableIssue {
  path: (string | number)[];
  message: string;
}

// U+0000 and lone surrogates: PostgreSQL refuses the one where SQLite stores it, and both silently
// turn the other into U+FFFD, so the same input would be taken or changed per dialect.
const storable = (text: string) =>
  !text.includes("\u0000") && (text as string & { isWellFormed(): boolean }).isWellFormed();
// RFC 3339 timestamps have four-digit years; PostgreSQL refuses the text JavaScript writes beyond them.
const MIN_TIME = Date.parse("0001-01-01T00:00:00.000Z");
const MAX_TIME = Date.parse("9999-12-31T23:59:59.999Z");
const MAX_ISSUES = 20;

/**
 * Values that pass a schema but that the two dialects would not store alike, with their paths: text
 * or object keys holding U+0000 or lone surrogates, numbers that are not finite (JSON has no
 * Infinity; `JSON.stringify` writes null), and dates outside the years 1 to 9999. At most 20.
 * Iterative: a value from a client is no reason to overflow the stack.
 */
export function storableIssues(value: unknown, path: (string | number)[] = []): StorableIssue[] {
  if (allStorable(value)) return [];
  const issues: StorableIssue[] = [];
  const stack: [unknown, (string | number)[]][] = [[value, path]];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const [item, at] = stack.pop() as [unknown, (string | number)[]];
    if (typeof item === "string") {
      if (!storable(item)) issues.push({ path: at, message: "text may not contain U+0000 or lone surrogates" });
    } else if (typeof item === "number") {
      if (!Number.isFinite(item)) issues.push({ path: at, message: "numbers must be finite" });
    } else if (item instanceof Date) {
      const time = item.getTime();
      if (!(time >= MIN_TIME && time <= MAX_TIME)) {
        issues.push({ path: at, message: "dates must be valid and within the years 1 to 9999" });
      }
    } else if (Array.isArray(item)) {
      item.forEach((element, i) => {
        stack.push([element, [...at, i]]);
      });
    } else if (item !== null && typeof item === "object") {
      for (const [key, element] of Object.entries(item)) {
        if (!storable(key)) issues.push({ path: at, message: "keys may not contain U+0000 or lone surrogates" });
        stack.push([element, [...at, key]]);
      }
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/** Whether every value in `value` is storable: the check of every write, so it makes no paths. */
function allStorable(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === "string") {
      if (!storable(item)) return false;
    } else if (typeof item === "number") {
      if (!Number.isFinite(item)) return false;
    } else if (item instanceof Date) {
      const time = item.getTime();
      if (!(time >= MIN_TIME && time <= MAX_TIME)) return false;
    } else if (Array.isArray(item)) {
      for (const element of item) stack.push(element);
    } else if (item !== null && typeof item === "object") {
      for (const key of Object.keys(item)) {
        if (!storable(key)) return false;
        stack.push((item as Record<string, unknown>)[key]);
      }
    }
  }
  return true;
}
