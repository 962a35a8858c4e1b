import { type AddressInfo, connect } from "node:net";
import { gzipSync } from "node:zlib";
import { type Database, Migrator } from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { Auth, migrationsDir, tables } from "@groundwork/domain";
import { serve } from "@hono/node-server";
import { createRoute, z } from "@hono/zod-openapi";
import { Validator } from "@seriousme/openapi-schema-validator";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../src/app.js";
import type { AppDependencies } from "../src/env.js";
import { startTestApi, type TestApi } from "./harness.js";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

interface Operation {
  method: string;
  path: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Omit<Operation, "method" | "path">>>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
}

function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = item[method];
      return op ? [{ ...op, method: method.toUpperCase(), path }] : [];
    }),
  );
}

/** Text that must never reach a client: stack frames, source files, SQL, driver names. */
const INTERNALS =
  /\bat [\w.<>]+ \(|node_modules|\.[tj]s:\d+|\bselect\b|\binsert\b|\bfrom "|no such table|relation "|sqlite|postgres|pglite|drizzle|kaboom/i;

/** Asserts an RFC 9457 problem document with the stable code, and returns it. */
async function expectProblem(res: Response, status: number, code: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const requestId = res.headers.get("x-request-id");
  expect(requestId).toBeTruthy();
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({
    type: `https://groundwork.dev/problems/${code}`,
    title: expect.any(String),
    status,
    detail: expect.stringMatching(/\S/),
    code,
  });
  if ("requestId" in body) expect(body.requestId).toBe(requestId);
  expect(text).not.toMatch(INTERNALS);
  return body as { detail: string; errors?: { path: string; message: string }[]; fields?: string[] };
}

interface Served {
  url: string;
  close(): Promise<void>;
}

/** Serves an app on a loopback port chosen by the system. */
async function serveApp(app: App): Promise<Served> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    s.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      }),
  };
}

const jsonPost = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...headers },
  body,
});

