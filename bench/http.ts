import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { startServer } from "@groundwork/api";
import type { Database } from "@groundwork/db";
import { projectService, type ServiceContext, teamService, ticketService, tickets } from "@groundwork/domain";
import { serve } from "@hono/node-server";
import type BetterSqlite3 from "better-sqlite3";
import { type Context, Hono } from "hono";
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

// Linux reports thread CPU time in clock ticks of 1/100 s (USER_HZ).
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) of this process's main thread in µs, where Linux tells it: the servers run
 * on that thread, autocannon on a worker's.
 */
function mainThreadCpu(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

interface MeasuredLoad extends LoadResult {
  /** The servers' CPU time per request in µs, where the platform tells it. */
  cpu?: number;
}

async function measuredLoad(url: string, headers: Record<string, string>, duration: number): Promise<MeasuredLoad> {
  const before = mainThreadCpu();
  const result = await load(url, headers, duration);
  const after = mainThreadCpu();
  return { ...result, cpu: before === undefined || after === undefined ? undefined : (after - before) / result.total };
}

/** µs of plain JavaScript that the bare route's variants add to each request. */
const ADDED_WORK_MICROS = [25, 50];

let sink = 0;
/** A loop the compiler cannot drop; its cost per iteration is calibrated by `iterationsPerMicrosecond`. */
function work(iterations: number): void {
  let x = sink;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 31) + i) | 0;
  sink = x;
}

function iterationsPerMicrosecond(): number {
  const iterations = QUICK ? 1e5 : 5e6;
  work(iterations);
  let fastest = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 3; k++) {
    const start = process.hrtime.bigint();
    work(iterations);
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start));
  }
  return iterations / (fastest / 1000);
}

export interface HttpResult {
  /** Median req/s and p99 over the rounds. */
  layer: LoadResult;
  raw: LoadResult;
  /** The median over the rounds of the layer's req/s ÷ the bare route's in the same round. */
  share: number;
  /** Each round's share, in order. */
  shares: number[];
  /** The servers' median CPU time per request in µs (API and bare route), where the platform tells it. */
  cpu?: { layer: number; raw: number };
  /**
   * The bare route with more to do per request, on a server of its own: the median share of the bare
   * route's req/s and CPU time per request. Plain JavaScript says how much added work the share
   * tolerates on this machine; the repository's get and the service call say how much of the API's
   * cost is the data layer's and the domain's, the rest being the API's own.
   */
  variants: { label: string; share: number; cpu?: number }[];
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
  const answerTicket = (c: Context) => {
    const row = stmt.get(c.req.param("id"));
    return row ? c.json(row) : c.notFound();
  };
  app.get("/tickets/:id", answerTicket);
  // The bare route with more to do, on a server of its own so the bare one stays as it is.
  const workApp = new Hono();
  const perMicrosecond = iterationsPerMicrosecond();
  const variants: { label: string; path: string }[] = [];
  for (const micros of ADDED_WORK_MICROS) {
    const iterations = Math.round(micros * perMicrosecond);
    const path = `/${micros}us/tickets`;
    workApp.get(`${path}/:id`, (c) => {
      work(iterations);
      return answerTicket(c);
    });
    variants.push({ label: `the bare route with ${micros} µs more JavaScript a request`, path });
  }
  // The same ticket as the API answers it (Dates are written as ISO text by `c.json`), without the
  // API around it: the token, the request id, routing among every route, validation, the ETag.
  workApp.get("/repository/tickets/:id", async (c) => c.json(await db.repo(tickets).get(c.req.param("id"))));
  variants.push({ label: "a bare route answering `db.repo(tickets).get(id)`", path: "/repository/tickets" });
  workApp.get("/service/tickets/:id", async (c) => c.json(await ticketService.getTicket(ctx, c.req.param("id"))));
  variants.push({
    label: "a bare route answering `ticketService.getTicket` (the ticket and the caller's access, one statement)",
    path: "/service/tickets",
  });
  const listen = (fetch: Hono["fetch"]) =>
    new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    });
  const bare = await listen(app.fetch);
  const workServer = await listen(workApp.fetch);
  const barePort = (bare.address() as AddressInfo).port;
  const workPort = (workServer.address() as AddressInfo).port;

  try {
    const layerUrl = `${server.url}/api/v1/tickets/${ticket.id}`;
    const rawUrl = `http://127.0.0.1:${barePort}/tickets/${ticket.id}`;
    const auth = { authorization: `Bearer ${session.accessToken}` };
    const check = await fetch(layerUrl, { headers: auth });
    if (check.status !== 200) throw new Error(`GET ${layerUrl} answered ${check.status}: ${await check.text()}`);
    const workUrls = variants.map(({ path }) => `http://127.0.0.1:${workPort}${path}/${ticket.id}`);
    if (!QUICK) {
      // Warm-up.
      await load(layerUrl, auth, 1);
      for (const url of [rawUrl, ...workUrls]) await load(url, {}, 1);
    }
    const targets = [
      { url: layerUrl, headers: auth },
      { url: rawUrl, headers: {} },
      ...workUrls.map((url) => ({ url, headers: {} })),
    ];
    // Rounds alternate which of the API and the bare route goes first (they run back to back, so
    // drift on this machine hits both alike); the routes with added work follow, also alternating.
    const loads: MeasuredLoad[][] = targets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const pair = round % 2 === 0 ? [0, 1] : [1, 0];
      const rest = workUrls.map((_, i) => 2 + i);
      if (round % 2 === 1) rest.reverse();
      for (const index of [...pair, ...rest]) {
        const { url, headers } = targets[index] as (typeof targets)[number];
        (loads[index] as MeasuredLoad[]).push(await measuredLoad(url, headers, ROUND_SECONDS));
      }
    }
    const [layers, raws, ...worked] = loads as [MeasuredLoad[], MeasuredLoad[], ...MeasuredLoad[][]];
    loads.forEach((results, i) => {
      const failed = results.find((l) => l.non2xx > 0 || l.errors > 0);
      if (failed) {
        throw new Error(`${targets[i]?.url} answered ${failed.non2xx} non-2xx, ${failed.errors} errors`);
      }
    });
    const sharesOf = (results: LoadResult[]) => results.map((l, i) => l.requests / (raws[i] as LoadResult).requests);
    const cpuOf = (results: MeasuredLoad[]) =>
      results.every((r) => r.cpu !== undefined) ? median(results.map((r) => r.cpu as number)) : undefined;
    const shares = sharesOf(layers);
    const layerCpu = cpuOf(layers);
    const rawCpu = cpuOf(raws);
    return {
      layer: medianLoad(layers),
      raw: medianLoad(raws),
      share: median(shares),
      shares,
      cpu: layerCpu === undefined || rawCpu === undefined ? undefined : { layer: layerCpu, raw: rawCpu },
      variants: variants.map(({ label }, i) => {
        const results = worked[i] as MeasuredLoad[];
        return { label, share: median(sharesOf(results)), cpu: cpuOf(results) };
      }),
    };
  } finally {
    await server.close();
    for (const s of [bare, workServer]) {
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        (s as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
    }
  }
}
