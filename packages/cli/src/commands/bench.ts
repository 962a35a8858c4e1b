import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DatabaseUnavailableError, openDatabase } from "@groundwork/db";
import { CommandFailure, commandArgs, UsageError } from "../output.js";

export const benchHelp = `Usage: groundwork bench [--quick] [--database-url <url>]

Runs the benchmarks of SPEC §8 from a checkout of the repository (bench/run.ts, what npm run bench
runs): every row on SQLite, then on PostgreSQL. Each figure is a ratio against a raw baseline taken
in the same run, with the absolute times beside it. Takes about four minutes; see bench/README.md.

  --database-url <url>  the PostgreSQL server to measure (default BENCH_DATABASE_URL); a fresh
                        database is created there and dropped at the end. Without one, embedded
                        PGlite is measured and reported as such.
  --quick               a handful of operations per row: checks that everything runs, figures mean
                        nothing`;

/** The repository's checkout, where the benchmarks and their tools live. */
const root = fileURLToPath(new URL("../../../../", import.meta.url));
const script = path.join(root, "bench", "run.ts");

export async function bench(args: string[]): Promise<number> {
  const { values } = commandArgs("bench", args, { quick: { type: "boolean" }, "database-url": { type: "string" } });
  const url = values["database-url"];
  if (url !== undefined && !/^postgres(ql)?:\/\/\S+$/.test(url)) {
    throw new UsageError("--database-url must be a postgres:// URL");
  }
  if (!existsSync(script)) {
    throw new UsageError("the benchmarks run from a checkout of the repository, where bench/run.ts is");
  }
  // Before the SQLite half, which takes a while: a server that does not answer fails now.
  const server = url ?? (process.env.BENCH_DATABASE_URL?.trim() || undefined);
  if (server !== undefined) await checkServer(server);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (values.quick) env.BENCH_QUICK = "1";
  if (url !== undefined) env.BENCH_DATABASE_URL = url;
  // Its own process, so the figures are not those of a process that has done other work first.
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: root, env, stdio: "inherit" });
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
  });
}

/** Connects to the PostgreSQL server at `url` once; one that does not answer is a CommandFailure. */
async function checkServer(url: string): Promise<void> {
  try {
    const db = await openDatabase({ url, poolMax: 1 });
    await db.close();
  } catch (error) {
    const cause = (error as Error).cause as Error | undefined;
    if (error instanceof DatabaseUnavailableError && cause) throw new CommandFailure(cause.message);
    throw error;
  }
}
