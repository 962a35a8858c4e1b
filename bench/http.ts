import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { startServer } from "@groundwork/api";
import type { Database } from "@groundwork/db";
import { projectService, type ServiceContext, teamService, tickets } from "@groundwork/domain";
import { serve } from "@hono/node-server";
import type BetterSqlite3 from "better-sqlite3";
import { Hono } from "hono";
import pino from "pino";
import { median, QUICK } from "./harness.js";

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
  /** Median req/s and p99 over the rounds. */
  layer: LoadResult;
  raw: LoadResult;
  /** The median over the rounds of the layer's req/s ÷ the bare route's in the same round. */
  share: number;
  /** Each round's share, in order. */
  shares: number[];
}

const ROUNDS = QUICK ? 1 : 9;
const ROUND_SECONDS = QUICK ? 1 : 2;

const medianLoad = (results: LoadResult[]): LoadResult => ({
  requests: median(results.map((r) => r.requests)),
  p99: median(results.map((r) => r.p99)),
  non2xx: results.reduce((n, r) => n + r.non2xx, 0),
  errors: results.reduce((n, r) => n + r.errors, 0),
  total: results.reduce((n, r) => n + r.total, 0),
});

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
    if (!QUICK) {
      await load(layerUrl, auth, 1); // warm-up
      await load(rawUrl, {}, 1);
    }
    // Rounds alternate which server goes first, so drift on this machine hits both alike.
    const layers: LoadResult[] = [];
    const raws: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const loadLayer = async () => layers.push(await load(layerUrl, auth, ROUND_SECONDS));
      const loadRaw = async () => raws.push(await load(rawUrl, {}, ROUND_SECONDS));
      if (round % 2 === 0) await loadLayer().then(loadRaw);
      else await loadRaw().then(loadLayer);
    }
    const failed = layers.find((l) => l.non2xx > 0 || l.errors > 0);
    if (failed) throw new Error(`the API answered ${failed.non2xx} non-2xx, ${failed.errors} errors`);
    const shares = layers.map((l, i) => l.requests / (raws[i] as LoadResult).requests);
    return {
      layer: medianLoad(layers),
      raw: medianLoad(raws),
      share: median(shares),
      shares,
    };
  } finally {
    await server.close();
    await new Promise<void>((resolve) => {
      bare.close(() => resolve());
      (bare as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    });
  }
}
