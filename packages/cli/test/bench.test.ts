import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, inject, it } from "vitest";
import { main } from "../src/main.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const ROWS = [
  "get by id",
  "list 50 by FK, cursor page",
  "insert one + audit row",
  "insert 100 (createMany)",
  "ticket with its tasks",
  "HTTP GET /tickets/{id}",
];

// Only checks that every benchmark runs once on tiny data, through the command that runs them; no
// timing is asserted.
it("groundwork bench --quick runs every row once", async () => {
  const target = inject("postgresTarget");
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.BENCH_DATABASE_URL;
  delete env.BENCH_QUICK;
  const args = ["packages/cli/bin/groundwork.js", "bench", "--quick"];
  if (target && target !== "pglite") args.push("--database-url", target);
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 110_000);
    child.once("error", reject);
    child.once("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, output });
    });
  });
  expect(code, output).toBe(0);
  for (const row of ROWS) expect(output).toContain(row);
  // The HTTP row's diagnostics: the bare route with more to do, loaded like the API (the CPU on Linux only).
  for (const variant of [
    "the bare route with 25 µs more JavaScript a request",
    "the bare route with 50 µs more JavaScript a request",
    "a bare route answering `db.repo(tickets).get(id)`",
    "a bare route answering `ticketService.getTicket`",
  ]) {
    const line = output.split("\n").find((l) => l.includes(`diagnostic (HTTP) ${variant}`));
    expect(line, output).toMatch(/: \d+% of the bare route's req\/s(, [\d.]+ µs of CPU a request)?$/);
  }
  expect(output).toContain(target && target !== "pglite" ? "PostgreSQL (postgres-js)" : "PGlite");
}, 120_000);

it("groundwork bench refuses a PostgreSQL server that does not answer before it runs anything", async () => {
  const lines: string[] = [];
  const errors: string[] = [];
  const started = Date.now();
  // Port 1: nothing listens there, so the connection is refused at once.
  const code = await main(["bench", "--quick", "--database-url", "postgres://postgres@127.0.0.1:1/none"], {
    info: (l) => lines.push(l),
    error: (l) => errors.push(l),
  });
  expect(code).toBe(1);
  expect(errors).toEqual([
    expect.stringMatching(
      /^groundwork bench: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/none: .*ECONNREFUSED/,
    ),
  ]);
  expect(lines).toEqual([]);
  // Not after the SQLite half: that alone takes longer than this.
  expect(Date.now() - started).toBeLessThan(10_000);
}, 30_000);
