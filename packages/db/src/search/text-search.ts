import { type SQL, sql } from "drizzle-orm";
import type { Dialect } from "../database/session.js";
import { type AnyTable, PG_SEARCH_TEXT_LIMIT, type SearchInfo, searchVector } from "../schema/table.js";

/** At most this many words of a query count; the rest are ignored. */
export const MAX_SEARCH_TERMS = 16;
/** Longer words are cut to this many characters, and still match as prefixes. */
export const MAX_SEARCH_TERM_LENGTH = 64;

/**
 * The words of what someone typed: runs of letters, digits and marks, lower-cased. Everything else
 * (quotes, operators, parentheses, punctuation, control characters) separates words and is never
 * read as query syntax, so no input can make a search fail.
 */
export function searchTerms(text: string): string[] {
  const words =
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  const terms: string[] = [];
  for (const word of words) {
    const term = Array.from(word).slice(0, MAX_SEARCH_TERM_LENGTH).join("");
    if (!terms.includes(term)) terms.push(term);
    if (terms.length === MAX_SEARCH_TERMS) break;
  }
  return terms;
}

/** The pieces of a full-text query over one table, to place into a select of your own. */
export interface TextSearch {
  /** What to select from: the table (joined to its FTS5 table on SQLite). Refer to columns as `"<table>"."<column>"`. */
  readonly from: SQL;
  /** True for rows that hold every term (each as a word or the start of one). */
  readonly match: SQL;
  /** How well a row matches; higher is better. Comparable within one query. */
  readonly rank: SQL;
  /** A plain-text passage of the row around the terms. */
  readonly snippet: SQL;
}

export interface TextSearchOptions {
  /** About how many words the snippet holds; 24 unless told. */
  snippetWords?: number;
}

/**
 * A full-text query of `text` over the search index of `table` (see `searchIndex`), or null when
 * the text holds no words. Every word must match, as a word or the start of one, so `dead lock`
 * finds "Deadlocks in the lock manager" but not "a dead end". The query goes to the database as a
 * parameter, built only from the words `searchTerms` finds.
 *
 * ```ts
 * const s = textSearch(db.dialect, tickets, "login timeout");
 * if (s) rows = await db.execute(sql`select "tickets"."id", ${s.rank} as rank, ${s.snippet} as snippet
 *   from ${s.from} where ${s.match} order by rank desc limit 20`);
 * ```
 */
export function textSearch(
  dialect: Dialect,
  table: AnyTable,
  text: string,
  options: TextSearchOptions = {},
): TextSearch | null {
  const search = searchInfoOf(table);
  const terms = searchTerms(text);
  if (terms.length === 0) return null;
  return searchParts(dialect, table.name, search, sql`${searchExpression(dialect, terms)}`, options);
}

/** @internal The search index of `table`, or an error naming the table when it has none. */
export function searchInfoOf(table: AnyTable): SearchInfo {
  const search = table.info.search;
  if (!search) throw new Error(`table ${table.name} has no searchIndex`);
  return search;
}

/**
 * @internal The query language form of `terms`: an FTS5 expression (`"a"* "b"*`) or a tsquery
 * (`'a':* & 'b':*`). The terms hold only letters, digits and marks, so neither can hold syntax.
 */
export function searchExpression(dialect: Dialect, terms: readonly string[]): string {
  return dialect === "sqlite"
    ? terms.map((term) => `"${term}"*`).join(" ")
    : terms.map((term) => `'${term}':*`).join(" & ");
}

