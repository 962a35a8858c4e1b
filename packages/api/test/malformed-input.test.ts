/**
 * Bad input of any shape gets a 4xx problem document, never a 500 and never a write.
 *
 * The operations come from the app's own /openapi.json, so a route added later is fuzzed without
 * touching this file. Each generated request carries at least one defect that is certain from the
 * operation's declared schemas (a wrong type, a missing field, a bad id, a bad token …), so it must be
 * refused whatever the rest of it holds. fast-check prints the seed and the shrunk request of a
 * failure; `FUZZ_SEED=<seed>` replays it.
 */
import type { Database } from "@groundwork/db";
import { testDialects } from "@groundwork/db/testing";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../src/middleware/media-type.js";
import { problemStatus } from "../src/problem.js";
import { startTestApi, type TestApi } from "./harness.js";

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
/**
 * A few seconds per property and dialect. Shrinking a failure replays batches, snapshots included:
 * it stops after the time limit with the smallest case found so far, inside the test's timeout.
 */
const runParameters = {
  numRuns: 150,
  interruptAfterTimeLimit: 40_000,
  ...(SEED !== undefined ? { seed: SEED } : {}),
};
const FUZZ_TIMEOUT = 60_000;
const BODY_LIMIT = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The OpenAPI document, read as far as the fuzzer needs it.

type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";

interface Schema {
  $ref?: string;
  type?: JsonType | JsonType[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
}

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
}

interface RawOperation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  security?: Record<string, string[]>[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface Operation {
  method: string;
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: Schema;
  secured: boolean;
}

const HTTP_METHODS = ["get", "post", "put", "patch", "delete"];

function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith("/api/v1/"))
    .flatMap(([path, item]) =>
      HTTP_METHODS.flatMap((method) => {
        const op = item[method];
        if (!op) return [];
        const params = op.parameters ?? [];
        return [
          {
            method: method.toUpperCase(),
            path,
            pathParams: params.filter((p) => p.in === "path"),
            queryParams: params.filter((p) => p.in === "query"),
            body: op.requestBody?.content?.["application/json"]?.schema,
            secured: (op.security ?? []).length > 0,
          },
        ];
      }),
    );
}

// ---------------------------------------------------------------------------------------------
// Values. A deep value is written into the JSON text as it is sent: JSON.stringify would recurse.

class Deep {
  constructor(
    readonly depth: number,
    readonly kind: "array" | "object",
  ) {}
  toString() {
    return `Deep(${this.depth} ${this.kind})`;
  }
}

function toJsonText(value: unknown): string {
  const text = JSON.stringify(value, (_key, v) => (v instanceof Deep ? `@@deep-${v.depth}-${v.kind}@@` : v));
  return text.replace(/"@@deep-(\d+)-(array|object)@@"/g, (_m, depth: string, kind: string) =>
    kind === "array"
      ? `${"[".repeat(Number(depth))}${"]".repeat(Number(depth))}`
      : `${'{"a":'.repeat(Number(depth))}1${"}".repeat(Number(depth))}`,
  );
}

/** An object with exactly these own keys, `__proto__` included (a literal would set the prototype). */
function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return o;
}

const pollution = (): [string, unknown][] => [
  ["__proto__", { polluted: true, isAdmin: true }],
  ["constructor", { prototype: { polluted: true } }],
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUL_TEXT = ["a\u0000b", "\u0000", "name\u0000--"];
const LONE_SURROGATES = ["\uD800", "abc\uDFFFdef"];
const EXTREME_DATES = ["+010000-01-01T00:00:00.000Z", "+275760-09-13T00:00:00.000Z", "-000001-01-01T00:00:00.000Z"];
/** Text no time accepts, though JavaScript's Date would take some of it ("1" as 2001, "March 3" in 2001). */
const BAD_TIMES = [
  "yesterday",
  "2024-02-30T25:61:00Z",
  "not a date",
  "1",
  "March 3",
  "2024-01-31T09:00",
  ...EXTREME_DATES,
];

/** A time: text of format date-time or date, or a choice of those (or null). */
function isTime(schema: Schema, resolve: Resolve): boolean {
  const s = resolve(schema);
  const branches = (s.anyOf ?? s.oneOf ?? [s]).map(resolve).filter((b) => b.type !== "null");
  return branches.length > 0 && branches.every((b) => b.format === "date-time" || b.format === "date");
}
/** Text that no pattern of ours takes after trimming or a change of case. */
const PATTERN_BREAKERS = ["", "!", "a b", "../..", "..%2F..", "ü", "a/b", "#", "x".repeat(300), "\u202Eabc", "😀"];

const resolver = (doc: OpenApiDocument) => {
  const resolve = (schema: Schema): Schema => {
    let s = schema;
    for (let i = 0; s.$ref && i < 20; i++) {
      const name = s.$ref.replace("#/components/schemas/", "");
      const target = doc.components?.schemas?.[name];
      if (!target) throw new Error(`unresolvable ${s.$ref}`);
      s = { ...target, ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== "$ref")) };
    }
    if (s.allOf && s.allOf.length > 0) {
      // A referenced schema with extra metadata: the parts narrow each other; merge what we read.
      const merged: Schema = { properties: {}, required: [] };
      for (const part of s.allOf.map(resolve)) {
        Object.assign(merged.properties as object, part.properties);
        merged.required?.push(...(part.required ?? []));
        const { properties: _p, required: _r, ...rest } = part;
        Object.assign(merged, rest);
      }
      return merged;
    }
    return s;
  };
  return resolve;
};

