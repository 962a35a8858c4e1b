/**
 * `npm run bench`: SPEC §8, each row as a ratio against a raw baseline taken in the same run.
 * SQLite always; PostgreSQL on BENCH_DATABASE_URL's server (a fresh database, dropped at the end), else PGlite.
 */
import os from "node:os";
import { type CaseResult, ROW_NAMES, runCases, toRow } from "./cases.js";
import { middleHalf, printTable, QUICK, type Row } from "./harness.js";
import { runHttp } from "./http.js";
import { pgliteTarget, postgresTarget, sqliteTarget, type Target } from "./targets.js";

async function withTarget<R>(open: () => Promise<Target>, work: (t: Target) => Promise<R>): Promise<R> {
  const target = await open();
  try {
    return await work(target);
  } finally {
    await target.close();
  }
}

async function main() {
  const started = Date.now();
  console.log(
    `Groundwork bench — ${new Date().toISOString()} — Node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}${QUICK ? " — QUICK (smoke run, figures meaningless)" : ""}`,
  );

  await withTarget(sqliteTarget, async (target) => {
    const results: CaseResult[] = await runCases(target);
    const rows: Row[] = results.map(toRow);
    if (target.raw.kind !== "better-sqlite3") throw new Error("unreachable");
    const http = await runHttp(target.db, target.raw.client);
    const share = http.share;
    rows.push({
      operation: ROW_NAMES.http,
      layer: `${Math.round(http.layer.requests)} req/s, p99 ${http.layer.p99} ms`,
      raw: `${Math.round(http.raw.requests)} req/s, p99 ${http.raw.p99} ms`,
      ratio: `${(share * 100).toFixed(0)}%`,
      spread: middleHalf(http.shares, (x) => `${(x * 100).toFixed(0)}%`),
      drizzle: "—",
      kysely: "—",
      target: "≥ 50%",
      met: share >= 0.5 ? "yes" : "NO",
    });
    if (http.cpu) {
      console.log(
        `  diagnostic (HTTP) the servers' CPU time a request (user + system, main thread): API ${http.cpu.layer.toFixed(1)} µs, bare route ${http.cpu.raw.toFixed(1)} µs`,
      );
    }
    for (const { label, share, cpu } of http.variants) {
      console.log(
        `  diagnostic (HTTP) ${label}: ${(share * 100).toFixed(0)}% of the bare route's req/s${cpu === undefined ? "" : `, ${cpu.toFixed(1)} µs of CPU a request`}`,
      );
    }
    printTable("SQLite (temp file, WAL)", rows);
  });

  const serverUrl = process.env.BENCH_DATABASE_URL;
  await withTarget(
    () => (serverUrl ? postgresTarget(serverUrl) : pgliteTarget()),
    async (target) => {
      const results = await runCases(target);
      printTable(
        target.name === "PGlite" ? "PGlite (embedded PostgreSQL; no BENCH_DATABASE_URL)" : "PostgreSQL (postgres-js)",
        results.map(toRow),
      );
    },
  );
  console.log(`\nlayer and raw: median time per operation; ratio = layer / raw; drizzle and kysely: time (÷ raw).`);
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench: ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  },
);
