import { type MigrationState, Migrator, parseDatabaseUrl, readMigrations } from "@groundwork/db";
import { migrationsDir } from "@groundwork/domain";
import { backupDatabase, defaultBackupFile } from "../backup.js";
import { readConfig } from "../config.js";
import { openConfiguredDatabase, openExistingDatabase } from "../open.js";
import { commandArgs, type Output, UsageError } from "../output.js";

export const migrateHelp = `Usage: groundwork migrate <status|up|down> [options]

  status              list every migration and whether it is applied
  up [--to <id>]      apply pending migrations (up to and including <id>)
  down [--to <id>]    revert the newest migration, or every one after <id>;
                      --to 0 reverts them all
       [--force]      revert even when it deletes data (a backup is written first)

The database is DATABASE_URL (default file:./data/groundwork.db).`;

export async function migrate(args: string[], out: Output): Promise<number> {
  const { values, positionals } = commandArgs(
    "migrate",
    args,
    { to: { type: "string" }, force: { type: "boolean" } },
    1,
  );
  const [action] = positionals;
  if (!action) {
    out.info(migrateHelp);
    return 1;
  }
  if (!["status", "up", "down"].includes(action)) {
    throw new UsageError(`unknown migrate action "${action}"; use status, up or down`);
  }
  if (action === "status" && (values.to !== undefined || values.force)) throw new UsageError("status takes no options");
  if (action === "up" && values.force) throw new UsageError("--force is for down only");
  const to = values.to?.trim();
  if (to === "")
    throw new UsageError("--to needs a migration id (groundwork migrate status lists them; down --to 0 reverts all)");

  const config = readConfig();
  // An id no migration has is refused before the database is opened (which, for up, makes it).
  if (to !== undefined && !(action === "down" && to === "0")) {
    const ids = readMigrations(migrationsDir(parseDatabaseUrl(config.databaseUrl).dialect)).map((m) => m.id);
    if (!ids.includes(to)) {
      throw new UsageError(`no migration "${to}"; groundwork migrate status lists them`);
    }
  }
  // Only `up` makes the database it migrates, as serve does.
  const db = await (action === "up" ? openConfiguredDatabase(config) : openExistingDatabase(config));
  try {
    const migrator = new Migrator(db, migrationsDir(db.dialect));
    if (action === "status") {
      const states = await migrator.status();
      out.info(`${db.url} (${db.driver})`);
      for (const s of states) {
        out.info(`  ${s.status.padEnd(8)} ${s.id}${s.appliedAt ? `  ${s.appliedAt.toISOString()}` : ""}`);
      }
      if (states.length === 0) out.info("  no migrations");
      return 0;
    }
    if (action === "up") {
      const before = to === undefined ? [] : await migrator.status();
      const applied = await migrator.up(to === undefined ? {} : { to });
      for (const id of applied) out.info(`applied  ${id}`);
      if (applied.length > 0) out.info(`${applied.length} applied`);
      else out.info(nothingToApply(before, to));
      return 0;
    }
    const reverted = await migrator.down({
      to: to === undefined ? undefined : to === "0" ? null : to,
      force: values.force ?? false,
      backup: async () => {
        const file = defaultBackupFile(db);
        out.info(`backing up to ${file} …`);
        await backupDatabase(db, file, (line) => out.info(line));
      },
    });
    for (const id of reverted) out.info(`reverted ${id}`);
    out.info(reverted.length === 0 ? "nothing to revert" : `${reverted.length} reverted`);
    return 0;
  } finally {
    await db.close();
  }
}

/** Why `up` applied nothing: the database is current, or (with --to) already at or past `to`. */
function nothingToApply(before: MigrationState[], to: string | undefined): string {
  const index = before.findIndex((s) => s.id === to);
  if (to === undefined || index < 0) return "nothing to apply: the database is current";
  const after = before.slice(index + 1);
  const pending = after.filter((s) => s.status === "pending").length;
  const where = after.some((s) => s.status === "applied") ? "past" : "at";
  return pending === 0
    ? `nothing to apply: the database is current${where === "past" ? `, past ${to} already` : ""}`
    : `nothing to apply: the database is already ${where} ${to}; ${pending} pending after it (groundwork migrate up applies them)`;
}
