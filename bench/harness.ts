/** A tiny benchmark harness: warm-up, then K samples of N ops each; the result is the median ns/op. */

export const QUICK = process.env.BENCH_QUICK === "1";

export interface Timing {
  /** Median nanoseconds per operation over the samples. */
  nsPerOp: number;
  /** Nanoseconds per operation of each sample, in the order taken (sample i of every function in round i). */
  perSample: number[];
}

const SAMPLE_MS = 40;
// On a 2-core virtual machine a median of 9 samples moved more from run to run than the targets'
// margins (a PostgreSQL get: 0.98–1.28× raw over eighteen runs); 31 narrow that.
const SAMPLES = 31;

async function runOps(fn: () => unknown, ops: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await fn();
  return Number(process.hrtime.bigint() - start);
}

async function calibrate(fn: () => unknown, maxOps: number): Promise<number> {
  // Warm-up and calibration: double the ops until a run lasts ~SAMPLE_MS (at least three runs).
  let ops = 1;
  let elapsed = 0;
  for (let round = 0; round < 24; round++) {
    elapsed = await runOps(fn, ops);
    if (round >= 2 && (elapsed > SAMPLE_MS * 1e6 || ops >= maxOps)) break;
    ops = Math.min(maxOps, ops * 2);
  }
  const opsPerSample = Math.max(1, Math.min(maxOps, Math.round((SAMPLE_MS * 1e6) / (elapsed / ops))));
  await runOps(fn, opsPerSample); // one more full-size warm-up sample
  return opsPerSample;
}

// V8 optimizes a function once it has run for a while, and the layer's calls run more code than a
// driver's: a PostgreSQL insert + audit row took 1.68×, 1.42× and 1.27× of raw over its first three
// blocks of 800 calls (interleaved with raw's), then 1.07–1.21×. Sampled after calibration alone
// (about a hundred calls), the figures measured the compiler at work. So every function runs
// WARMUP_CALLS times, or WARMUP_MS, before its samples are taken.
const WARMUP_CALLS = 3000;
const WARMUP_MS = 3000;

/** Runs the functions in turn, a sample's worth of calls each, until each has run WARMUP_CALLS times or WARMUP_MS. */
async function warmUp(fns: (() => unknown)[], ops: number[]): Promise<void> {
  const calls = fns.map(() => 0);
  const spent = fns.map(() => 0);
  const warm = (i: number) => (calls[i] ?? 0) >= WARMUP_CALLS || (spent[i] ?? 0) >= WARMUP_MS * 1e6;
  while (!fns.every((_, i) => warm(i))) {
    for (let i = 0; i < fns.length; i++) {
      if (warm(i)) continue;
      const n = ops[i] ?? 1;
      spent[i] = (spent[i] ?? 0) + (await runOps(fns[i] as () => unknown, n));
      calls[i] = (calls[i] ?? 0) + n;
    }
  }
}

/**
 * Measures each function (awaited on every call, sync or not). After the ops per sample are
 * calibrated (~SAMPLE_MS each) and every function has warmed up (see WARMUP_CALLS), the samples of
 * all functions are interleaved, in a shuffled order each round, so drift (GC, WAL checkpoints, the
 * server's background work) hits all of them alike; each result is the median ns/op of its samples,
 * which are kept in `perSample`. Under BENCH_QUICK each function runs a handful of ops once.
 */
export async function measureAll(
  fns: (() => unknown)[],
  options: { maxOpsPerSample?: number } = {},
): Promise<Timing[]> {
  if (QUICK) {
    const ops = 3;
    const timings: Timing[] = [];
    for (const fn of fns) {
      const nsPerOp = (await runOps(fn, ops)) / ops;
      timings.push({ nsPerOp, perSample: [nsPerOp] });
    }
    return timings;
  }
  const maxOps = options.maxOpsPerSample ?? 1e6;
  const ops: number[] = [];
  for (const fn of fns) ops.push(await calibrate(fn, maxOps));
  await warmUp(fns, ops);
  const samples: number[][] = fns.map(() => []);
  const random = seeded(SAMPLES * fns.length);
  for (let s = 0; s < SAMPLES; s++) {
    // Each round runs the functions in an order of its own, so none always follows the same one: what
    // a function leaves behind (garbage to collect, server work) falls on all the others alike.
    // (Rotating one order, a b c then b c a, would keep b always after a.)
    for (const i of shuffled(fns.length, random)) {
      const n = ops[i] ?? 1;
      samples[i]?.push((await runOps(fns[i] as () => unknown, n)) / n);
    }
  }
  return fns.map((_, i) => ({
    nsPerOp: median(samples[i] ?? []),
    perSample: samples[i] ?? [],
  }));
}

/** A generator of numbers in [0, 1) from `seed` (mulberry32): the same orders on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 0 … n-1 in an order drawn from `random` (Fisher–Yates). */
function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** `a ÷ b` round by round: sample i of each, taken side by side. */
export function roundRatios(a: Timing, b: Timing): number[] {
  return a.perSample.map((ns, i) => ns / (b.perSample[i] ?? Number.NaN));
}

/** The middle half (first to third quartile) of per-round ratios, as "low–high": how far they moved within the run. */
export function middleHalf(ratios: number[], format: (ratio: number) => string): string {
  const finite = ratios.filter(Number.isFinite);
  if (finite.length < 4) return "—";
  return `${format(quantile(finite, 0.25))}–${format(quantile(finite, 0.75))}`;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] ?? 0) + ((sorted[high] ?? 0) - (sorted[low] ?? 0)) * (at - low);
}

export const median = (values: number[]): number => quantile(values, 0.5);

export function formatTime(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export interface Row {
  operation: string;
  layer: string;
  raw: string;
  ratio: string;
  spread: string;
  drizzle: string;
  kysely: string;
  target: string;
  met: string;
}

export function printTable(title: string, rows: Row[]): void {
  const header: Row = {
    operation: "operation",
    layer: "layer",
    raw: "raw",
    ratio: "ratio",
    spread: "middle half",
    drizzle: "drizzle",
    kysely: "kysely",
    target: "target",
    met: "met?",
  };
  const keys = Object.keys(header) as (keyof Row)[];
  const all = [header, ...rows];
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: Row) => `| ${keys.map((k, i) => r[k].padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
}
