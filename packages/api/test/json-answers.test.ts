import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../src/env.js";
import { answerJson } from "../src/middleware/json-answers.js";
import { requestLog } from "../src/middleware/request-log.js";
import { withIsoDates } from "../src/respond.js";

describe("answers with their dates written first", () => {
  it("serializes exactly as JSON.stringify does, at any depth", () => {
    class Money {
      constructor(readonly micros: number) {}
      toJSON() {
        return `${this.micros}µ`;
      }
    }
    const bare = Object.create(null) as Record<string, unknown>;
    bare.at = new Date("2030-01-02T03:04:05.678Z");
    let deep: unknown = { at: new Date(0) };
    for (let i = 0; i < 8; i++) deep = { inner: deep, list: [new Date(i * 1000)] };
    const answer = {
      id: "t1",
      createdAt: new Date("2026-11-21T10:00:00.000Z"),
      dueAt: null,
      invalid: new Date(Number.NaN),
      tags: ["a", "b"],
      metadata: { nested: { at: new Date(1), text: "x", n: 1.5, yes: true, nothing: null } },
      tasks: [{ id: "k", updatedAt: new Date(2) }, { id: "l" }],
      data: [[new Date(3)], bare],
      money: new Money(5),
      missing: undefined,
      deep,
    };
    expect(JSON.stringify(withIsoDates(answer, 0))).toBe(JSON.stringify(answer));
    expect(withIsoDates(answer, 0)).toMatchObject({ createdAt: "2026-11-21T10:00:00.000Z", invalid: null });
    for (const value of [null, 1, "text", true, [], {}, new Date(7)]) {
      expect(JSON.stringify(withIsoDates(value, 0))).toBe(JSON.stringify(value));
    }
  });

  it("answers c.json with the status given, or the one c.status set, each header once", async () => {
    const app = new Hono<AppEnv>();
    const logRequest = requestLog(pino({ level: "silent" }));
    app.use((c, next) => {
      answerJson(c);
      return logRequest(c, next);
    });
    const at = new Date("2030-01-02T03:04:05.006Z");
    app.get("/given", (c) => c.json({ at }, 201, { ETag: '"4"', "Content-Type": "application/vnd.x+json" }));
    app.get("/set", (c) => {
      c.status(202);
      return c.json({ at });
    });
    app.get("/init", (c) => c.json({ at }, { status: 203, headers: { ETag: '"5"' } }));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const expected = [
        ["/given", 201, "application/vnd.x+json", '"4"'],
        ["/set", 202, "application/json", null],
        ["/init", 203, "application/json", '"5"'],
      ] as const;
      for (const [path, status, type, etag] of expected) {
        const res = await fetch(`${base}${path}`);
        expect(res.status, path).toBe(status);
        expect(res.headers.get("content-type"), path).toBe(type);
        expect(res.headers.get("etag"), path).toBe(etag);
        expect(res.headers.get("x-request-id"), path).toMatch(/^[0-9a-f-]{36}$/);
        expect(await res.json(), path).toEqual({ at: "2030-01-02T03:04:05.006Z" });
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
