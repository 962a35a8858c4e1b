import type { AnyTable } from "@groundwork/db";
import type { TestDatabase } from "@groundwork/db/testing";
import { tables } from "@groundwork/domain";
import { sql } from "drizzle-orm";

/**
 * Every row of every table, keyed by table: as the layer reads them (`rows`) and as the driver returns
 * them from `select *` (`stored`: what is stored, not how it reads), each table's sorted by its JSON
 * text, so that two databases holding the same rows compare equal.
 */
export async function everything(open: TestDatabase["open"]) {
  const db = await open({ tables });
  const rows: Record<string, unknown[]> = {};
  const stored: Record<string, string[]> = {};
  for (const table of Object.values(tables) as AnyTable[]) {
    const read = (await db.repo(table).list({ limit: 10_000, deleted: "include" })).data as Record<string, unknown>[];
    rows[table.name] = read.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const raw = await db.execute(sql`select * from ${sql.identifier(table.name)}`);
    stored[table.name] = raw.map((row) => JSON.stringify(row)).sort();
  }
  await db.close();
  return { rows, stored };
}
