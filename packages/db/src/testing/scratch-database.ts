import { randomBytes } from "node:crypto";
import { postgresClient } from "../database/postgres-client.js";

/** A new, empty database on a PostgreSQL server: one test file's, or one benchmark run's. */
export interface ScratchDatabase {
  /** The server's URL with the new database's name as its path. */
  readonly url: string;
  /** Deletes the database, ending the connections still open to it. */
  drop(): Promise<void>;
}

/** Runs one statement on a connection of its own to the server of `serverUrl`. */
async function onServer(serverUrl: string, statement: string): Promise<void> {
  const admin = postgresClient(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * Creates a database named `<prefix>_<pid>_<random hex>` on the server of `serverUrl`, whose user
 * may create databases. Importable outside a test run (it needs no vitest), so the benchmarks use it
 * too.
 */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  await onServer(serverUrl, `create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => onServer(serverUrl, `drop database if exists "${name}" with (force)`),
  };
}
