import type { TestDatabase } from "@groundwork/db/testing";
import { tables } from "@groundwork/domain";
import { sql } from "drizzle-orm";

/**
 * How many statistics the query planner holds about `table`: PostgreSQL's per column (`pg_stats`),
 * SQLite's per index (`sqlite_stat1`, which only ANALYZE makes).
 */
export async function plannerStatistics(open: TestDatabase["open"], table: string): Promise<number> {
  const db = await open({ tables });
  try {
    if (db.dialect === "postgres") {
      const [row] = await db.execute<{ n: number }>(
        sql`select count(*)::int as n from pg_stats where schemaname = current_schema() and tablename = ${table}`,
      );
      return row?.n ?? 0;
    }
    const [made] = await db.execute(sql`select 1 from sqlite_master where name = 'sqlite_stat1'`);
    if (!made) return 0;
    const [row] = await db.execute<{ n: number }>(sql`select count(*) as n from sqlite_stat1 where tbl = ${table}`);
    return row?.n ?? 0;
  } finally {
    await db.close();
  }
}
