import { Migrator, openDatabase, parseDatabaseUrl } from "@groundwork/db";
import { migrationsDir, tables } from "@groundwork/domain";
import { readConfig } from "../config.js";
import { openExistingDatabase } from "../open.js";
import { commandArgs, type Output, UsageError } from "../output.js";
import { rowCounts, transferRows } from "../transfer.js";

export const transferHelp = `Usage: groundwork transfer --to <url>

Copies every row of the database (DATABASE_URL, default file:./data/groundwork.db) into the
database at <url>, either dialect: file:<path> for SQLite, postgres://… for PostgreSQL. The way from
one SQLite file to a PostgreSQL server, or back.

The target gets the schema first (its pending migrations are applied) and must hold no rows. The copy
is one transaction: each table is checked to hold as many rows, with the same checksum, as the
source before it commits, and a mismatch keeps nothing. The source is only read; stop the server
first, so that nothing written during the copy is left behind.`;

export async function transfer(args: string[], out: Output): Promise<number> {
  const { values } = commandArgs("transfer", args, { to: { type: "string" } });
  const to = values.to?.trim();
  if (!to) throw new UsageError("name the target database with --to <url>; see groundwork transfer --help");
  try {
    parseDatabaseUrl(to);
  } catch (error) {
    throw new UsageError(`--to: ${(error as Error).message.replace(/^DATABASE_URL /, "")}`);
  }

  const source = await openExistingDatabase(readConfig());
  try {
    const target = await openDatabase({ url: to, tables });
    try {
      if (target.url === source.url) throw new UsageError("the target is the database being copied");
      const states = await new Migrator(source, migrationsDir(source.dialect)).status();
      const behind = states.filter((s) => s.status !== "applied");
      if (behind.length > 0) {
        throw new UsageError(
          `the source database is not current (${behind.map((s) => `${s.id} ${s.status}`).join(", ")}): run groundwork migrate up on it first`,
        );
      }
      const definitions = Object.values(tables);
      // Checked before the target's schema is touched, so that a refusal changes nothing.
      const held = await rowCounts(target, definitions);
      if (held.size > 0) {
        const some = [...held].slice(0, 3).map(([name, n]) => `${name}: ${n}`);
        throw new UsageError(
          `the target holds rows already (${some.join(", ")}): transfer copies into an empty database`,
        );
      }
      const applied = await new Migrator(target, migrationsDir(target.dialect)).up();
      for (const id of applied) out.info(`applied  ${id} to the target`);
      out.info(`copying ${source.url} (${source.driver}) to ${target.url} (${target.driver}) …`);
      const copied = await transferRows(source, target, definitions, (line) => out.info(line));
      out.info(`copied ${copied.rows} rows of ${copied.tables} tables; every table's count and checksum match`);
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