type Resolve = ReturnType<typeof resolver>;

/** The JSON types a schema accepts, or "any". */
function allowedTypes(s: Schema, resolve: Resolve): Set<JsonType> | "any" {
  const r = resolve(s);
  const branches = r.anyOf ?? r.oneOf;
  if (branches) {
    const all = new Set<JsonType>();
    for (const branch of branches) {
      const t = allowedTypes(branch, resolve);
      if (t === "any") return "any";
      for (const x of t) all.add(x);
    }
    return all;
  }
  if (r.type) return new Set(Array.isArray(r.type) ? r.type : [r.type]);
  if (r.enum) return new Set(r.enum.map(jsonTypeOf));
  if (r.const !== undefined) return new Set([jsonTypeOf(r.const)]);
  return "any";
}

function jsonTypeOf(v: unknown): JsonType {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v as JsonType;
}

/**
 * Values of a type the schema cannot take. Conservative where zod may coerce: a date field takes
 * numbers and booleans, a number field may take numeric text, so those get objects.
 */
function wrongTypedValues(s: Schema, types: Set<JsonType>): unknown[] {
  const has = (t: JsonType) => types.has(t);
  const out: unknown[] = [];
  if (!has("object")) out.push({}, { unexpected: [1, 2] }, objectOf(pollution()));
  if (!has("null")) out.push(null);
  if (s.format === "date-time" || s.format === "date") return out;
  const numeric = has("number") || has("integer");
  if (!has("string")) out.push("abc", "", "\u{1F600}");
  if (!numeric && !has("boolean")) out.push(0, -1, 1.5, 2 ** 53, 1e308);
  if (has("integer") && !has("number")) out.push(1.5, -0.25);
  if (!has("boolean") && !numeric && !has("string")) out.push(true, false);
  if (!has("array") && !numeric) out.push([], ["a", { b: 1 }]);
  return out;
}

const visibleText = (n: number) => fc.constantFrom("x", "汉", "é").map((c) => c.repeat(n));

/**
 * Values the schema certainly refuses (or, for text, the API refuses whatever the schema says).
 * Empty when it takes anything.
 */
function defects(schema: Schema, resolve: Resolve, depth = 0): fc.Arbitrary<unknown>[] {
  const s = resolve(schema);
  const types = allowedTypes(s, resolve);
  // U+0000 and lone surrogates are refused wherever a declared value may hold text.
  const alts: fc.Arbitrary<unknown>[] = [fc.constantFrom(...NUL_TEXT, ...LONE_SURROGATES)];
  if (types !== "any") {
    const wrong = wrongTypedValues(s, types);
    if (wrong.length > 0) alts.push(fc.constantFrom(...wrong));
  }
  if (isTime(s, resolve)) alts.push(fc.constantFrom(...BAD_TIMES));
  if (s.anyOf || s.oneOf || types === "any") return alts; // constraints of one branch may not bind the others
  if (types.has("string")) {
    if (s.maxLength !== undefined) {
      const max = s.maxLength;
      alts.push(fc.integer({ min: max + 1, max: max + 300 }).chain(visibleText));
    }
    if (s.minLength !== undefined && s.minLength > 0)
      alts.push(fc.integer({ min: 0, max: s.minLength - 1 }).chain(visibleText));
    if (s.pattern) {
      const re = new RegExp(s.pattern, "u");
      const breakers = PATTERN_BREAKERS.filter((v) =>
        [v, v.trim(), v.toLowerCase(), v.toUpperCase(), v.trim().toLowerCase()].every((w) => !re.test(w)),
      );
      if (breakers.length > 0) alts.push(fc.constantFrom(...breakers));
    }
    if (s.enum) {
      const taken = new Set(s.enum.map((v) => String(v).toLowerCase()));
      const outside = ["not-a-choice", "ADMINISTRATOR", "", "null"].filter((v) => !taken.has(v.toLowerCase()));
      alts.push(fc.constantFrom(...outside));
    }
    if (s.format === "uuid") alts.push(fc.constantFrom("not-a-uuid", "12345", "00000000-0000-0000-0000-00000000000g"));
    if (s.format === "email") alts.push(fc.constantFrom("not-an-email", "@", "a@"));
  }
  if (types.has("integer") || types.has("number")) {
    if (s.minimum !== undefined) alts.push(fc.constant(s.minimum - 1));
    if (s.exclusiveMinimum !== undefined) alts.push(fc.constant(s.exclusiveMinimum));
    if (s.maximum !== undefined) alts.push(fc.constant(s.maximum + 1));
    if (s.exclusiveMaximum !== undefined) alts.push(fc.constant(s.exclusiveMaximum));
  }
  if (types.size === 1 && types.has("array") && s.items) {
    const item = s.items;
    if (s.maxItems !== undefined) {
      alts.push(fc.array(plausible(item, resolve), { minLength: s.maxItems + 1, maxLength: s.maxItems + 3 }));
    }
    if (s.minItems !== undefined && s.minItems > 0) alts.push(fc.constant([]));
    if (depth < 3) {
      const inner = defects(item, resolve, depth + 1);
      alts.push(
        fc
          .tuple(fc.array(plausible(item, resolve), { maxLength: 2 }), fc.oneof(...inner))
          .map(([ok, bad]) => [...ok, bad]),
      );
    }
  }
  if (types.size === 1 && types.has("object") && s.properties && depth < 3) {
    const base = plausibleObject(s, resolve);
    for (const key of s.required ?? []) {
      alts.push(base.map((o) => objectOf(Object.entries(o).filter(([k]) => k !== key))));
    }
    if (s.additionalProperties === false) {
      const extraKey = fc.constantFrom("__proto__", "constructor", "prototype", "isAdmin", "ñandú", "");
      alts.push(
        fc
          .tuple(base, extraKey, fc.jsonValue({ maxDepth: 2 }))
          .map(([o, key, value]) => objectOf([...Object.entries(o).filter(([k]) => k !== key), [key, value]])),
      );
    }
    for (const [key, prop] of Object.entries(s.properties)) {
      const bad = defects(prop, resolve, depth + 1);
      alts.push(
        fc
          .tuple(base, fc.oneof(...bad))
          .map(([o, value]) => objectOf([...Object.entries(o).filter(([k]) => k !== key), [key, value]])),
      );
    }
  }
  return alts;
}

