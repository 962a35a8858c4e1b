import { fileURLToPath } from "node:url";
import type { Dialect } from "@groundwork/db";

/** Where the committed migrations of each dialect live. */
export function migrationsDir(dialect: Dialect): string {
  return fileURLToPath(new URL(`../migrations/${dialect}`, import.meta.url));
}