/** @internal The parts of a search whose expression (see `searchExpression`) is `expression`. */
export function searchParts(
  dialect: Dialect,
  table: string,
  search: SearchInfo,
  expression: SQL,
  options: TextSearchOptions = {},
): TextSearch & { join?: { table: SQL; on: SQL } } {
  const words = Math.max(4, Math.min(64, Math.trunc(options.snippetWords ?? 24)));
  const self = sql.identifier(table);
  if (dialect === "sqlite") {
    const fts = sql.identifier(search.name);
    const weights = search.columns.map((_, i) => (i === 0 ? "10.0" : "1.0")).join(", ");
    const on = sql`${self}.rowid = ${fts}.rowid`;
    return {
      from: sql`${fts} join ${self} on ${on}`,
      join: { table: sql`${fts}`, on },
      match: sql`${fts} match ${expression}`,
      // bm25 is lower for better matches.
      rank: sql`(-bm25(${fts}, ${sql.raw(weights)}))`,
      snippet: sql`snippet(${fts}, -1, '', '', '…', ${sql.raw(String(words))})`,
    };
  }
  const vector = searchVector(search.columns, table);
  const query = sql`to_tsquery('simple', ${expression})`;
  const document = sql.join(
    search.columns.map(
      (column) => sql`left(${self}.${sql.identifier(column)}, ${sql.raw(String(PG_SEARCH_TEXT_LIMIT))})`,
    ),
    sql`, `,
  );
  const headline = `StartSel="", StopSel="", MaxWords=${words}, MinWords=${Math.ceil(words / 2)}, MaxFragments=1, FragmentDelimiter=" … "`;
  return {
    from: sql`${self}`,
    match: sql`(${vector}) @@ ${query}`,
    rank: sql`ts_rank(${vector}, ${query})`,
    snippet: sql`ts_headline('simple', concat_ws(' ', ${document}), ${query}, ${headline})`,
  };
}

const quote = (name: string) => `\`${name}\``;

/** SQLite: the triggers that keep a table's FTS5 index current with its rows. */
export function sqliteSearchTriggers(table: string, search: SearchInfo): string[] {
  const fts = quote(search.name);
  const columns = search.columns.map(quote);
  const values = (row: "new" | "old") => [`${row}.rowid`, ...columns.map((c) => `${row}.${c}`)].join(", ");
  const insert = `INSERT INTO ${fts}(rowid, ${columns.join(", ")}) VALUES (${values("new")});`;
  const remove = `INSERT INTO ${fts}(${fts}, rowid, ${columns.join(", ")}) VALUES ('delete', ${values("old")});`;
  return [
    `CREATE TRIGGER ${quote(`${search.name}_insert`)} AFTER INSERT ON ${quote(table)} BEGIN\n  ${insert}\nEND;`,
    `CREATE TRIGGER ${quote(`${search.name}_delete`)} AFTER DELETE ON ${quote(table)} BEGIN\n  ${remove}\nEND;`,
    `CREATE TRIGGER ${quote(`${search.name}_update`)} AFTER UPDATE OF ${columns.join(", ")} ON ${quote(table)} BEGIN\n  ${remove}\n  ${insert}\nEND;`,
  ];
}

/** SQLite: drops the triggers of a table's search index, before the table or its columns change. */
export function sqliteDropSearchTriggers(search: SearchInfo): string[] {
  return ["insert", "delete", "update"].map((event) => `DROP TRIGGER IF EXISTS ${quote(`${search.name}_${event}`)};`);
}

/**
 * SQLite: the FTS5 table of a search index (external content: it indexes the table's rows by rowid
 * and stores no copy of them), its triggers, and the index of the rows already there.
 */
export function sqliteCreateSearch(table: string, search: SearchInfo): string[] {
  const fts = quote(search.name);
  return [
    `CREATE VIRTUAL TABLE ${fts} USING fts5(${search.columns.join(", ")}, content='${table}', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');`,
    ...sqliteSearchTriggers(table, search),
    `INSERT INTO ${fts}(${fts}) VALUES ('rebuild');`,
  ];
}

/** SQLite: removes a search index. It holds nothing that the table's rows cannot rebuild. */
export function sqliteDropSearch(search: SearchInfo): string[] {
  return [
    ...sqliteDropSearchTriggers(search),
    `-- the search index holds only what the table's rows rebuild\nDROP TABLE IF EXISTS ${quote(search.name)};`,
  ];
}
