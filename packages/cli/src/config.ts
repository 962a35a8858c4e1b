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
