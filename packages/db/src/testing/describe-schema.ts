import { sql } from "drizzle-orm";
import type { Session } from "../database/session.js";

/**
 * Everything that defines the schema (tables, columns, types, defaults, indexes, constraints) as
 * sorted lines, so two states of a database can be compared with `toEqual`.
 */
export async function describeSchema(db: Session): Promise<string[]> {
  if (db.dialect === "sqlite") {
    const rows = await db.execute<{ type: string; name: string; sql: string | null }>(
      sql`select type, name, sql from sqlite_master where name not like 'sqlite_%' and name != '__groundwork_migrations' order by type, name`,
    );
    // A table rebuilt by rename keeps its name quoted as "x" rather than `x`: the same table.
    const normalized = (text: string) => text.replace(/^CREATE TABLE [`"](\w+)[`"]/, "CREATE TABLE $1");
    return rows.map((r) => `${r.type} ${r.name}: ${normalized(r.sql ?? "")}`);
  }
  const columns = await db.execute<Record<string, string>>(sql`
    select table_name, column_name, data_type, is_nullable, coalesce(column_default, '') as column_default,
           coalesce(character_maximum_length::text, '') as length
    from information_schema.columns
    where table_schema = current_schema() and table_name != '__groundwork_migrations'
    order by table_name, column_name`);
  const indexes = await db.execute<Record<string, string>>(sql`
    select tablename, indexname, indexdef from pg_indexes
    where schemaname = current_schema() and tablename != '__groundwork_migrations'
    order by tablename, indexname`);
  const constraints = await db.execute<Record<string, string>>(sql`
    select c.conrelid::regclass::text as table_name, c.conname, pg_get_constraintdef(c.oid) as definition
    from pg_constraint c join pg_namespace n on n.oid = c.connamespace
    where n.nspname = current_schema() and c.conrelid::regclass::text != '__groundwork_migrations'
    order by 1, 2`);
  return [
    ...columns.map((c) => `column ${Object.values(c).join(" ")}`),
    ...indexes.map((i) => `index ${Object.values(i).join(" ")}`),
    ...constraints.map((c) => `constraint ${Object.values(c).join(" ")}`),
  ];
}
