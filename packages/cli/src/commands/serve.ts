import { createServer } from "node:net";
import { type RunningServer, startServer } from "@groundwork/api";
import { users } from "@groundwork/domain";
import { findDemoLogin, seedDemo } from "@groundwork/domain/seed";
import pino, { type Logger } from "pino";
import { readServeConfig, type ServeConfig } from "../config.js";
import { openConfiguredDatabase } from "../open.js";
import { commandArgs, type Output } from "../output.js";

export const serveHelp = `Usage: groundwork serve

Serves the Groundwork HTTP API (what npm start runs): migrates the database to the current schema,
seeds the demo workspace into an empty database, listens, and prints the URL, the API reference and
the demo sign-in. Ctrl-C (SIGINT) or SIGTERM stops it: requests in flight finish first, then the
database is closed; a second Ctrl-C stops at once.

Environment:
  DATABASE_URL     the database (default file:./data/groundwork.db; also :memory:, postgres://…,
                   pglite://<dir>, pglite://memory)
  PORT             the port to listen on (default 3000; 0 picks a free one)
  HOST             the address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  LOG_LEVEL        fatal, error, warn, info (default), debug, trace or silent: JSON lines on stdout
  GROUNDWORK_DEMO  seed the demo workspace into an empty database (default on; 0, false or off: don't)`;

export async function serve(args: string[], out: Output): Promise<number> {
  commandArgs("serve", args, {});
  const config = readServeConfig();
  const logger = pino({ name: "groundwork", level: config.logLevel });
  // Watched from the start, so a signal during start-up still ends in an orderly stop.
  const stop = watchStopSignals(logger);
  try {
    // Where to listen is checked before the database is opened, made or migrated: a HOST that does
    // not resolve, or a port in use, changes nothing.
    const cannotListen = await listenCheck(config);
    if (cannotListen) {
      out.error(`groundwork serve: ${cannotListen}`);
      return 1;
    }
    const db = await openConfiguredDatabase(config);
    try {
      let server: RunningServer;
      try {
        server = await startServer({ db, logger, port: config.port, host: config.host });
      } catch (error) {
        const line = listenFailure(error, config);
        if (!line) throw error;
        out.error(`groundwork serve: ${line}`);
        return 1;
      }
      const url = browsableUrl(server, config.host);
      try {
        const seeded = config.demo && !stop.requested ? await seedDemo(db, server.auth) : undefined;
        const login = seeded?.created ? seeded.user : await findDemoLogin(db);
        out.info(`Groundwork is serving ${url}`);
        out.info(`  API reference  ${url}/docs`);
        out.info(`  OpenAPI        ${url}/openapi.json`);
        out.info(`  database       ${db.url} (${db.driver})`);
        if (login) {
          out.info(
            `Demo workspace${seeded?.created ? " created" : ""}: sign in as ${login.email}, password ${login.password}`,
          );
        }
        if (seeded?.agentToken) {
          out.info(`  API token of the agent "${seeded.agentName}" (shown once, keep it now): ${seeded.agentToken}`);
        }
        if (!login && !config.demo && (await db.repo(users).count({}, { deleted: "include" })) === 0) {
          out.info("No users yet: sign up with POST /api/v1/auth/signup (GROUNDWORK_DEMO is off).");
        }
        out.info("Press Ctrl-C to stop.");
        const signal = await stop.signal;
        logger.info({ signal }, "stopping: letting requests in flight finish");
      } finally {
        await server.close();
      }
    } finally {
      await db.close();
    }
    logger.info("stopped");
    return 0;
  } finally {
    stop.dispose();
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
  }
}

/**
 * The server's URL as a browser on this machine can open it: listening on every interface (0.0.0.0,
 * or :: for IPv6 and IPv4), it is reached by the loopback address, 127.0.0.1 or [::1].
 */
export function browsableUrl(server: { url: string; port: number }, host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (bare.includes(":") && /^[0:]+$/.test(bare)) return `http://[::1]:${server.port}`;
  return server.url;
}

/** Why the server could not listen where `config` says, found by listening there a moment; undefined if it can. */
async function listenCheck(config: ServeConfig): Promise<string | undefined> {
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen({ host: config.host, port: config.port }, resolve);
    });
  } catch (error) {
    const line = listenFailure(error, config);
    if (!line) throw error;
    return line;
  }
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return undefined;
}

/** The one line to show when the server could not listen; undefined for other failures. */
function listenFailure(error: unknown, config: ServeConfig): string | undefined {
  switch ((error as { code?: string }).code) {
    case "EADDRINUSE":
      return `port ${config.port} is in use; set PORT to another`;
    case "EACCES":
      return `no permission to listen on port ${config.port}; set PORT to one above 1023`;
    case "EADDRNOTAVAIL":
      return `HOST ${config.host} is not an address of this machine; set HOST to one that is (127.0.0.1, 0.0.0.0)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `HOST ${config.host} does not resolve to an address; set HOST to one that does`;
    default:
      return undefined;
  }
}

/** The first SIGINT or SIGTERM asks for an orderly stop; a second one stops the process at once. */
function watchStopSignals(logger: Logger) {
  let requested: NodeJS.Signals | undefined;
  let resolve: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  const onSignal = (received: NodeJS.Signals) => {
    if (requested) {
      logger.warn({ signal: received }, "stopping at once, without waiting for requests in flight");
      logger.flush();
      process.exit(1);
    }
    requested = received;
    resolve(received);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) process.on(s, onSignal);
  return {
    signal,
    get requested() {
      return requested;
    },
    dispose: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
