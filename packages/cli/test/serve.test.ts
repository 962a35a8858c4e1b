import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { Migrator, parseDatabaseUrl } from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { apiTokens, migrationsDir, tables, users } from "@groundwork/domain";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { browsableUrl } from "../src/commands/serve.js";
import { main } from "../src/main.js";

const bin = fileURLToPath(new URL("../bin/groundwork.js", import.meta.url));
const demo = { email: "demo@groundwork.dev", password: "groundwork-demo" };

/** `groundwork serve` as a child process, its stdout collected line by line. */
class ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  private waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [bin, "serve"], { env: { ...process.env, ...env } });
    let partial = "";
    this.child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) this.add(line);
    });
    this.child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  private add(line: string) {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      const match = line.match(w.pattern);
      if (match) w.resolve(match);
      return !match;
    });
  }

  /** The first stdout line matching `pattern`, now or later; fails when the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
      const match = line.match(pattern);
      if (match) return Promise.resolve(match);
    }
    return Promise.race([
      new Promise<RegExpMatchArray>((resolve) => this.waiters.push({ pattern, resolve })),
      this.exited.then((code) => {
        throw new Error(`serve exited (${code}) before printing ${pattern}:\n${this.lines.join("\n")}\n${this.stderr}`);
      }),
    ]);
  }

  /** Log lines (JSON) with the given message. */
  logged(msg: string): unknown[] {
    return this.lines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg?: string })
      .filter((l) => l.msg === msg);
  }

  /** Everything printed for people: the lines that are not JSON logs. */
  get human(): string {
    return this.lines.filter((l) => !l.startsWith("{")).join("\n");
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Starts serve and waits until it has printed everything it prints on start. */
async function startServe(url: string, env: Record<string, string> = {}) {
  const serve = new ServeProcess({ DATABASE_URL: url, PORT: "0", LOG_LEVEL: "info", ...env });
  const [, serverUrl] = await serve.waitFor(/^Groundwork is serving (http:\/\/\S+)$/);
  await serve.waitFor(/^Press Ctrl-C to stop\.$/);
  return { serve, url: serverUrl as string };
}

async function login(url: string) {
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(demo),
  });
  return { status: response.status, body: (await response.json()) as { user: { id: string } } };
}

