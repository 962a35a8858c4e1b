import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** One migration on disk: `<dir>/<id>/up.sql`, `down.sql` and the schema `snapshot.json` after it. */
export interface MigrationFile {
  id: string;
  up: string[];
  down: string[];
  checksum: string;
  dir: string;
}

export const STATEMENT_BREAK = "--> statement-breakpoint";

const MIGRATION_ID = /^\d{4}_[a-z0-9_]+$/;

/** The migrations in `dir`, oldest first. */
export function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && MIGRATION_ID.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((id) => {
      const folder = path.join(dir, id);
      const up = readFileSync(path.join(folder, "up.sql"), "utf8");
      const down = existsSync(path.join(folder, "down.sql")) ? readFileSync(path.join(folder, "down.sql"), "utf8") : "";
      return {
        id,
        up: splitStatements(up),
        down: splitStatements(down),
        // Both directions count: a changed down migration would undo something else than was done.
        checksum: createHash("sha256").update(up).update("\0").update(down).digest("hex"),
        dir: folder,
      };
    });
}

export function splitStatements(text: string): string[] {
  return text
    .split(STATEMENT_BREAK)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The snapshot of the newest migration in `dir`, or undefined when there is none. */
export function latestSnapshot(dir: string): unknown {
  const latest = readMigrations(dir).at(-1);
  if (!latest) return undefined;
  return JSON.parse(readFileSync(path.join(latest.dir, "snapshot.json"), "utf8"));
}