/** A value shaped by the schema: maybe valid, maybe not; the noise around a defect. */
function plausible(schema: Schema, resolve: Resolve, name = "", depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const branches = s.anyOf ?? s.oneOf;
  if (branches) return fc.oneof(...branches.map((b) => plausible(b, resolve, name, depth + 1)));
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  if (s.const !== undefined) return fc.constant(s.const);
  const types = s.type ? (Array.isArray(s.type) ? s.type : [s.type]) : [];
  if (types.length === 0 || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case "null":
          return fc.constant(null);
        case "boolean":
          return fc.boolean();
        case "integer":
          return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
        case "number":
          return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
        case "array":
          return fc.array(plausible(s.items ?? {}, resolve, name, depth + 1), {
            minLength: s.minItems ?? 0,
            maxLength: Math.min(s.maxItems ?? 3, 3),
          });
        case "object":
          return s.properties
            ? plausibleObject(s, resolve, depth)
            : fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }));
        default:
          return plausibleString(s, name);
      }
    }),
  );
}

function plausibleString(s: Schema, name: string): fc.Arbitrary<string> {
  if (s.format === "uuid") return fc.uuid();
  if (s.format === "date-time") {
    return fc
      .date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString());
  }
  if (s.format === "email" || /email/i.test(name)) return fc.emailAddress();
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? 40, 40));
  if (s.pattern) {
    const re = new RegExp(s.pattern, "u");
    return fc.stringMatching(re).filter((v) => v.length >= min && v.length <= (s.maxLength ?? 10_000));
  }
  return fc.string({ minLength: min, maxLength: max, unit: "grapheme" });
}

function plausibleObject(s: Schema, resolve: Resolve, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.entries(s.properties ?? {});
  const required = new Set(s.required ?? []);
  return fc
    .tuple(
      ...props.map(([key, prop]) =>
        required.has(key)
          ? plausible(prop, resolve, key, depth + 1).map((v) => [key, v] as [string, unknown])
          : fc.option(
              plausible(prop, resolve, key, depth + 1).map((v) => [key, v] as [string, unknown]),
              { nil: undefined },
            ),
      ),
    )
    .map((entries) => objectOf(entries.filter((e): e is [string, unknown] => e !== undefined)));
}

// ---------------------------------------------------------------------------------------------
// Requests.