describe.each(testDialects())("HTTP conventions on $name", (dialect) => {
  let api: TestApi;
  let token: string;
  const call = (path: string, init: RequestInit = {}) => fetch(`${api.url}${path}`, init);
  const authed = (headers: Record<string, string> = {}) => ({ Authorization: `Bearer ${token}`, ...headers });

  beforeAll(async () => {
    api = await startTestApi(dialect);
    token = (await api.signUp("Conventions")).accessToken;
  });
  afterAll(() => api?.close());

  describe("the OpenAPI document", () => {
    let doc: OpenApiDocument;
    let operations: Operation[];
    beforeAll(async () => {
      const res = await call("/openapi.json");
      const text = await res.text();
      expect(res.status, text).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      doc = JSON.parse(text) as OpenApiDocument;
      operations = operationsOf(doc);
    });

    it("is OpenAPI 3.1 and passes the OpenAPI schema validator", async () => {
      expect(doc.openapi).toMatch(/^3\.1\./);
      const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
      if (!result.valid) console.error("OpenAPI validation errors:", JSON.stringify(result.errors, null, 2));
      expect(result.valid).toBe(true);
      // The routes we know of are there, so a document that lost its routes cannot pass.
      expect(operations.map((op) => `${op.method} ${op.path}`)).toEqual(
        expect.arrayContaining([
          "GET /health",
          "GET /ready",
          "POST /api/v1/auth/signup",
          "GET /api/v1/me",
          "DELETE /api/v1/me/tokens/{id}",
        ]),
      );
    });

    it("declares bearer security on every /api/v1 operation except /auth/* and the public share view", () => {
      expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
      const api1 = operations.filter((op) => op.path.startsWith("/api/v1/"));
      expect(api1.length).toBeGreaterThan(5);
      for (const op of api1) {
        const label = `${op.method} ${op.path}`;
        const isPublic = op.path.startsWith("/api/v1/auth/") || op.path.startsWith("/api/v1/shared/");
        if (isPublic) expect(op.security ?? [], label).toEqual([]);
        else expect(op.security, label).toEqual([{ bearerAuth: [] }]);
      }
    });

    it("documents problem responses on every /api/v1 operation (and 401 on the secured ones)", () => {
      for (const op of operations.filter((o) => o.path.startsWith("/api/v1/") || o.path === "/ready")) {
        const label = `${op.method} ${op.path}`;
        const problems = Object.entries(op.responses).filter(([, r]) => r.content?.["application/problem+json"]);
        expect(problems.length, `${label} documents no problem response`).toBeGreaterThan(0);
        for (const [status, response] of problems) {
          expect(Number(status), label).toBeGreaterThanOrEqual(400);
          expect(response.content?.["application/problem+json"]?.schema?.$ref, label).toBe(
            "#/components/schemas/Problem",
          );
        }
        if (op.path.startsWith("/api/v1/")) {
          expect(Object.keys(op.responses), label).toEqual(expect.arrayContaining(["400", "500"]));
          if (op.security?.length) expect(Object.keys(op.responses), label).toContain("401");
        }
      }
    });
  });

  it("answers requests Node cannot take with problem documents too: oversized headers, broken HTTP", async () => {
    // Long filter URLs (20 KB here) reach the API, past Node's default 16 KB limit.
    const long = await call(`/api/v1/me/tokens?pad=${"x".repeat(20_000)}`, { headers: authed() });
    expect(long.status).toBe(200);

    const huge = await call(`/api/v1/me?pad=${"x".repeat(70_000)}`, { headers: authed() });
    expect(huge.status).toBe(431);
    expect(huge.headers.get("content-type")).toBe("application/problem+json");
    expect(huge.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await huge.json()).toMatchObject({ status: 431, code: "headers_too_large" });

    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(api.server.port, "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
      let answer = "";
      socket.on("data", (chunk) => {
        answer += chunk.toString();
      });
      socket.on("end", () => resolve(answer));
      socket.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/Content-Type: application\/problem\+json/);
    expect(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4))).toMatchObject({ code: "validation_failed" });
    // The server goes on serving.
    expect((await call("/health")).status).toBe(200);
  });

  it("serves the interactive reference at /docs, loading /openapi.json", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<html/i);
    expect(html).toContain("/openapi.json");
  });

  it("answers /health with ok and /ready with ready", async () => {
    const health = await call("/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await call("/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("answers /ready with a 503 problem while migrations are not current", async () => {
    const app = createApp({
      db: api.db,
      auth: await Auth.create(api.db),
      logger: pino({ level: "silent" }),
      migrationsCurrent: async () => false,
    });
    const served = await serveApp(app);
    try {
      const res = await fetch(`${served.url}/ready`);
      const problem = await expectProblem(res, 503, "unavailable");
      expect(problem.detail).toMatch(/migrat/);
      // /health only says the process is up.
      expect((await fetch(`${served.url}/health`)).status).toBe(200);
    } finally {
      await served.close();
    }
  });

  describe("X-Request-Id", () => {
    it("is on every response: success, no content, HEAD, problem, unknown route, docs", async () => {
      const noContent = await call("/api/v1/auth/logout", jsonPost(JSON.stringify({ refreshToken: "unknown" })));
      expect(noContent.status).toBe(204);
      const head = await call("/api/v1/me", { method: "HEAD", headers: authed() });
      expect(head.status).toBe(200);
      const responses = [
        noContent,
        head,
        await call("/health"),
        await call("/api/v1/me", { headers: authed() }),
        await call("/api/v1/me"),
        await call("/api/v1/auth/login", jsonPost("{")),
        await call("/no/such/route"),
        await call("/openapi.json"),
        await call("/docs"),
      ];
      const ids = responses.map((res) => res.headers.get("x-request-id"));
      for (const [i, id] of ids.entries()) expect(id, `response ${i}`).toMatch(/^[\w-]{8,}$/);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("echoes a valid incoming id, and replaces one that is not", async () => {
      const echoed = await call("/api/v1/me", { headers: { "X-Request-Id": "trace-42_abc" } });
      expect(echoed.headers.get("x-request-id")).toBe("trace-42_abc");
      expect(((await echoed.json()) as { requestId: string }).requestId).toBe("trace-42_abc");
      for (const bad of ["has spaces in it", "semi;colon", "x".repeat(300)]) {
        const res = await call("/health", { headers: { "X-Request-Id": bad } });
        const id = res.headers.get("x-request-id");
        expect(id).toBeTruthy();
        expect(id).not.toBe(bad);
      }
    });

    it("keeps an id as long as the audit trail holds, and replaces a longer one, so a write never fails on it", async () => {
      for (const [length, kept] of [
        [128, true],
        [129, false],
      ] as const) {
        const given = "r".repeat(length);
        const res = await call("/api/v1/teams", {
          ...jsonPost(JSON.stringify({ name: `Request id ${length}`, slug: `request-id-${length}` })),
          headers: authed({ "Content-Type": "application/json", "X-Request-Id": given }),
        });
        expect(res.status, await res.clone().text()).toBe(201);
        const id = res.headers.get("x-request-id");
        if (kept) expect(id).toBe(given);
        else expect(id).toMatch(/^[0-9a-f-]{36}$/);
        const team = (await res.json()) as { id: string };
        const logs = await call(`/api/v1/teams/${team.id}/audit-logs`, { headers: authed() });
        const { data } = (await logs.json()) as { data: { action: string; requestId: string | null }[] };
        expect(data.find((log) => log.action === "team.created")?.requestId).toBe(id);
      }
    });
  });

  describe("problem documents", () => {
    it("validation_failed 400 names each invalid field in `errors`", async () => {
      const res = await call("/api/v1/me", {
        method: "PATCH",
        headers: authed({ "Content-Type": "application/json" }),
        body: JSON.stringify({ name: 42, extra: true }),
      });
      const problem = await expectProblem(res, 400, "validation_failed");
      expect(problem.errors).toEqual(
        expect.arrayContaining([{ path: "body.name", message: expect.stringMatching(/\S/) }]),
      );
      for (const error of problem.errors ?? [])
        expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });

      const param = await expectProblem(
        await call("/api/v1/me/tokens/not-a-uuid", { method: "DELETE", headers: authed() }),
        400,
        "validation_failed",
      );
      expect(param.errors).toEqual([{ path: "path.id", message: expect.any(String) }]);

      // The query is checked before the path; a name given twice is a list, which `limit` is not.
      const query = await expectProblem(
        await call("/api/v1/teams/not-a-uuid/members?limit=1&limit=2", { headers: authed() }),
        400,
        "validation_failed",
      );
      expect(query.detail).toBe("the request query is not valid");
      expect(query.errors).toEqual([{ path: "query.limit", message: expect.any(String) }]);
    });

    it("validation_failed 400 for a body that is not JSON", async () => {
      for (const body of ["{", "{'email': 1}", "not json", '{"a":1}}', ""]) {
        const problem = await expectProblem(await call("/api/v1/auth/login", jsonPost(body)), 400, "validation_failed");
        expect(problem.detail, JSON.stringify(body)).toBe("the body is not valid JSON");
        expect(problem.errors).toEqual([{ path: "body", message: "the body is not valid JSON" }]);
      }
      const deep = `${"[".repeat(200)}${"]".repeat(200)}`;
      const nested = await expectProblem(await call("/api/v1/auth/login", jsonPost(deep)), 400, "validation_failed");
      expect(nested.errors).toEqual([
        { path: "body", message: expect.stringMatching(/^the body is nested more than/) },
      ]);
    });

    it("unauthenticated 401 without a token, or with a bad one", async () => {
      await expectProblem(await call("/api/v1/me"), 401, "unauthenticated");
      const res = await call("/api/v1/me", { headers: { Authorization: "Bearer nope" } });
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      await expectProblem(res, 401, "unauthenticated");
    });

    it("method_not_allowed 405 with Allow for a route's path with a method it does not take", async () => {
      const put = await call("/api/v1/me", { method: "PUT", headers: authed() });
      expect(put.headers.get("allow")).toBe("GET, HEAD, PATCH");
      const problem = await expectProblem(put, 405, "method_not_allowed");
      expect(problem.detail).toBe("PUT is not allowed on /api/v1/me, which takes GET, HEAD, PATCH");
      // Paths with parameters too, whether or not the resource exists, and without a token.
      const post = await call(`/api/v1/teams/${crypto.randomUUID()}`, { method: "POST" });
      expect(post.headers.get("allow")).toBe("DELETE, GET, HEAD, PATCH");
      await expectProblem(post, 405, "method_not_allowed");
      const login = await call("/api/v1/auth/login");
      expect(login.headers.get("allow")).toBe("POST");
      await expectProblem(login, 405, "method_not_allowed");
      await expectProblem(await call("/health", { method: "DELETE" }), 405, "method_not_allowed");
    });

    it("not_found 404 for an unknown route and for an unknown resource", async () => {
      await expectProblem(await call("/api/v1/no-such-thing"), 404, "not_found");
      await expectProblem(await call("/api/v1/no-such-thing", { method: "PUT", headers: authed() }), 404, "not_found");
      await expectProblem(
        await call(`/api/v1/me/tokens/${crypto.randomUUID()}`, { method: "DELETE", headers: authed() }),
        404,
        "not_found",
      );
      await expectProblem(await call("/api/v1/me/preferences/never.set", { headers: authed() }), 404, "not_found");
    });

    it("payload_too_large 413 for a body over 1 MiB, with or without Content-Length", async () => {
      const big = JSON.stringify({ email: "a@example.com", password: "x".repeat(1024 * 1024) });
      await expectProblem(await call("/api/v1/auth/login", jsonPost(big)), 413, "payload_too_large");
      const bytes = new TextEncoder().encode(big);
      const chunked = await call("/api/v1/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
      await expectProblem(chunked, 413, "payload_too_large");
      // Whatever the method: a route that reads no body still never takes one over the limit.
      const team = "/api/v1/teams/00000000-0000-4000-8000-000000000000";
      await expectProblem(await call(team, { method: "DELETE", body: big }), 413, "payload_too_large");
    });

    it("closes the connection after a 413, whose body was never read, so the next request is not lost", async () => {
      const big = JSON.stringify({ email: "a@example.com", password: "x".repeat(1024 * 1024) });
      const res = await call("/api/v1/auth/login", jsonPost(big));
      expect(res.headers.get("connection")).toBe("close");
      await expectProblem(res, 413, "payload_too_large");
      const next = await call("/api/v1/auth/login", jsonPost("{}"));
      await expectProblem(next, 400, "validation_failed");
    });

    it("unsupported_media_type 415 for a body that is not declared JSON", async () => {
      const text = await call("/api/v1/auth/login", {
        method: "POST",
        headers: { "Content-Type": "text/plain" },
        body: '{"email":"a@example.com","password":"whatever1"}',
      });
      const problem = await expectProblem(text, 415, "unsupported_media_type");
      expect(problem.detail).toContain("text/plain");
      const form = await call("/api/v1/me", {
        method: "PATCH",
        headers: authed({ "Content-Type": "application/x-www-form-urlencoded" }),
        body: "name=x",
      });
      await expectProblem(form, 415, "unsupported_media_type");
      const untyped = await call("/api/v1/auth/login", { method: "POST", body: new Blob(['{"email":"a"}']) });
      await expectProblem(untyped, 415, "unsupported_media_type");
    });

    it("takes JSON in UTF-8 only, as sent: another charset or an encoding is 415, bytes not UTF-8 are 400", async () => {
      const patch = (headers: Record<string, string>, body: string | Uint8Array) =>
        call("/api/v1/me", {
          method: "PATCH",
          headers: authed({ "Content-Type": "application/json", ...headers }),
          body,
        });
      const before = await (await call("/api/v1/me", { headers: authed() })).json();
      const latin1 = await expectProblem(
        await patch({ "Content-Type": "application/json; charset=iso-8859-1" }, '{"name":"x"}'),
        415,
        "unsupported_media_type",
      );
      expect(latin1.detail).toContain("iso-8859-1");
      await expectProblem(
        await patch({ "Content-Encoding": "gzip" }, gzipSync('{"name":"x"}')),
        415,
        "unsupported_media_type",
      );
      for (const bytes of [
        [0xff, 0xfe],
        [0xc0, 0x80],
        [0xed, 0xa0, 0x80],
      ]) {
        const body = new Uint8Array([
          ...new TextEncoder().encode('{"name":"a'),
          ...bytes,
          ...new TextEncoder().encode('b"}'),
        ]);
        const problem = await expectProblem(await patch({}, body), 400, "validation_failed");
        expect(problem.errors).toEqual([{ path: "body", message: "the body is not valid UTF-8" }]);
      }
      expect(await (await call("/api/v1/me", { headers: authed() })).json()).toEqual(before);
      const ok = await patch({ "Content-Type": 'application/json; charset="UTF-8"' }, '{"name":"Ünïcode"}');
      expect(ok.status, await ok.clone().text()).toBe(200);
      expect(((await ok.json()) as { name: string }).name).toBe("Ünïcode");
      await patch({}, JSON.stringify({ name: (before as { name: string }).name }));
    });
  });

  describe("with its own database and a logger writing to memory", () => {
    let testDb: TestDatabase;
    let db: Database;
    let served: Served;
    let deps: AppDependencies;
    let userToken: string;
    const lines: string[] = [];
    const logs = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const send = (path: string, init: RequestInit = {}) => fetch(`${served.url}${path}`, init);

    /** The one `request` line of a response, checked field by field. */
    const requestLine = (res: Response, method: string, path: string) => {
      const id = res.headers.get("x-request-id");
      const mine = logs().filter((l) => l.requestId === id && l.msg === "request");
      expect(mine, `request lines for ${method} ${path}`).toHaveLength(1);
      const line = mine[0] as Record<string, unknown>;
      expect(line).toMatchObject({ level: 30, msg: "request", method, path, status: res.status, requestId: id });
      expect(line.durationMs).toEqual(expect.any(Number));
      expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
      return line;
    };
    /** The error line of a failed request: with the error's stack, tagged with the request id. */
    const errorLine = (res: Response) => {
      const id = res.headers.get("x-request-id");
      const errors = logs().filter((l) => l.requestId === id && (l.level as number) >= 50);
      expect(errors).toHaveLength(1);
      const err = (errors[0] as { err?: { message?: string; stack?: string } }).err;
      expect(err?.stack).toMatch(/\n\s+at /);
      return err as { message: string; stack: string };
    };

    beforeAll(async () => {
      testDb = await dialect.create();
      db = await testDb.open({ tables });
      const migrator = new Migrator(db, migrationsDir(db.dialect));
      await migrator.up();
      const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
      deps = {
        db,
        auth: await Auth.create(db),
        logger,
        bodyLimit: 2048,
        migrationsCurrent: () => migrator.isCurrent(),
      };
      const app = createApp(deps);
      // A route with a bug in it: what an unexpected error looks like from outside and in the log.
      app.get("/api/v1/kaboom", () => {
        throw new Error("kaboom: select secret from vault");
      });
      served = await serveApp(app);
      const res = await send("/api/v1/auth/signup", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: "logged@example.com", password: "long enough", name: "Logged" }),
      });
      expect(res.status).toBe(201);
      userToken = ((await res.json()) as { accessToken: string }).accessToken;
    });
    afterAll(async () => {
      await served?.close();
      await testDb?.drop();
    });

    it("writes one JSON line per request, with its request id", async () => {
      const cases: [string, string, RequestInit, number][] = [
        ["GET", "/health", {}, 200],
        ["GET", "/api/v1/me", { headers: { Authorization: `Bearer ${userToken}` } }, 200],
        ["GET", "/api/v1/me", {}, 401],
        // Refused by the token check itself, before any route runs: still one line.
        ["GET", "/api/v1/me", { headers: { Authorization: "Bearer not-a-token" } }, 401],
        ["POST", "/api/v1/auth/login", jsonPost('{"email":1}'), 400],
        ["POST", "/api/v1/auth/login", jsonPost(JSON.stringify({ password: "x".repeat(4000) })), 413],
        ["POST", "/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "x" }, 415],
        ["GET", "/nowhere", {}, 404],
      ];
      for (const [method, path, init, status] of cases) {
        const res = await send(`${path}?q=1`, init);
        expect(res.status, `${method} ${path}`).toBe(status);
        await res.arrayBuffer();
        requestLine(res, method, path);
      }
      // Every line is one JSON object, with a level and a message.
      for (const line of lines)
        expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });

      const traced = await send("/health", { headers: { "X-Request-Id": "trace-from-client" } });
      expect(requestLine(traced, "GET", "/health").requestId).toBe("trace-from-client");
    });

    it("logs an unexpected error with its stack, and answers 500 with none of it", async () => {
      const res = await send("/api/v1/kaboom");
      await expectProblem(res, 500, "internal");
      requestLine(res, "GET", "/api/v1/kaboom");
      const err = errorLine(res);
      expect(err.message).toContain("kaboom");
      expect(err.stack).toContain("kaboom");
    });

    it("answers a database error with a 500 that carries no SQL or driver text", async () => {
      await db.execute(sql`drop table ${sql.identifier("user_preferences")}`);
      const res = await send("/api/v1/me/preferences/theme", { headers: { Authorization: `Bearer ${userToken}` } });
      await expectProblem(res, 500, "internal");
      requestLine(res, "GET", "/api/v1/me/preferences/theme");
      errorLine(res);
    });

    it("answers a failure to build the OpenAPI document with a logged 500 problem", async () => {
      const broken = createApp(deps);
      // z.json() is recursive: the OpenAPI generator overflows its stack on it.
      broken.openapi(
        createRoute({
          method: "get",
          path: "/api/v1/anything",
          responses: {
            200: {
              description: "Any JSON",
              content: { "application/json": { schema: z.object({ value: z.json() }) } },
            },
          },
        }),
        (c) => c.json({ value: 1 }, 200),
      );
      const brokenServed = await serveApp(broken);
      try {
        const res = await fetch(`${brokenServed.url}/openapi.json`);
        await expectProblem(res, 500, "internal");
        requestLine(res, "GET", "/openapi.json");
        errorLine(res);
      } finally {
        await brokenServed.close();
      }
    });

    it("answers 503 unavailable once the database is closed, and logs why", async () => {
      await db.close();
      const res = await send("/api/v1/me", { headers: { Authorization: `Bearer ${userToken}` } });
      await expectProblem(res, 503, "unavailable");
      requestLine(res, "GET", "/api/v1/me");
      expect(errorLine(res).message).toMatch(/closed|unavailable/i);
      const ready = await send("/ready");
      expect((await expectProblem(ready, 503, "unavailable")).detail).toMatch(/does not answer/);
    });
  });
});
