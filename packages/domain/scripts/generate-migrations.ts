/**
 * Writes the next migration for both dialects when the schema changed:
 *   npm run db:generate -- <name>
 * Each gets up.sql (drizzle-kit's diff from the last snapshot), down.sql (the diff back) and the
 * new snapshot. Commit all three; the test suite fails while the schema and migrations disagree.
 */
import { type Dialect, generateMigration } from "@groundwork/db";
import { migrationsDir, tables } from "../src/index.js";

const name = process.argv[2] ?? "";
if (!/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:generate -- <name>   (lower-case letters, digits and _, e.g. add_ticket_labels)");
  process.exit(1);
}

for (const dialect of ["sqlite", "postgres"] as Dialect[]) {
  const id = await generateMigration({ dialect, tables, dir: migrationsDir(dialect) }, name);
  console.log(id ? `${dialect}: wrote migrations/${dialect}/${id}` : `${dialect}: the schema has not changed`);
}