interface FuzzRequest {
  /** What is wrong with it, for the report of a failure. */
  defects: string[];
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

interface Fixture {
  token: string;
  refreshToken: string;
  /** Real ids by the name of the path parameter they fit (`id` for any), and real keys. */
  ids: Record<string, string[]>;
  keys: string[];
}

/** A path value as it goes into the URL, and whether the route must refuse it. */
function pathValue(param: Parameter, resolve: Resolve, fixture: Fixture, bad: boolean): fc.Arbitrary<string> {
  const s = resolve(param.schema ?? {});
  if (!bad) {
    const real =
      s.format === "uuid" ? (fixture.ids[param.name] ?? fixture.ids.id ?? []) : s.pattern ? fixture.keys : [];
    const generated = plausible(s, resolve, param.name).map((v) => encodeURIComponent(String(v)));
    return real.length > 0 ? fc.oneof(fc.constantFrom(...real), generated) : generated;
  }
  // Certain whatever the schema: an empty segment matches no route, and U+0000 is refused.
  const always = fc.constantFrom("", "%00", "a%00b");
  const raw: string[] = ["..%2F..%2Fhealth", "%2e%2e%2f", "%ZZ", "not-a-uuid", "x".repeat(3000), "%F0%9F%98%80", " "];
  const violates = (encoded: string) => {
    let v: string;
    try {
      v = decodeURIComponent(encoded);
    } catch {
      v = encoded;
    }
    if (s.format === "uuid" && !UUID.test(v)) return true;
    if (s.pattern && !new RegExp(s.pattern, "u").test(v.trim())) return true;
    if (s.maxLength !== undefined && v.length > s.maxLength) return true;
    if (s.enum && !s.enum.includes(v)) return true;
    return false;
  };
  const certain = raw.filter(violates);
  return certain.length > 0 ? fc.oneof(always, fc.constantFrom(...certain)) : always;
}

/** Query values the parameter certainly refuses (U+0000 at least, which every text refuses). */
function badQueryValues(param: Parameter, resolve: Resolve): string[] {
  const s = resolve(param.schema ?? {});
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  const out = ["a\u0000b"];
  if (param.name === "cursor") out.push("garbage", "%%%", Buffer.from('{"x":1}').toString("base64url"));
  if (param.name === "sort")
    out.push("unknownField", "-nope,createdAt", "passwordHash", "__proto__", "id;drop table users");
  if (type === "integer" || type === "number") {
    const candidates = ["-1", "abc", "100000", "1.5", "", "1e9", "Infinity", "NaN", "0", "2e308"];
    out.push(
      ...candidates.filter((v) => {
        const n = Number(v);
        if (!Number.isFinite(n)) return true;
        if (type === "integer" && !Number.isInteger(n)) return true;
        return (s.minimum !== undefined && n < s.minimum) || (s.maximum !== undefined && n > s.maximum);
      }),
    );
  }
  if (isTime(s, resolve)) out.push(...BAD_TIMES);
  if (type === "string") {
    if (s.enum) out.push(...["maybe", "TRUE!", "superuser"].filter((v) => !s.enum?.includes(v)));
    if (s.format === "uuid") out.push("not-a-uuid", "1");
    if (s.maxLength !== undefined) out.push("q".repeat(s.maxLength + 1));
    if (s.minLength !== undefined && s.minLength > 0) out.push("");
    if (s.pattern) out.push(...PATTERN_BREAKERS.filter((v) => !new RegExp(s.pattern as string, "u").test(v.trim())));
  }
  return out;
}

function badAuthorizations(fixture: Fixture): string[] {
  const [header = "", payload = "", signature = ""] = fixture.token.split(".");
  const flipped = `${signature.slice(0, -2)}${signature.endsWith("AA") ? "BB" : "AA"}`;
  const none = Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url");
  return [
    "",
    " ",
    "Bearer",
    "Bearer ",
    "Bearer a b",
    "Basic dXNlcjpwYXNzd29yZA==",
    "Token abc",
    `Bearer ${header}.${payload}.${flipped}`,
    `Bearer ${none}.${payload}.`,
    `Bearer ${header}.${payload}`,
    `Bearer ${fixture.token}x`,
    `Bearer ${fixture.refreshToken}`,
    "Bearer gwt_forged",
    "Bearer not.a.jwt",
    `Bearer ${"a".repeat(4000)}`,
    "Bearer é",
  ];
}

type Part = "auth" | "path" | "query" | "body";
const PRIMARY_WEIGHT: Record<Part, number> = { auth: 1, path: 2, query: 2, body: 4 };
/** Another part wrong as well, now and then: most requests are wrong in one way only. */
const sometimes = fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

/** Requests to `op`, each certainly wrong in at least one part. */
function malformedRequests(op: Operation, resolve: Resolve, fixture: Fixture, baseUrl: string) {
  // A public operation ignores the Authorization header: a bad one is no defect there.
  const available: Part[] = op.secured ? ["auth"] : [];
  if (op.pathParams.length > 0) available.push("path");
  const queryDefects = op.queryParams.map((p) => [p, badQueryValues(p, resolve)] as const);
  if (queryDefects.length > 0) available.push("query");
  if (op.body) available.push("body");

  const bodyDefect: fc.Arbitrary<{ contentType?: string; body: string; what: string }> = op.body
    ? fc.oneof(
        {
          weight: 6,
          arbitrary: fc.oneof(...defects(op.body, resolve)).map((v) => ({ body: toJsonText(v), what: "invalid body" })),
        },
        fc
          .constantFrom("{", "[1,2", "{'a':1}", "nope", '{"a":}', "{}garbage", "NaN", "undefined", '"\\x"', "\u0000")
          .map((body) => ({ body, what: "not JSON" })),
        fc
          .tuple(
            fc.constantFrom(
              "text/plain",
              "application/x-www-form-urlencoded",
              "multipart/form-data; boundary=x",
              "text/json",
              "application/xml",
            ),
            plausible(op.body, resolve),
          )
          .map(([contentType, v]) => ({ contentType, body: toJsonText(v), what: `sent as ${contentType}` })),
        fc
          .tuple(
            plausibleObject(resolve(op.body), resolve),
            fc.integer({ min: MAX_JSON_DEPTH + 1, max: 20_000 }),
            fc.boolean(),
          )
          .map(([o, depth, arrays]) => ({
            body: toJsonText(
              objectOf([...Object.entries(o), ["nested", new Deep(depth, arrays ? "array" : "object")]]),
            ),
            what: `nested ${depth} deep`,
          })),
        fc.integer({ min: 1, max: 4096 }).map((extra) => ({
          body: JSON.stringify({ padding: "p".repeat(BODY_LIMIT + extra) }),
          what: "over the body limit",
        })),
      )
    : fc.constant({ body: "", what: "" });

  return fc
    .tuple(
      fc.oneof(...available.map((part) => ({ weight: PRIMARY_WEIGHT[part], arbitrary: fc.constant(part) }))),
      fc.record({ auth: sometimes, path: sometimes, query: sometimes, body: sometimes }),
    )
    .chain(([primary, extra]) => {
      const bad = (part: Part) => available.includes(part) && (part === primary || extra[part]);
      const authArb: fc.Arbitrary<{ header?: string; what?: string }> = bad("auth")
        ? fc.oneof(
            fc.constantFrom(...badAuthorizations(fixture)).map((header) => ({ header, what: "bad Authorization" })),
            ...(op.secured ? [fc.constant({ what: "no Authorization" })] : []),
          )
        : fc.constantFrom({ header: `Bearer ${fixture.token}` }, ...(op.secured ? [] : [{}]));
      const pathArb = fc.tuple(
        ...op.pathParams.map((p) => pathValue(p, resolve, fixture, false).map((v) => [p.name, v] as const)),
      );
      const badPathArb =
        op.pathParams.length > 0 && bad("path")
          ? fc
              .constantFrom(...op.pathParams)
              .chain((p) => pathValue(p, resolve, fixture, true).map((v) => [p.name, v] as const))
          : fc.constant(undefined);
      const queryArb = fc.array(
        fc.tuple(fc.constantFrom("__proto__", "constructor", "foo", "q", "include"), fc.string({ maxLength: 10 })),
        { maxLength: 3 },
      );
      const badQueryArb =
        queryDefects.length > 0 && bad("query")
          ? fc.oneof(
              ...queryDefects.map(([p, values]) =>
                fc.constantFrom(...values).map((v) => [p.name, v] as [string, string]),
              ),
            )
          : fc.constant(undefined);
      const bodyArb = op.body
        ? bad("body")
          ? bodyDefect
          : plausible(op.body, resolve).map((v) => ({ contentType: undefined, body: toJsonText(v), what: "" }))
        : fc.constant(undefined);
      const noise = fc.record({
        requestId: fc.option(fc.constantFrom("fuzz-1", "has space", "x".repeat(300)), { nil: undefined }),
        ifMatch: fc.option(fc.constantFrom('"1"', "*", "garbage", 'W/"999999999"'), { nil: undefined }),
      });
      return fc
        .tuple(authArb, pathArb, badPathArb, queryArb, badQueryArb, bodyArb, noise)
        .map(([auth, pathValues, badPath, query, badQuery, body, extras]): FuzzRequest => {
          const values = new Map<string, string>(pathValues);
          if (badPath) values.set(badPath[0], badPath[1]);
          const rawPath = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => values.get(name) ?? "");
          const params = new URLSearchParams(query.filter(([k]) => !op.queryParams.some((p) => p.name === k)));
          if (badQuery) params.set(badQuery[0], badQuery[1]);
          const search = params.toString();
          const headers: Record<string, string> = {};
          if (auth.header !== undefined) headers.Authorization = auth.header;
          if (extras.requestId) headers["X-Request-Id"] = extras.requestId;
          if (extras.ifMatch) headers["If-Match"] = extras.ifMatch;
          if (body) headers["Content-Type"] = body.contentType ?? "application/json";
          const what = [
            auth.what,
            badPath ? `path ${badPath[0]}=${badPath[1].slice(0, 40)}` : undefined,
            badQuery ? `query ${badQuery[0]}=${badQuery[1].slice(0, 40)}` : undefined,
            body?.what || undefined,
          ].filter((w): w is string => Boolean(w));
          return {
            defects: what,
            method: op.method,
            url: `${baseUrl}${rawPath}${search ? `?${search}` : ""}`,
            headers,
            ...(body ? { body: body.body } : {}),
          };
        });
    });
}

