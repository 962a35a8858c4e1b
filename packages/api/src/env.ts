import type { Database } from "@groundwork/db";
import type { Auth, Principal } from "@groundwork/domain";
import type { Logger } from "pino";

/** What the app is built from. */
export interface AppDependencies {
  db: Database;
  auth: Auth;
  logger: Logger;
  /** Largest accepted request body, in bytes (default 1 MiB; the routes that write a file's content take at least 8 MiB). */
  bodyLimit?: number;
  /** Answers whether the schema is current, for /ready. */
  migrationsCurrent?: () => Promise<boolean>;
}

/** Hono's per-request variables. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by the auth middleware when the request carries a valid bearer token. */
    principal?: Principal;
  };
}
