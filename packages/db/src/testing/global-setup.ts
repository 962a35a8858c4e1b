import type { TestProject } from "vitest/node";
import { postgresClient } from "../database/postgres-client.js";

export const DEFAULT_TEST_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

declare module "vitest" {
  export interface ProvidedContext {
    /** The PostgreSQL server tests create their databases on, or "pglite" to use embedded PostgreSQL. */
    postgresTarget: string;
  }
}

/**
 * Decides once, before any test file runs, where the PostgreSQL tests go. Under `CI=true` they must
 * use the server (`TEST_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/test) and the run
 * fails if it does not answer; elsewhere an unreachable server means PGlite.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_POSTGRES_URL;
  const forced = process.env.GROUNDWORK_TEST_POSTGRES; // "pglite" to skip the server
  const ci = process.env.CI === "true" || process.env.CI === "1";
  if (forced === "pglite" && !ci) {
    project.provide("postgresTarget", "pglite");
    return;
  }
  const client = postgresClient(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await client`select 1`;
    project.provide("postgresTarget", url);
    console.log(`PostgreSQL tests run on ${url.replace(/:[^:@/]*@/, ":***@")}`);
  } catch (error) {
    if (ci) {
      throw new Error(`CI: cannot reach the PostgreSQL server at ${url}: ${(error as Error).message}`);
    }
    project.provide("postgresTarget", "pglite");
    console.log(`No PostgreSQL server at ${url}; PostgreSQL tests run on PGlite`);
  } finally {
    await client.end({ timeout: 1 });
  }
}
