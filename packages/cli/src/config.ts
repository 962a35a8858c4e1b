import { ConfigurationError } from "@groundwork/db";

/** Settings read from the environment; every one has a safe default. */
export interface Config {
  databaseUrl: string;
  replicaUrls: string[];
  poolMax: number | undefined;
}

export const DEFAULT_DATABASE_URL = "file:./data/groundwork.db";

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const poolMax = env.DATABASE_POOL_MAX?.trim();
  if (poolMax && !/^[1-9]\d*$/.test(poolMax)) {
    throw new ConfigurationError(`DATABASE_POOL_MAX must be a whole number ≥ 1, not "${poolMax}"`);
  }
  return {
    databaseUrl: env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL,
    replicaUrls: (env.DATABASE_REPLICA_URLS ?? "")
      .split(",")
      .map((u) => u.trim())
      .filter((u) => u.length > 0),
    poolMax: poolMax ? Number(poolMax) : undefined,
  };
}

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/** What `groundwork serve` needs on top of the database settings. */
export interface ServeConfig extends Config {
  port: number;
  host: string;
  logLevel: LogLevel;
  /** Seed the demo workspace into an empty database. */
  demo: boolean;
}

export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = "127.0.0.1";
const on = ["1", "true", "on", "yes"];
const off = ["0", "false", "off", "no"];

/** The database settings plus PORT, HOST, LOG_LEVEL and GROUNDWORK_DEMO; a bad value is a one-line error. */
export function readServeConfig(env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const port = env.PORT?.trim();
  if (port && (!/^\d{1,5}$/.test(port) || Number(port) > 65_535)) {
    throw new ConfigurationError(`PORT must be a whole number from 0 to 65535 (0: any free port), not "${port}"`);
  }
  const logLevel = env.LOG_LEVEL?.trim().toLowerCase() || "info";
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    throw new ConfigurationError(`LOG_LEVEL must be one of ${logLevels.join(", ")}, not "${env.LOG_LEVEL}"`);
  }
  const demo = env.GROUNDWORK_DEMO?.trim().toLowerCase() || "on";
  if (![...on, ...off].includes(demo)) {
    throw new ConfigurationError(
      `GROUNDWORK_DEMO must be on or off (1/0, true/false, yes/no), not "${env.GROUNDWORK_DEMO}"`,
    );
  }
  return {
    ...readConfig(env),
    port: port ? Number(port) : DEFAULT_PORT,
    host: env.HOST?.trim() || DEFAULT_HOST,
    logLevel: logLevel as LogLevel,
    demo: on.includes(demo),
  };
}
