import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { finished } from "node:stream/promises";
import type { Database } from "@groundwork/db";
import { sql } from "drizzle-orm";

/** `./data/backups/groundwork-<time>.<db|jsonl>`, beside the default database. */
export function defaultBackupFile(db: Database, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replaceAll(":", "-")
    .replace(/\.\d+Z$/, "Z");
  return path.resolve("data", "backups", `groundwork-${stamp}.${db.dialect === "sqlite" ? "db" : "jsonl"}`);
}

const BATCH = 1000;

/**
 * Writes a copy of the whole database to `file`. SQLite: an online backup (a complete database
 * file, consistent while others write). PostgreSQL: a logical dump, one JSON line per row
 * (`{"table": …, "row": {…}}`), every table read in one repeatable-read transaction.
 */
export async function backupDatabase(db: Database, file: string): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = db.shared.sqlite;
  if (sqlite) {
    await sqlite.client.backup(file);
    return;
  }
  const out = createWriteStream(file, { flags: "wx" });
  await db.transaction(
    async (tx) => {
      for (const table of db.shared.tables.keys()) {
        for (let offset = 0; ; offset += BATCH) {
          const rows = await tx.execute(
            sql`select * from ${sql.identifier(table)} order by 1 limit ${BATCH} offset ${offset}`,
          );
          for (const row of rows) {
            if (!out.write(`${JSON.stringify({ table, row })}\n`))
              await new Promise<void>((resolve) => out.once("drain", () => resolve()));
          }
          if (rows.length < BATCH) break;
        }
      }
    },
    { isolationLevel: "repeatable read" },
  );
  out.end();
  await finished(out);
}
