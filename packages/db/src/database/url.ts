import { homedir } from "node:os";
import path from "node:path";
import { ConfigurationError } from "../errors/errors.js";

/** Where the data lives, read from a `DATABASE_URL`. */
export type DatabaseTarget =
  | { driver: "better-sqlite3"; dialect: "sqlite"; file: string | ":memory:" }
  | { driver: "postgres-js"; dialect: "postgres"; url: string }
  | { driver: "pglite"; dialect: "postgres"; dataDir: string | undefined };

const FORMS = "a file path, file:<path>, :memory:, postgres://…, pglite://<dir> or pglite://memory";

/** A path as a shell would take it: `~/` is the home folder (a URL is not expanded by the shell). */
const resolvePath = (file: string) =>
  path.resolve(file === "~" || file.startsWith("~/") ? homedir() + file.slice(1) : file);

/**
 * `:memory:`, a plain path or `file:<path>` → SQLite; `postgres://` or `postgresql://` → a
 * PostgreSQL server; `pglite://memory` or `pglite://<dir>` → embedded PostgreSQL.
 */
export function parseDatabaseUrl(raw: string): DatabaseTarget {
  const url = raw.trim();
  if (url === "") throw new ConfigurationError(`DATABASE_URL is empty; use ${FORMS}`);
  if (url === ":memory:" || url === "file::memory:" || url === "sqlite::memory:") {
    return { driver: "better-sqlite3", dialect: "sqlite", file: ":memory:" };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  // A Windows drive letter (C:\…) is a path, not a scheme.
  if (!scheme || /^[a-z]:[\\/]/i.test(url))
    return { driver: "better-sqlite3", dialect: "sqlite", file: resolvePath(url) };

  switch (scheme) {
    case "file":
    case "sqlite": {
      const rest = url.slice(scheme.length + 1).replace(/^\/\/(?=\/)/, "");
      const [file = "", options] = rest.split("?");
      if (file === "" || file === "//") throw new ConfigurationError(`DATABASE_URL "${url}" names no file`);
      // Options such as ?mode=ro would be silently ignored: the database would be opened read-write.
      if (options !== undefined) {
        throw new ConfigurationError(`DATABASE_URL "${url}": SQLite URLs take no options (?${options})`);
      }
      return { driver: "better-sqlite3", dialect: "sqlite", file: resolvePath(decodeURIComponent(file)) };
    }
    case "postgres":
    case "postgresql": {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new ConfigurationError(
          `DATABASE_URL is not a valid PostgreSQL URL (expected postgres://user@host:port/database)`,
        );
      }
      if (!parsed.hostname && !parsed.searchParams.get("host")) {
        throw new ConfigurationError(`DATABASE_URL "${redact(parsed)}" names no host`);
      }
      return { driver: "postgres-js", dialect: "postgres", url };
    }
    case "pglite": {
      const rest = url.slice("pglite://".length);
      if (!url.toLowerCase().startsWith("pglite://") || rest === "") {
        throw new ConfigurationError(`DATABASE_URL "${url}": use pglite://memory or pglite://<directory>`);
      }
      return {
        driver: "pglite",
        dialect: "postgres",
        dataDir: rest === "memory" ? undefined : resolvePath(decodeURIComponent(rest)),
      };
    }
    default:
      throw new ConfigurationError(`DATABASE_URL scheme "${scheme}:" is not supported; use ${FORMS}`);
  }
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(raw: string): string {
  try {
    return redact(new URL(raw));
  } catch {
    return raw.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
  }
}

function redact(url: URL): string {
  if (url.password) url.password = "***";
  return url.toString();
}

/**
 * The host and port of a PostgreSQL URL that names its server by an IPv6 address (`[::1]:5432`),
 * else undefined. postgres-js splits a URL's host at its first `:`, so such a host would reach the
 * resolver as `[`: it is given to postgres-js apart (porsager/postgres#663). A URL that `URL` cannot
 * read (postgres-js's `host1:5432,host2:5433`) is left to postgres-js.
 */
export function ipv6Hosts(raw: string): { host: string[]; port: number[] } | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (!url.hostname.startsWith("[")) return undefined;
  return { host: [url.hostname.slice(1, -1)], port: [Number(url.port || process.env.PGPORT || 5432)] };
}
