import type { Column, SQL } from "drizzle-orm";
import { sql } from "drizzle-orm";
import { z } from "zod";

/** Any JSON value, as stored in a JSON column. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/**
 * A JSON value other than `null`, for NOT NULL JSON columns: drivers write a JavaScript `null` as
 * SQL NULL, so JSON `null` cannot be stored there.
 */
export type JsonPresent = Exclude<JsonValue, null>;
/** A JSON object with arbitrary keys (settings, metadata, config, data). */
export type JsonObject = Record<string, unknown>;

/** Who did something: a user, an agent, or the system itself (no id). */
export const actorTypes = ["user", "agent", "system"] as const;
export type ActorType = (typeof actorTypes)[number];

// ---------------------------------------------------------------- SQL helpers for checks and partial indexes

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `column in ('a', 'b')` with the values inlined: index and check conditions must not carry bound parameters. */
export function inValues(column: Column, values: readonly string[]): SQL {
  return sql`${column} in (${sql.raw(values.map(quoteLiteral).join(", "))})`;
}

/** Exactly one of the two (nullable) columns is set. */
export function exactlyOne(a: Column, b: Column): SQL {
  return sql`(${a} is not null and ${b} is null) or (${a} is null and ${b} is not null)`;
}

/** At most one of the two (nullable) columns is set. */
export function atMostOne(a: Column, b: Column): SQL {
  return sql`${a} is null or ${b} is null`;
}

// ---------------------------------------------------------------- shared zod pieces for refinements

/** Team slugs, and what a caller is told who gives another. */
export const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const slugRule = "lower-case letters, digits and inner hyphens (up to 64)";
/** Keys of preferences, settings and file analysis kinds: they appear in URL paths. */
export const keyPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
export const keyRule = "letters, digits and . _ : - (up to 100)";
/** ISO 4217-style currency codes. */
export const currencyPattern = /^[A-Z]{3}$/;
export const currencyRule = "a three-letter currency code";

export const maxTags = 50;
export const maxTagLength = 64;
/** The cap on `files.content`, in characters. */
export const maxFileContentLength = 1_048_576;

export const tagsSchema = z.array(z.string().trim().min(1).max(maxTagLength)).max(maxTags);
export const scopesSchema = z.array(z.string().trim().min(1).max(100)).max(100);
export const jsonObjectSchema = z.record(z.string(), z.unknown());
export const jsonValueSchema = z.json();
export const jsonPresentSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.json()),
  z.record(z.string(), z.json()),
]);

const DATE_TIME_TEXT = "a date and time with its offset, such as 2026-01-31T09:00:00Z, or a date, such as 2026-01-31";

type TimeForm = z.ZodType<string | number>;

/**
 * A point in time as input, from a Date (written as ISO text first) or from what `forms` take, with
 * one message for anything else; the result is a Date.
 */
function timeInput(forms: readonly [TimeForm, ...TimeForm[]], message: string) {
  const asText = (value: unknown) =>
    value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : value;
  return z.preprocess(asText, z.union(forms, { error: message })).transform((value) => new Date(value));
}

/**
 * A point in time as input: a Date, or ISO 8601 text, a date and time with `Z` or an offset
 * (`2026-01-31T09:00:00Z`, `2026-01-31T10:00:00+01:00`) or a date alone (`2026-01-31`, midnight UTC).
 * Anything else is refused with one message: JavaScript's own parsing would take `1` as the year
 * 2001, `March 3` as a date in 2001 and `true` as 1970.
 */
export const dateTimeInput = timeInput([z.iso.datetime({ offset: true }), z.iso.date()], `must be ${DATE_TIME_TEXT}`);

/** `dateTimeInput` that also takes epoch milliseconds (a whole number from 0), as `Date.now()` gives. */
export const dateTimeOrEpochInput = timeInput(
  [z.iso.datetime({ offset: true }), z.iso.date(), z.number().int().min(0).max(253_402_300_799_999)],
  `must be ${DATE_TIME_TEXT}, or epoch milliseconds`,
);
