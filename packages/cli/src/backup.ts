import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, rmSync } from "node:fs";
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
 * Writes a copy of the whole database to `file`, which must not exist yet. SQLite: an online backup
 * (a complete database file, consistent while others write). PostgreSQL: a logical dump, one JSON
 * line per row (`{"table": …, "row": {…}}`) of every workspace table the database has, all read in
 * one repeatable-read transaction. `progress` hears how far it got, now and then.
 */
export async function backupDatabase(
  db: Database,
  file: string,
  progress: (line: string) => void = () => {},
): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = db.shared.sqlite;
  if (sqlite) {
    if (existsSync(file)) throw new Error(`${file} exists already`);
    let reported = 0;
    try {
      await sqlite.client.backup(file, {
        progress({ totalPages, remainingPages }) {
          const done = totalPages === 0 ? 100 : Math.floor(((totalPages - remainingPages) / totalPages) * 100);
          if (done >= reported + 10 && remainingPages > 0) {
            reported = done - (done % 10);
            progress(`  ${reported}% of ${totalPages} pages`);
          }
          return 1000;
        },
      });
    } catch (error) {
      // Half a backup is no backup: leave nothing that could be taken for one.
      rmSync(file, { force: true });
      throw error;
    }
    return;
  }
  const out = createWriteStream(file, { flags: "wx" });
  // Open first: a file that exists is an error before anything is read.
  await once(out, "open");
  try {
    await db.transaction(
      async (tx) => {
        for (const table of db.shared.tables.keys()) {
          const [found] = await tx.execute<{ present: boolean }>(
            sql`select to_regclass(${`"${table}"`}) is not null as present`,
          );
          if (!found?.present) continue;
          let count = 0;
          for (let offset = 0; ; offset += BATCH) {
            const rows = await tx.execute(
              sql`select * from ${sql.identifier(table)} order by 1 limit ${BATCH} offset ${offset}`,
            );
            for (const row of rows) {
              if (!out.write(`${JSON.stringify({ table, row })}\n`)) await once(out, "drain");
            }
            count += rows.length;
            if (rows.length < BATCH) break;
          }
          progress(`  ${table}: ${count} ${count === 1 ? "row" : "rows"}`);
        }
      },
      { isolationLevel: "repeatable read" },
    );
  } catch (error) {
    out.destroy();
    rmSync(file, { force: true });
    throw error;
  }
  out.end();
  await finished(out);
}
