import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type Database, Migrator } from "@groundwork/db";
import { Auth, migrationsDir } from "@groundwork/domain";
import { serve } from "@hono/node-server";
import type { Logger } from "pino";
import { createApp } from "./app.js";
import { problem } from "./problem.js";

/** Room for the request line and headers: Node's default is 16 KiB, short for long filter URLs. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Requests that never reach the app, because Node could not parse them, still get a problem
 * document (Node's own answer is a bare status line): 431 for a URL or headers over the limit,
 * 400 for anything else that is not HTTP.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const body = JSON.stringify(
    error.code === "HPE_HEADER_OVERFLOW"
      ? problem(
          "headers_too_large",
          { detail: `the URL and headers may have at most ${MAX_HEADER_BYTES} bytes` },
          requestId,
        )
      : problem("validation_failed", { detail: "the request is not valid HTTP" }, requestId),
  );
  const status = error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface ServerOptions {
  db: Database;
  logger: Logger;
  port?: number;
  host?: string;
  bodyLimit?: number;
}

export interface RunningServer {
  /** `http://host:port`, the port chosen by the system when 0 was asked for. */
  url: string;
  port: number;
  auth: Auth;
  /** Stops accepting connections, lets requests in flight finish, then resolves. Does not close the database. */
  close(): Promise<void>;
}

/** Migrates the database to the current schema and serves the API on it. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { db, logger } = options;
  const migrator = new Migrator(db, migrationsDir(db.dialect));
  const applied = await migrator.up();
  if (applied.length > 0) logger.info({ applied }, "migrated");
  const auth = await Auth.create(db);
  const app = createApp({
    db,
    auth,
    logger,
    bodyLimit: options.bodyLimit,
    migrationsCurrent: () => migrator.isCurrent(),
  });

  const host = options.host ?? "127.0.0.1";
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        port: options.port ?? 3000,
        hostname: host,
        serverOptions: { maxHeaderSize: MAX_HEADER_BYTES },
      },
      () => resolve(s),
    );
    s.once("error", reject);
    s.on("clientError", answerClientError);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost === "0.0.0.0" ? "127.0.0.1" : shownHost}:${port}`,
    port,
    auth,
    close: () =>
      new Promise<void>((resolve, reject) => {
        const http = server as { closeIdleConnections?: () => void };
        // Keep-alive connections would hold close() open until they time out: close each one as soon
        // as it is idle, which is once its request in flight (if any) has been answered.
        const sweep = setInterval(() => http.closeIdleConnections?.(), 50);
        server.close((error) => {
          clearInterval(sweep);
          if (error) reject(error);
          else resolve();
        });
        http.closeIdleConnections?.();
      }),
  };
}