describe.each(testDialects())("groundwork serve on $name", (dialect) => {
  let testDb: TestDatabase;
  const running: ServeProcess[] = [];

  beforeEach(async () => {
    testDb = await dialect.create();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
    await testDb.drop();
  });

  it("serves the API with a demo workspace, stops cleanly, and reuses the data on the next start", async () => {
    const first = await startServe(testDb.url);
    running.push(first.serve);
    const { url } = first;
    expect(first.serve.human).toContain(`  API reference  ${url}/docs`);
    expect(first.serve.human).toContain(`  OpenAPI        ${url}/openapi.json`);
    expect(first.serve.human).toContain(`sign in as ${demo.email}, password ${demo.password}`);
    const [, token] = await first.serve.waitFor(/shown once.*: (gwt_\S+)$/);

    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/docs`)).status).toBe(200);
    const session = await login(url);
    expect(session.status).toBe(200);

    // The agent token authenticates (an agent principal has no /me: 403, not 401).
    const asAgent = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(asAgent.status).toBe(403);
    expect(((await asAgent.json()) as { code: string }).code).toBe("forbidden");
    const forged = await fetch(`${url}/api/v1/me`, { headers: { authorization: "Bearer gwt_forged" } });
    expect(forged.status).toBe(401);

    // A request in flight when SIGTERM arrives still gets its answer: its body is sent after the signal.
    const body = JSON.stringify(demo);
    const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${url}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      });
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.flushHeaders();
      req.write(body.slice(0, 10));
      void first.serve.waitFor(/"msg":"stopping/).then(() => req.end(body.slice(10)));
    });
    // Give the server a moment to read the request's headers: from then on it is in flight, not idle.
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.serve.child.kill("SIGTERM");
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text).user.id).toBe(session.body.user.id);
    expect(await first.serve.exited).toBe(0);
    expect(first.serve.logged("stopped")).toHaveLength(1);
    expect(first.serve.stderr).toBe("");
    // Stopped means stopped: nothing listens any more.
    await expect(fetch(`${url}/health`)).rejects.toThrow();

    // The second start finds the data: the same demo user, and no new token.
    const second = await startServe(testDb.url);
    running.push(second.serve);
    expect(second.serve.human).toContain(`sign in as ${demo.email}, password ${demo.password}`);
    expect(second.serve.human).not.toMatch(/gwt_|created/);
    expect(second.serve.logged("migrated")).toHaveLength(0);
    const again = await login(second.url);
    expect(again.status).toBe(200);
    expect(again.body.user.id).toBe(session.body.user.id);
    const tokenStillWorks = await fetch(`${second.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(tokenStillWorks.status).toBe(403);
    expect(await second.serve.stop("SIGINT")).toBe(0);

    // Only now may this process open the database (PGlite allows one process at a time).
    const db = await testDb.open({ tables });
    expect(await db.repo(users).count()).toBe(2);
    expect(await db.repo(apiTokens).count()).toBe(1);
  });

  it("leaves an empty database empty when GROUNDWORK_DEMO is off", async () => {
    const { serve, url } = await startServe(testDb.url, { GROUNDWORK_DEMO: "off", LOG_LEVEL: "warn" });
    running.push(serve);
    expect(serve.human).not.toMatch(/sign in as|gwt_/);
    expect(serve.human).toMatch(/No users yet/);
    expect((await login(url)).status).toBe(401);
    expect(await serve.stop()).toBe(0);
    expect(serve.lines.filter((l) => l.startsWith("{"))).toEqual([]);
  });
});

describe("groundwork serve", () => {
  let testDb: TestDatabase;
  let blocker: Server | undefined;

  beforeEach(async () => {
    // Listening fails the same way whatever the database: SQLite is enough.
    const sqlite = testDialects().find((d) => d.dialect === "sqlite");
    if (!sqlite) throw new Error("no SQLite test dialect");
    testDb = await sqlite.create();
  });
  afterEach(async () => {
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    blocker = undefined;
    await testDb.drop();
  });

  it("says in one line that the port is taken, and exits 1", async () => {
    const taken = createServer();
    blocker = taken;
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)),
    );
    const serve = new ServeProcess({ DATABASE_URL: testDb.url, PORT: String(port), LOG_LEVEL: "silent" });
    expect(await serve.exited).toBe(1);
    expect(serve.stderr).toBe(`groundwork serve: port ${port} is in use; set PORT to another\n`);
  });

  it("checks where it is to listen before it makes or migrates the database, on every dialect", async () => {
    const refusals: [string, string][] = [
      ["example.invalid", "HOST example.invalid does not resolve to an address; set HOST to one that does"],
      [
        "10.255.255.1",
        "HOST 10.255.255.1 is not an address of this machine; set HOST to one that is (127.0.0.1, 0.0.0.0)",
      ],
    ];
    for (const dialect of testDialects()) {
      const fresh = await dialect.create();
      try {
        for (const [host, line] of refusals) {
          const serve = new ServeProcess({ DATABASE_URL: fresh.url, HOST: host, PORT: "0", LOG_LEVEL: "silent" });
          expect(await serve.exited, `${dialect.name} ${host}`).toBe(1);
          expect(serve.stderr).toBe(`groundwork serve: ${line}\n`);
        }
        const target = parseDatabaseUrl(fresh.url);
        // No SQLite file was made; on every dialect, nothing was migrated.
        if (target.driver === "better-sqlite3") expect(existsSync(target.file), dialect.name).toBe(false);
        const db = await fresh.open({ tables });
        const states = await new Migrator(db, migrationsDir(db.dialect)).status();
        expect(states.length).toBeGreaterThan(0);
        expect(
          states.every((state) => state.status === "pending"),
          dialect.name,
        ).toBe(true);
      } finally {
        await fresh.drop();
      }
    }
  });

  it("prints a URL a browser can open when it listens on every interface", async () => {
    expect(browsableUrl({ url: "http://[::]:80", port: 80 }, "::")).toBe("http://[::1]:80");
    expect(browsableUrl({ url: "http://[::0]:80", port: 80 }, "[::0]")).toBe("http://[::1]:80");
    expect(browsableUrl({ url: "http://127.0.0.1:80", port: 80 }, "0.0.0.0")).toBe("http://127.0.0.1:80");
    expect(browsableUrl({ url: "http://[::1]:80", port: 80 }, "::1")).toBe("http://[::1]:80");
    // Only where this machine has IPv6: listening on :: needs it.
    const ipv6 = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(0, "::1", () => probe.close(() => resolve(true)));
    });
    if (!ipv6) return;
    const serve = new ServeProcess({ DATABASE_URL: testDb.url, PORT: "0", HOST: "::", LOG_LEVEL: "silent" });
    try {
      const [, url] = await serve.waitFor(/^Groundwork is serving (http:\/\/\S+)$/);
      expect(url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it("refuses bad settings with one line", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: "http" }, /^groundwork serve: PORT must be a whole number from 0 to 65535/],
      [{ PORT: "70000" }, /^groundwork serve: PORT must be a whole number from 0 to 65535/],
      [{ LOG_LEVEL: "loud" }, /^groundwork serve: LOG_LEVEL must be one of fatal, error, warn, info/],
      [{ GROUNDWORK_DEMO: "maybe" }, /^groundwork serve: GROUNDWORK_DEMO must be on or off/],
    ];
    for (const [env, message] of cases) {
      const previous = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      try {
        const errors: string[] = [];
        const code = await main(["serve"], { info: () => {}, error: (l) => errors.push(l) });
        expect(code, JSON.stringify(env)).toBe(1);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(message);
      } finally {
        for (const [k, v] of Object.entries(previous)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    }
  });
});

describe.each(testDialects())("groundwork seed on $name", (dialect) => {
  let testDb: TestDatabase;
  const previous = process.env.DATABASE_URL;

  beforeEach(async () => {
    testDb = await dialect.create();
    process.env.DATABASE_URL = testDb.url;
  });
  afterEach(async () => {
    process.env.DATABASE_URL = previous;
    await testDb.drop();
  });

  it("migrates and seeds an empty database, and only an empty one", async () => {
    const lines: string[] = [];
    const out = { info: (l: string) => lines.push(l), error: (l: string) => lines.push(`error: ${l}`) };
    expect(await main(["seed"], out)).toBe(0);
    expect(lines).toContain("applied  0000_initial");
    expect(lines.join("\n")).toMatch(/^seeded the demo workspace into .*: users 2, teams 1, projects 1, tickets \d+/m);
    expect(lines).toContain(`sign in as ${demo.email}, password ${demo.password}`);
    expect(lines.join("\n")).toMatch(/API token of the agent "builder" \(shown once, keep it now\): gwt_/);

    lines.length = 0;
    expect(await main(["seed"], out)).toBe(0);
    expect(lines).toEqual(["the database is not empty: nothing seeded"]);

    lines.length = 0;
    expect(await main(["seed", "extra"], out)).toBe(1);
    expect(lines).toEqual([expect.stringMatching(/^error: groundwork seed: unexpected argument "extra"/)]);
  });
});
