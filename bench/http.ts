import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { startServer } from "@groundwork/api";
import type { Database } from "@groundwork/db";
import { projectService, type ServiceContext, teamService, tickets } from "@groundwork/domain";
import { serve } from "@hono/node-server";
import type BetterSqlite3 from "better-sqlite3";
import { Hono } from "hono";
import pino from "pino";
import { QUICK } from "./harness.js";

export interface LoadResult {
  /** Average requests per second. */
  requests: number;
  /** p99 latency in ms. */
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

function load(url: string, headers: Record<string, string>, duration: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./autocannon-worker.mjs", import.meta.url), {
      workerData: { url, headers, duration, connections: 10 },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

export interface HttpResult {
  layer: LoadResult;
  raw: LoadResult;
}

/** The real server (SQLite, authenticated) against a bare Hono route doing one raw prepared select. */
export async function runHttp(db: Database, client: BetterSqlite3.Database): Promise<HttpResult> {
  const server = await startServer({ db, logger: pino({ level: "silent" }), port: 0 });
  const session = await server.auth.signup(
    { db },
    { email: `bench-${Date.now()}@example.com`, password: "correct horse battery staple", name: "Bench" },
  );
  const ctx: ServiceContext = { db, principal: { kind: "user", userId: session.user.id } };
  const team = await teamService.createTeam(ctx, { name: "HTTP bench", slug: `http-bench-${Date.now()}` });
  const project = await projectService.createProject(ctx, team.id, { name: "HTTP" });
  const ticket = await db.repo(tickets).create({
    projectId: project.id,
    number: 1,
    title: "The ticket the HTTP bench reads",
    tags: ["bench"],
    metadata: { via: "bench" },
  });

  const app = new Hono();
  const stmt = client.prepare("select * from tickets where id = ? and deleted_at is null");
  app.get("/tickets/:id", (c) => {
    const row = stmt.get(c.req.param("id"));
    return row ? c.json(row) : c.notFound();
  });
  const bare = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const barePort = (bare.address() as AddressInfo).port;

  try {
    const layerUrl = `${server.url}/api/v1/tickets/${ticket.id}`;
    const rawUrl = `http://127.0.0.1:${barePort}/tickets/${ticket.id}`;
    const auth = { authorization: `Bearer ${session.accessToken}` };
    const check = await fetch(layerUrl, { headers: auth });
    if (check.status !== 200) throw new Error(`GET ${layerUrl} answered ${check.status}: ${await check.text()}`);
    const duration = QUICK ? 1 : 5;
    if (!QUICK) {
      await load(layerUrl, auth, 1); // warm-up
      await load(rawUrl, {}, 1);
    }
    const layer = await load(layerUrl, auth, duration);
    const raw = await load(rawUrl, {}, duration);
    if (layer.non2xx > 0 || layer.errors > 0)
      throw new Error(`the API answered ${layer.non2xx} non-2xx, ${layer.errors} errors`);
    return { layer, raw };
  } finally {
    await server.close();
    await new Promise<void>((resolve) => {
      bare.close(() => resolve());
      (bare as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    });
  }
}