// ---------------------------------------------------------------------------------------------
// Well-formed requests with hostile values: they may be taken, but never with a 5xx.

const HOSTILE_TEXT = [
  ...NUL_TEXT,
  ...LONE_SURROGATES,
  "\u202Eevil\u202C",
  "zero\u200Bwidth",
  "'; drop table users; --",
  '" or 1=1 --',
  "%00%27",
  "\u0024{jndi:ldap://x/a}",
  "<script>alert(1)</script>",
  "\\",
  "\r\n\t",
  "Z\u0337\u0322a\u0338l\u0335g\u0336o",
  "\u{1F600}\u{1F469}\u200D\u{1F4BB}",
  "ﷺ",
  "NULL",
];

function hostile(schema: Schema, resolve: Resolve, name = "", depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const branches = s.anyOf ?? s.oneOf;
  if (branches) return fc.oneof(...branches.map((b) => hostile(b, resolve, name, depth + 1)));
  const types = s.type ? (Array.isArray(s.type) ? s.type : [s.type]) : [];
  if (s.enum || s.const !== undefined || depth > 4) return plausible(s, resolve, name, depth);
  if (types.length === 0) {
    // Any JSON: deep (within the limit and past it), odd keys, big.
    return fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.integer({ min: 1, max: MAX_JSON_DEPTH + 50 }).map((d) => new Deep(d, d % 2 ? "array" : "object")),
      fc.constantFrom(...HOSTILE_TEXT).map((key) => objectOf([[key, key]])),
      fc.constant(objectOf(pollution())),
      fc.constant(Array.from({ length: 5000 }, (_, i) => i)),
    );
  }
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      if (type === "string") {
        if (s.format === "date-time" || s.format === "date") {
          return fc.oneof(
            plausibleString(s, name),
            fc.constantFrom("0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", ...EXTREME_DATES),
          );
        }
        if (s.format || s.pattern) return plausibleString(s, name);
        const max = s.maxLength ?? 10_000;
        return fc.oneof(
          plausibleString(s, name),
          {
            weight: 3,
            arbitrary: fc
              .tuple(plausibleString(s, name), fc.constantFrom(...HOSTILE_TEXT))
              .map(([ok, bad]) => `${ok}${bad}`.slice(0, max).padEnd(s.minLength ?? 0, "x")),
          },
          fc.constant("\u{1F600}".repeat(Math.ceil(max / 2)).slice(0, max)),
        );
      }
      if (type === "integer" || type === "number") {
        const extremes = [s.minimum, s.maximum, 0, -0, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 - 1, 2 ** 63];
        const inRange = extremes.filter(
          (n): n is number =>
            n !== undefined &&
            (s.minimum === undefined || n >= s.minimum) &&
            (s.maximum === undefined || n <= s.maximum),
        );
        return fc.oneof(
          plausible(s, resolve, name, depth),
          fc.constantFrom(...inRange, ...(type === "number" ? [1e308, 5e-324] : [])),
        );
      }
      if (type === "array") {
        return fc.array(hostile(s.items ?? {}, resolve, name, depth + 1), {
          minLength: s.minItems ?? 0,
          maxLength: Math.min(s.maxItems ?? 3, 3),
        });
      }
      if (type === "object" && s.properties) {
        const props = Object.entries(s.properties);
        const required = new Set(s.required ?? []);
        return fc
          .tuple(
            ...props.map(([key, prop]) => {
              const value = hostile(prop, resolve, key, depth + 1).map((v) => [key, v] as [string, unknown]);
              return required.has(key) ? value : fc.option(value, { nil: undefined });
            }),
          )
          .map((entries) => objectOf(entries.filter((e): e is [string, unknown] => e !== undefined)));
      }
      return plausible({ ...s, type }, resolve, name, depth);
    }),
  );
}

