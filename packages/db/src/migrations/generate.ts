import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Dialect } from "../database/session.js";
import type { AnyTable, SearchInfo } from "../schema/table.js";
import {
  sqliteCreateSearch,
  sqliteDropSearch,
  sqliteDropSearchTriggers,
  sqliteSearchTriggers,
} from "../search/text-search.js";
import { latestSnapshot, readMigrations, STATEMENT_BREAK } from "./files.js";
import { MigrationError } from "./runner.js";

/**
 * drizzle-kit's snapshot of the schema. On SQLite it also holds `search`: the search indexes by
 * table, which drizzle-kit does not know (FTS5 tables and triggers), so the generator diffs them.
 */
type Snapshot = { id: string; search?: Record<string, SearchInfo> } & Record<string, unknown>;

interface SchemaSource {
  dialect: Dialect;
  /** Every table of the schema. */
  tables: Record<string, AnyTable> | readonly AnyTable[];
  /** Where this dialect's migrations live. */
  dir: string;
}

// drizzle-kit/api pulls in a large bundle; load it only when generating or checking.
const kit = () => import("drizzle-kit/api");

async function snapshotOf(source: SchemaSource, prevId?: string): Promise<Snapshot> {
  const tables = Array.isArray(source.tables) ? source.tables : Object.values(source.tables);
  const { generateDrizzleJson, generateSQLiteDrizzleJson } = await kit();
  if (source.dialect === "sqlite") {
    const imports = Object.fromEntries((tables as AnyTable[]).map((t) => [t.name, t.sqlite]));
    const snapshot = (await generateSQLiteDrizzleJson(imports, prevId)) as unknown as Snapshot;
    const search = Object.fromEntries(
      (tables as AnyTable[]).flatMap((t) => (t.info.search ? [[t.name, t.info.search]] : [])),
    );
    return Object.keys(search).length > 0 ? { ...snapshot, search } : snapshot;
  }
  const imports = Object.fromEntries((tables as AnyTable[]).map((t) => [t.name, t.pg]));
  return generateDrizzleJson(imports, prevId) as unknown as Snapshot;
}

async function emptySnapshot(dialect: Dialect): Promise<Snapshot> {
  return snapshotOf({ dialect, tables: [], dir: "" });
}

/**
 * drizzle-kit asks on a terminal whether a column or table that went while another came was renamed,
 * and throws without one: the question, not its prompt's failure, is what a user needs to hear.
 */
async function askingNothing(generate: () => Promise<string[]>): Promise<string[]> {
  try {
    return await generate();
  } catch (error) {
    if (!/TTY|prompt/i.test(String((error as Error)?.message))) throw error;
    throw new MigrationError(
      "this change drops a column or table and adds another, which could be a rename: generate it in two " +
        "steps (add the new one and generate, then drop the old one and generate), copying data between them if it is a rename",
    );
  }
}

async function diff(dialect: Dialect, from: Snapshot, to: Snapshot): Promise<string[]> {
  const { generateMigration, generateSQLiteMigration } = await kit();
  if (dialect === "postgres") return askingNothing(() => generateMigration(from as never, to as never));
  const { search: fromSearch = {}, ...fromTables } = from;
  const { search: toSearch = {}, ...toTables } = to;
  const statements = await askingNothing(() => generateSQLiteMigration(fromTables as never, toTables as never));
  const searched = new Set([...Object.keys(fromSearch), ...Object.keys(toSearch)]);
  const { before, after } = searchChanges(fromSearch, toSearch, statements);
  return [...before, ...repairTableRebuilds(statements, from, searched), ...after];
}

/**
 * The SQLite statements that keep search indexes in step with a migration: FTS5 tables made or
 * dropped as indexes come and go, and the triggers of every searched table the migration touches
 * dropped before and made again after (a rebuilt table loses its triggers; a dropped column must
 * not be named by one).
 */
function searchChanges(
  from: Record<string, SearchInfo>,
  to: Record<string, SearchInfo>,
  statements: string[],
): { before: string[]; after: string[] } {
  const before: string[] = [];
  const after: string[] = [];
  const touches = (table: string) => statements.some((s) => s.includes(`\`${table}\``));
  for (const table of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
    const was = from[table];
    const is = to[table];
    if (was && is && JSON.stringify(was) === JSON.stringify(is)) {
      if (!touches(table)) continue;
      before.push(...sqliteDropSearchTriggers(was));
      after.push(...sqliteSearchTriggers(table, is));
      continue;
    }
    if (was) before.push(...sqliteDropSearch(was));
    if (is) after.push(...sqliteCreateSearch(table, is));
  }
  return { before, after };
}

type SqliteSnapshot = { tables?: Record<string, { columns?: Record<string, unknown> }> };

/**
 * SQLite changes some columns by rebuilding the table: create `__new_x`, copy the rows, drop `x`,
 * rename. drizzle-kit's copy also selects columns the same migration adds, which the old table does
 * not have yet; copy only the columns both tables have (the new ones get their defaults). A searched
 * table keeps its rowids, which its FTS5 index refers to.
 */
function repairTableRebuilds(statements: string[], from: Snapshot, searched: Set<string>): string[] {
  const tables = (from as SqliteSnapshot).tables ?? {};
  return statements.map((statement) => {
    const match = /^INSERT INTO `__new_(\w+)`\((.*)\) SELECT (.*) FROM `\1`;$/s.exec(statement.trim());
    if (!match) return statement;
    const [, table = "", targets = ""] = match;
    const existing = new Set(Object.keys(tables[table]?.columns ?? {}));
    const columns = targets
      .split(",")
      .map((c) => c.trim())
      .filter((c) => existing.has(c.replaceAll('"', "")));
    const list = (searched.has(table) ? ["rowid", ...columns] : columns).join(", ");
    return `INSERT INTO \`__new_${table}\`(${list}) SELECT ${list} FROM \`${table}\`;`;
  });
}

/**
 * The statements a new migration would hold: empty when the committed migrations already match the
 * schema. Tests assert it is empty, so the schema and the migrations cannot drift apart.
 */
export async function pendingSchemaChanges(source: SchemaSource): Promise<string[]> {
  const previous = (latestSnapshot(source.dir) as Snapshot | undefined) ?? (await emptySnapshot(source.dialect));
  const current = await snapshotOf(source, previous.id);
  return diff(source.dialect, previous, current);
}

/**
 * Writes the next migration of `source.dir` when the schema changed: `up.sql` is the diff from the
 * last snapshot to the schema, `down.sql` the diff back, both computed by drizzle-kit.
 * Returns the new migration's id, or null when there is nothing to do.
 */
export async function generateMigration(source: SchemaSource, name: string): Promise<string | null> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`migration name "${name}": use lower-case letters, digits and _`);
  const previous = (latestSnapshot(source.dir) as Snapshot | undefined) ?? (await emptySnapshot(source.dialect));
  const current = await snapshotOf(source, previous.id);
  const up = await diff(source.dialect, previous, current);
  if (up.length === 0) return null;
  const down = await diff(source.dialect, current, previous);
  const id = `${String(readMigrations(source.dir).length).padStart(4, "0")}_${name}`;
  const folder = path.join(source.dir, id);
  mkdirSync(folder, { recursive: true });
  const join = (statements: string[]) => `${statements.map((s) => s.trim()).join(`\n${STATEMENT_BREAK}\n`)}\n`;
  writeFileSync(path.join(folder, "up.sql"), join(up));
  writeFileSync(path.join(folder, "down.sql"), join(down));
  writeFileSync(path.join(folder, "snapshot.json"), `${JSON.stringify(current, null, 2)}\n`);
  return id;
}
