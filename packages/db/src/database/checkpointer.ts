import { statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/**
 * How far a WAL may grow before the checkpoints move to a thread of their own (256 pages of 4 KB),
 * and how often it is looked at until then: every second, and every 100 statements, for a loop of
 * SQLite statements runs on promises that are already settled and leaves no turn to a timer.
 */
const START_AT_BYTES = 1024 * 1024;
const LOOK_EVERY_MS = 1000;
const LOOK_EVERY_STATEMENTS = 100;
/**
 * With the checkpoints on their own thread, the connection checkpoints itself only past this many
 * pages (SQLite's default is 1000): should the thread fall behind, the WAL still stays bounded.
 */
const FALLBACK_PAGES = 10_000;
const SQLITE_DEFAULT_PAGES = 1000;

/**
 * The checkpointing thread. It checkpoints PASSIVE (never waiting for a reader or a writer) soon
 * after frames were added, and ever less often while none are, up to once a second.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
let wait = workerData.minMs;
let timer;
const tick = () => {
  let copied = 0;
  try {
    const [result] = db.pragma("wal_checkpoint(PASSIVE)");
    copied = result.checkpointed;
  } catch {}
  wait = copied > 0 ? workerData.minMs : Math.min(wait * 2, workerData.maxMs);
  timer = setTimeout(tick, wait);
};
timer = setTimeout(tick, wait);
parentPort.on("message", () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage("ready");
`;

/**
 * Moves a SQLite file database's WAL checkpoints off the event loop. By default SQLite checkpoints
 * in the commit that takes the WAL past 1000 pages: that commit copies them all into the database
 * file and waits for the disk, 13 ms on a virtual machine's disk where the commit alone takes 0.4 ms,
 * and every request of the process waits with it. Once the WAL has grown past 1 MB (a process that
 * writes little never gets there, and starts no thread), a worker thread with a connection of its
 * own checkpoints instead, while the event loop goes on. Crash safety is SQLite's either way: a
 * checkpoint cut short leaves the WAL to be replayed.
 */
export class Checkpointer {
  private readonly wal: string;
  private looking?: NodeJS.Timeout;
  private worker?: Worker;
  private stopped = false;
  private statements = 0;

  private readonly file: string;

  constructor(
    private readonly client: BetterSqlite3.Database,
    file: string,
  ) {
    // Resolved now: the thread opens it later, and the process may have changed its directory by then.
    this.file = path.resolve(file);
    this.wal = `${this.file}-wal`;
    this.looking = setInterval(() => this.look(), LOOK_EVERY_MS);
    this.looking.unref();
  }

  /** Whether checkpoints run on the worker thread now. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Counts a statement of the connection; every hundredth looks at the WAL. */
  noteStatement(): void {
    if (++this.statements < LOOK_EVERY_STATEMENTS) return;
    this.statements = 0;
    if (!this.worker && !this.stopped) this.look();
  }

  private look(): void {
    let size = 0;
    try {
      size = statSync(this.wal).size;
    } catch {}
    if (size >= START_AT_BYTES) this.start();
  }

  /** Starts the worker thread now, however large the WAL is. */
  start(): void {
    if (this.stopped || this.worker) return;
    clearInterval(this.looking);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        file: this.file,
        minMs: 20,
        maxMs: 1000,
      },
    });
    worker.unref();
    this.worker = worker;
    worker.once("message", () => {
      if (!this.stopped) this.autocheckpoint(FALLBACK_PAGES);
    });
    // A thread that fails (it could not open the file, say) leaves the checkpoints to the connection.
    worker.once("error", () => this.fallBack());
    worker.once("exit", () => this.fallBack());
  }

  private fallBack(): void {
    this.worker = undefined;
    if (!this.stopped) this.autocheckpoint(SQLITE_DEFAULT_PAGES);
  }

  /** Sets the WAL size at which the connection checkpoints in its own commits. */
  private autocheckpoint(pages: number): void {
    try {
      if (this.client.open) this.client.pragma(`wal_autocheckpoint = ${pages}`);
    } catch {
      // Called from the thread's events: a connection that cannot take the setting keeps its own.
    }
  }

  /** Stops the thread, letting a checkpoint under way finish, before the connection closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.looking);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    // Held from here, so that a process whose last work is this close waits for the thread's end.
    worker.ref();
    worker.postMessage("stop");
    await exited;
  }
}