/** Well-formed requests to `op` as the fuzzer, with hostile values where the schema allows them. */
function hostileRequests(op: Operation, resolve: Resolve, fixture: Fixture, baseUrl: string) {
  const path = fc.tuple(
    ...op.pathParams.map((p) => pathValue(p, resolve, fixture, false).map((v) => [p.name, v] as const)),
  );
  const query = fc.tuple(
    ...op.queryParams.map((p) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: hostile(p.schema ?? {}, resolve, p.name).map((v) => [p.name, String(v)] as [string, string]),
        },
      ),
    ),
  );
  const body = op.body ? hostile(op.body, resolve).map(toJsonText) : fc.constant(undefined);
  return fc.tuple(path, query, body).map(([pathValues, queryValues, text]): FuzzRequest => {
    const values = new Map<string, string>(pathValues);
    const params = new URLSearchParams(queryValues.filter((q): q is [string, string] => q !== undefined));
    const search = params.toString();
    return {
      defects: [],
      method: op.method,
      url: `${baseUrl}${op.path.replace(/\{(\w+)\}/g, (_m, name: string) => values.get(name) ?? "")}${search ? `?${search}` : ""}`,
      headers: {
        Authorization: `Bearer ${fixture.token}`,
        ...(text !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      ...(text !== undefined ? { body: text } : {}),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// What a run checks.

const codeOfStatus = new Map<number, string>(Object.entries(problemStatus).map(([code, status]) => [status, code]));

async function send(
  request: FuzzRequest,
): Promise<{ status: number; body: string; contentType: string | null; requestId: string | null }> {
  const res = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  return {
    status: res.status,
    body: await res.text(),
    contentType: res.headers.get("content-type"),
    requestId: res.headers.get("x-request-id"),
  };
}

function describeRequest(r: FuzzRequest): string {
  const body = r.body === undefined ? "" : ` body(${r.body.length}): ${r.body.slice(0, 200)}`;
  return `${r.method} ${r.url.slice(0, 300)} [${r.defects.join("; ")}] headers ${JSON.stringify(r.headers).slice(0, 200)}${body}`;
}

/** Refused as a problem document whose code matches its 4xx status. */
function expectRefused(request: FuzzRequest, res: Awaited<ReturnType<typeof send>>): void {
  const label = `${describeRequest(request)}\n→ ${res.status} ${res.body.slice(0, 500)}`;
  if (res.status < 400 || res.status >= 500) throw new Error(`expected a 4xx: ${label}`);
  if (res.contentType !== "application/problem+json") throw new Error(`not a problem document: ${label}`);
  if (!res.requestId) throw new Error(`no X-Request-Id: ${label}`);
  const problem = JSON.parse(res.body) as {
    status?: unknown;
    code?: unknown;
    type?: unknown;
    title?: unknown;
    detail?: unknown;
  };
  if (problem.status !== res.status || codeOfStatus.get(res.status) !== problem.code) {
    throw new Error(`code ${String(problem.code)} does not match status ${res.status}: ${label}`);
  }
  if (typeof problem.type !== "string" || typeof problem.title !== "string" || typeof problem.detail !== "string") {
    throw new Error(`incomplete problem document: ${label}`);
  }
}

function expectUnpolluted(): void {
  const probe = {} as Record<string, unknown>;
  if (probe.polluted !== undefined || probe.isAdmin !== undefined || Object.keys(Object.prototype).length > 0) {
    throw new Error("Object.prototype was polluted");
  }
}

/** Every row of every table, as sorted text per table. */
async function snapshot(db: Database): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of [...db.shared.tables.keys()].sort()) {
    const rows = await db.execute(sql`select * from ${sql.identifier(name)}`);
    out[name] = rows.map((row) => JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).sort();
  }
  return out;
}

function changedTables(before: Record<string, string[]>, after: Record<string, string[]>): string[] {
  return Object.keys({ ...before, ...after }).filter(
    (name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]),
  );
}

// ---------------------------------------------------------------------------------------------

describe.each(testDialects())("malformed input on $name", (dialect) => {
  let api: TestApi;
  let fixture: Fixture;
  let operations: Operation[];
  let resolve: Resolve;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    api = await startTestApi(dialect);
    const me = await api.signUp("Fuzzer");
    const other = await api.signUp("Bystander");
    const auth = { Authorization: `Bearer ${me.accessToken}`, "Content-Type": "application/json" };
    const put = (token: string, key: string, value: unknown) =>
      fetch(`${api.url}/api/v1/me/preferences/${key}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ value }),
      });
    expect((await put(me.accessToken, "theme", { mode: "dark" })).status).toBe(200);
    expect((await put(other.accessToken, "theme", "light")).status).toBe(200);
    const created = await fetch(`${api.url}/api/v1/me/tokens`, {
      method: "POST",
      headers: auth,
      body: '{"name":"ci"}',
    });
    expect(created.status).toBe(201);
    const tokenId = ((await created.json()) as { id: string }).id;
    const ids: Record<string, string[]> = { id: [tokenId], userId: [me.user.id, other.user.id] };

    const res = await fetch(`${api.url}/openapi.json`);
    const text = await res.text();
    expect(res.status, text.slice(0, 500)).toBe(200);
    doc = JSON.parse(text) as OpenApiDocument;
    operations = operationsOf(doc);
    resolve = resolver(doc);

    // Things that exist, when the routes to make them do: a defect next to a real id must still be refused.
    if (doc.paths["/api/v1/teams"]?.post) {
      const team = await fetch(`${api.url}/api/v1/teams`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ name: "Fuzz team", slug: "fuzz-team" }),
      });
      expect(team.status).toBe(201);
      ids.teamId = [((await team.json()) as { id: string }).id];
    }
    fixture = { token: me.accessToken, refreshToken: me.refreshToken, ids, keys: ["theme"] };
  });
  afterAll(() => api?.close());

  it("reads every /api/v1 operation from /openapi.json", () => {
    expect(operations.length).toBeGreaterThanOrEqual(13);
    expect(operations.map((op) => `${op.method} ${op.path}`)).toEqual(
      expect.arrayContaining(["POST /api/v1/auth/signup", "PATCH /api/v1/me", "DELETE /api/v1/me/tokens/{id}"]),
    );
  });

  it(
    "refuses malformed requests to every operation with a 4xx problem, and writes nothing",
    async () => {
      const perOperation = operations.map((op) => malformedRequests(op, resolve, fixture, api.url));
      const batch = fc.array(fc.oneof(...perOperation), { minLength: 1, maxLength: 8 });
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(batch, async (requests) => {
          const before = await snapshot(api.db);
          for (const request of requests) {
            expectRefused(request, await send(request));
            sent++;
          }
          expectUnpolluted();
          const changed = changedTables(before, await snapshot(api.db));
          if (changed.length > 0) {
            throw new Error(`tables changed: ${changed.join(", ")} after\n${requests.map(describeRequest).join("\n")}`);
          }
        }),
        runParameters,
      );
      expect(sent).toBeGreaterThan(150);
    },
    FUZZ_TIMEOUT,
  );

  describe("values no database stores as given", () => {
    const post = (path: string, body: string, method = "POST") =>
      fetch(`${api.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${fixture.token}`, "Content-Type": "application/json" },
        body,
      });
    const refused = async (res: Response, errorPath?: string) => {
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = JSON.parse(text) as { code: string; errors?: { path: string }[] };
      expect(problem.code).toBe("validation_failed");
      if (errorPath) expect(problem.errors?.map((e) => e.path)).toContain(errorPath);
    };

    it(`takes JSON nested ${MAX_JSON_DEPTH} levels deep and refuses deeper, however deep`, async () => {
      const before = await snapshot(api.db);
      // The body object is one level; the value holds the rest.
      const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
      await refused(await post("/api/v1/me/preferences/deep", `{"value":${nested(MAX_JSON_DEPTH)}}`, "PUT"));
      for (const depth of [5_000, 100_000]) {
        await refused(await post("/api/v1/me/preferences/deep", `{"value":${nested(depth)}}`, "PUT"));
        await refused(
          await post("/api/v1/me/tokens", `{"name":"x","extra":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`),
        );
      }
      expect(changedTables(before, await snapshot(api.db))).toEqual([]);
      const ok = await post("/api/v1/me/preferences/deep", `{"value":${nested(MAX_JSON_DEPTH - 1)}}`, "PUT");
      expect(ok.status, await ok.text()).toBe(200);
    });

    it("refuses U+0000 and lone surrogates in any text, keys included", async () => {
      const before = await snapshot(api.db);
      await refused(
        await fetch(`${api.url}/api/v1/auth/signup`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email: "nul@example.com", password: "long enough", name: "a\u0000b" }),
        }),
        "body.name",
      );
      await refused(await post("/api/v1/me/tokens", JSON.stringify({ name: "\uD800" })), "body.name");
      await refused(await post("/api/v1/me/tokens", '{"name":"lone \\udc00 escaped"}'), "body.name");
      await refused(await post("/api/v1/me", JSON.stringify({ name: "x\u0000" }), "PATCH"), "body.name");
      await refused(await post("/api/v1/me/preferences/p", JSON.stringify({ value: ["ok", { k: "\u0000" }] }), "PUT"));
      await refused(await post("/api/v1/me/preferences/p", JSON.stringify({ value: { "k\u0000": 1 } }), "PUT"));
      expect(changedTables(before, await snapshot(api.db))).toEqual([]);
      // Emoji are surrogate pairs, not lone ones.
      const ok = await post("/api/v1/me/preferences/p", JSON.stringify({ value: "\u{1F600} ok" }), "PUT");
      expect(ok.status, await ok.text()).toBe(200);
    });

    it("refuses numbers too large for JSON, however deep, where they would be stored as null", async () => {
      const before = await snapshot(api.db);
      await refused(await post("/api/v1/me/preferences/big", '{"value":{"n":1e400}}', "PUT"), "body.value.n");
      await refused(await post("/api/v1/me/preferences/big", '{"value":[1,[-1e999]]}', "PUT"), "body.value.1.0");
      expect(changedTables(before, await snapshot(api.db))).toEqual([]);
      const ok = await post("/api/v1/me/preferences/big", '{"value":{"n":1e300}}', "PUT");
      expect(ok.status, await ok.text()).toBe(200);
    });

    it("refuses timestamps outside the years 1 to 9999", async () => {
      const before = await snapshot(api.db);
      for (const expiresAt of ["+010000-01-01T00:00:00.000Z", "+275760-09-13T00:00:00.000Z", 8.64e15]) {
        await refused(await post("/api/v1/me/tokens", JSON.stringify({ name: "far", expiresAt })), "body.expiresAt");
      }
      expect(changedTables(before, await snapshot(api.db))).toEqual([]);
      const ok = await post("/api/v1/me/tokens", JSON.stringify({ name: "far", expiresAt: "9999-12-31T00:00:00Z" }));
      expect(ok.status, await ok.text()).toBe(201);
    });

    it("names the query parameter a list refuses, and what it takes", async () => {
      const get = async (path: string) => {
        const res = await fetch(`${api.url}${path}`, { headers: { Authorization: `Bearer ${fixture.token}` } });
        const text = await res.text();
        expect(res.status, text).toBe(400);
        return (JSON.parse(text) as { errors: unknown }).errors;
      };
      expect(await get(`/api/v1/teams/${fixture.ids.teamId?.[0]}/projects?sort=name,-bogus`)).toEqual([
        { path: "query.sort", message: 'cannot sort by "-bogus"; use name, createdAt, updatedAt' },
      ]);
      // Found by the service rather than the route's validators, and named the same way.
      expect(await get(`/api/v1/teams/${fixture.ids.teamId?.[0]}/projects?cursor=garbage`)).toEqual([
        { path: "query.cursor", message: "invalid or expired cursor" },
      ]);
      expect(await get("/api/v1/search?q=x&types=ticket,nope")).toEqual([
        { path: "query.types", message: "comma-separated, each one of ticket, task, prompt, file, message" },
      ]);
    });

    it("takes times as ISO 8601 only, in bodies and queries, and says so", async () => {
      const notATime =
        "must be a date and time with its offset, such as 2026-01-31T09:00:00Z, or a date, such as 2026-01-31";
      const expectNotATime = async (res: Response, path: string) => {
        const text = await res.text();
        expect(res.status, text).toBe(400);
        expect((JSON.parse(text) as { errors: unknown }).errors).toEqual([{ path, message: notATime }]);
      };
      const before = await snapshot(api.db);
      // JavaScript's own parsing takes "1" and "March 3" as dates in 2001, and 5 or true as 1970.
      for (const expiresAt of ["1", "March 3 2030", "2030-02-30", "2030-01-31T09:00", "", 5, true, {}]) {
        await expectNotATime(
          await post("/api/v1/me/tokens", JSON.stringify({ name: "t", expiresAt })),
          "body.expiresAt",
        );
      }
      expect(changedTables(before, await snapshot(api.db))).toEqual([]);
      const auditLogs = (query: string) =>
        fetch(`${api.url}/api/v1/teams/${fixture.ids.teamId?.[0]}/audit-logs?${query}`, {
          headers: { Authorization: `Bearer ${fixture.token}` },
        });
      for (const from of ["yesterday", "1", "2026-13-01", "1700000000000"]) {
        await expectNotATime(await auditLogs(`from=${encodeURIComponent(from)}`), "query.from");
      }
      for (const from of ["2026-01-31", "2026-01-31T09:00:00Z", "2026-01-31T10:00:00.5+01:00"]) {
        const res = await auditLogs(`from=${encodeURIComponent(from)}`);
        expect(res.status, await res.text()).toBe(200);
      }
      const ok = await post("/api/v1/me/tokens", JSON.stringify({ name: "t", expiresAt: "2099-01-31" }));
      expect(await ok.json()).toMatchObject({ expiresAt: "2099-01-31T00:00:00.000Z" });
    });
  });

  it(
    "answers well-formed requests with hostile values without a 5xx, and writes nothing when it refuses",
    async () => {
      // Only where there is input beyond the path: a DELETE of a real id would just delete it.
      const withInput = operations.filter((op) => op.body || op.queryParams.length > 0);
      const perOperation = withInput.map((op) => hostileRequests(op, resolve, fixture, api.url));
      await fc.assert(
        fc.asyncProperty(fc.oneof(...perOperation), async (request) => {
          const before = await snapshot(api.db);
          const res = await send(request);
          if (res.status >= 500)
            throw new Error(`${describeRequest(request)}\n→ ${res.status} ${res.body.slice(0, 300)}`);
          if (res.status >= 400) {
            expectRefused(request, res);
            const changed = changedTables(before, await snapshot(api.db));
            if (changed.length > 0) {
              throw new Error(
                `refused with ${res.status}, yet ${changed.join(", ")} changed: ${describeRequest(request)}`,
              );
            }
          }
          expectUnpolluted();
        }),
        runParameters,
      );
    },
    FUZZ_TIMEOUT,
  );
});
