import { type Database, openDatabase } from "@groundwork/db";
import { tables } from "@groundwork/domain";
import type { Config } from "./config.js";

/** Opens the configured database with the workspace's tables. */
export function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({ url: config.databaseUrl, replicaUrls: config.replicaUrls, poolMax: config.poolMax, tables });
}
