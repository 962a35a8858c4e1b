/** A value no database of the layer can store as given, and where it is. */
export interface StorableIssue {
  path: (string | number)[];
  message: string;
}

// U+0000 and lone surrogates: PostgreSQL refuses the one where SQLite stores it, and both silently
// turn the other into U+FFFD, so the same input would be taken or changed per dialect.
const storableText = (text: string) =>
  !text.includes("\u0000") && (text as string & { isWellFormed(): boolean }).isWellFormed();
// RFC 3339 timestamps have four-digit years; PostgreSQL refuses the text JavaScript writes beyond them.
const MIN_TIME = Date.parse("0001-01-01T00:00:00.000Z");
const MAX_TIME = Date.parse("9999-12-31T23:59:59.999Z");
const MAX_ISSUES = 20;
const BAD_KEY = "keys may not contain U+0000 or lone surrogates";

/** Why a value that holds no others cannot be stored as given; undefined when it can. */
function leafIssue(item: unknown): string | undefined {
  if (typeof item === "string")
    return storableText(item) ? undefined : "text may not contain U+0000 or lone surrogates";
  // JSON has no Infinity or NaN: `JSON.stringify` writes null, and PostgreSQL refuses them for integers.
  if (typeof item === "number") return Number.isFinite(item) ? undefined : "numbers must be finite";
  if (item instanceof Date) {
    const time = item.getTime();
    return time >= MIN_TIME && time <= MAX_TIME ? undefined : "dates must be valid and within the years 1 to 9999";
  }
  return undefined;
}

/** The values an array or plain object holds, with their keys; none for anything else. */
function childrenOf(item: unknown): [string | number, unknown][] | undefined {
  if (item === null || typeof item !== "object" || item instanceof Date) return undefined;
  return Array.isArray(item) ? item.map((element, i) => [i, element]) : Object.entries(item);
}

/**
 * Values that pass a schema but that the two dialects would not store alike, with their paths: text
 * or object keys holding U+0000 or lone surrogates, numbers that are not finite, and dates outside
 * the years 1 to 9999. At most 20. Iterative: a value from a client is no reason to overflow the
 * stack. Paths are made only once something is refused: every write of the repository is checked.
 */
export function storableIssues(value: unknown, path: (string | number)[] = []): StorableIssue[] {
  if (allStorable(value)) return [];
  const issues: StorableIssue[] = [];
  const stack: [unknown, (string | number)[]][] = [[value, path]];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const [item, at] = stack.pop() as [unknown, (string | number)[]];
    const message = leafIssue(item);
    if (message) issues.push({ path: at, message });
    for (const [key, child] of childrenOf(item) ?? []) {
      if (typeof key === "string" && !storableText(key)) issues.push({ path: at, message: BAD_KEY });
      stack.push([child, [...at, key]]);
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/** Whether every value in `value` is storable, without making a path. */
function allStorable(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (leafIssue(item)) return false;
    if (item === null || typeof item !== "object" || item instanceof Date) continue;
    if (Array.isArray(item)) {
      for (const element of item) stack.push(element);
      continue;
    }
    for (const key of Object.keys(item)) {
      if (!storableText(key)) return false;
      stack.push((item as Record<string, unknown>)[key]);
    }
  }
  return true;
}
