import { parseArgs } from "node:util";
import { Migrator } from "@groundwork/db";
import { migrationsDir } from "@groundwork/domain";
import { readConfig } from "../config.js";
import { openConfiguredDatabase } from "../open.js";
import type { Output } from "../output.js";

export const serveHelp = `Usage: groundwork serve

Migrates the database (DATABASE_URL, default file:./data/groundwork.db) to the current schema and
reports what it holds. The HTTP API is not part of this version.`;

export async function serve(args: string[], out: Output): Promise<number> {
  const { values } = parseArgs({ args, options: { help: { type: "boolean", short: "h" } } });
  if (values.help) {
    out.info(serveHelp);
    return 0;
  }
  const db = await openConfiguredDatabase(readConfig());
  try {
    const migrator = new Migrator(db, migrationsDir(db.dialect));
    const applied = await migrator.up();
    const states = await migrator.status();
    out.info(`Groundwork database: ${db.url} (${db.driver})`);
    out.info(
      applied.length > 0
        ? `  migrated: ${applied.join(", ")}`
        : `  schema current (${states.length} migration${states.length === 1 ? "" : "s"} applied)`,
    );
    out.info(`  tables: ${db.shared.tables.size}`);
    out.info("The HTTP API is not part of this version; `npm test` runs the data layer's suite.");
    return 0;
  } finally {
    await db.close();
  }
}
