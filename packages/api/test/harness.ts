import { type Client, createClient, unwrap } from "@groundwork/client";
import type { Database } from "@groundwork/db";
import type { TestDatabase, TestDialect } from "@groundwork/db/testing";
import { tables } from "@groundwork/domain";
import pino from "pino";
import { type RunningServer, startServer } from "../src/index.js";

export interface TestApi {
  url: string;
  db: Database;
  server: RunningServer;
  /** A client, signed in with `token` when given. */
  client(token?: string): Client;
  /** Signs up a new user and returns their client and data. */
  signUp(name?: string): Promise<{
    client: Client;
    user: { id: string; email: string };
    accessToken: string;
    refreshToken: string;
    password: string;
  }>;
  close(): Promise<void>;
}

let counter = 0;

/** A real server on a loopback port, on a fresh database of the given dialect. */
export async function startTestApi(dialect: TestDialect): Promise<TestApi> {
  const testDb: TestDatabase = await dialect.create();
  const db = await testDb.open({ tables });
  const server = await startServer({ db, logger: pino({ level: "silent" }), port: 0 });
  const client = (token?: string) => createClient(server.url, { token });
  return {
    url: server.url,
    db,
    server,
    client,
    async signUp(name = "User") {
      const password = "correct horse battery staple";
      const email = `${name.toLowerCase().replace(/\W+/g, "-")}-${process.pid}-${++counter}@example.com`;
      const session = await unwrap(client().api.v1.auth.signup.$post({ json: { email, password, name } }));
      return {
        client: client(session.accessToken),
        user: session.user,
        accessToken: session.accessToken,
        refreshToken: session.refreshToken,
        password,
      };
    },
    async close() {
      await server.close();
      await testDb.drop();
    },
  };
}
