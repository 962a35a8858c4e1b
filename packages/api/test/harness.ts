import { ApiError, type Client, createClient, unwrap } from "@groundwork/client";
import type { Database } from "@groundwork/db";
import type { TestDatabase, TestDialect } from "@groundwork/db/testing";
import { agents, projects, type TeamRole, tables } from "@groundwork/domain";
import pino from "pino";
import { expect } from "vitest";
import { type RunningServer, startServer } from "../src/index.js";

/** A signed-up user and a client signed in as them. */
export interface Person {
  client: Client;
  id: string;
  email: string;
  accessToken: string;
}

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
  /** A new user, signed in. */
  person(name: string): Promise<Person>;
  /** A new agent of the team, with a client that authenticates with its own API token. */
  agent(teamId: string, name?: string): Promise<{ id: string; token: string; client: Client }>;
  /**
   * A new team made by `owner` over HTTP, each of `members` added in their role, and a project in
   * it (written directly: the project routes have tests of their own).
   */
  teamProject(
    owner: Person,
    members?: readonly (readonly [Person, TeamRole])[],
  ): Promise<{ teamId: string; projectId: string }>;
  close(): Promise<void>;
}

/** Expects the call to fail with this problem; returns the ApiError for more checks. */
export async function expectProblem(call: Promise<unknown>, status: number, code: string): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${status} ${code}`).toBeInstanceOf(ApiError);
  expect((error as ApiError).status).toBe(status);
  expect((error as ApiError).code).toBe(code);
  return error as ApiError;
}

let counter = 0;

/** A real server on a loopback port, on a fresh database of the given dialect. */
export async function startTestApi(dialect: TestDialect): Promise<TestApi> {
  const testDb: TestDatabase = await dialect.create();
  const db = await testDb.open({ tables });
  const server = await startServer({ db, logger: pino({ level: "silent" }), port: 0 });
  const client = (token?: string) => createClient(server.url, { token });
  const api: TestApi = {
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
    async person(name) {
      const { client, user, accessToken } = await api.signUp(name);
      return { client, id: user.id, email: user.email, accessToken };
    },
    async agent(teamId, name = "Bot") {
      const agent = await db.repo(agents).create({ teamId, name, provider: "test", model: "test-1" });
      const { token } = await server.auth.createApiToken(
        { db, principal: { kind: "agent", agentId: agent.id, teamId, tokenId: "" } },
        { name },
        { agentId: agent.id },
      );
      return { id: agent.id, token, client: client(token) };
    },
    async teamProject(owner, members = []) {
      const slug = `team-${process.pid}-${++counter}`;
      const team = await unwrap(owner.client.api.v1.teams.$post({ json: { name: "Team", slug } }));
      for (const [person, role] of members) {
        await unwrap(
          owner.client.api.v1.teams[":teamId"].members.$post({
            param: { teamId: team.id },
            json: { userId: person.id, role },
          }),
        );
      }
      const project = await db.repo(projects).create({ teamId: team.id, name: "Project" });
      return { teamId: team.id, projectId: project.id };
    },
    async close() {
      await server.close();
      await testDb.drop();
    },
  };
  return api;
}
