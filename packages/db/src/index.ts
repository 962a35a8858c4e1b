export { Database, type OpenOptions, openDatabase } from "./database/open.js";
export type { AnyDrizzle, Dialect, DriverName, IsolationLevel, TransactionOptions } from "./database/session.js";
export { Session } from "./database/session.js";
export { type DatabaseTarget, parseDatabaseUrl, redactUrl } from "./database/url.js";
export * from "./errors/errors.js";
export { mapDriverError } from "./errors/map-driver-error.js";
export { type MigrationFile, readMigrations } from "./migrations/files.js";
export { generateMigration, pendingSchemaChanges } from "./migrations/generate.js";
export {
  type DownOptions,
  MigrationError,
  type MigrationState,
  type MigrationStatus,
  Migrator,
} from "./migrations/runner.js";
export { dateFromTimestampText, isoString } from "./repository/iso-string.js";
export type {
  Condition,
  Deleted,
  Extras,
  ExtrasOf,
  GetWithOptions,
  Include,
  Key,
  ListOptions,
  Page,
  Patch,
  ReadOptions,
  SearchHit,
  SearchOptions,
  SortKey,
  UpdateOptions,
  UpsertOptions,
  Where,
  WithIncluded,
} from "./repository/repository.js";
export { Repository, rowFromPostgres } from "./repository/repository.js";
export { escapeLike, timestampValue } from "./repository/where.js";
export {
  type AnyColumn,
  Column,
  type ColumnKind,
  type ColumnMeta,
  col,
  type ReferentialAction,
} from "./schema/columns.js";
export { snakeCase } from "./schema/naming.js";
export { type StorableIssue, storableIssues } from "./schema/storable.js";
export {
  type AnyTable,
  check,
  type ExtraColumns,
  type InsertOf,
  index,
  primaryKey,
  type RowOf,
  type SearchInfo,
  type SearchSpec,
  searchIndex,
  type TableDefinition,
  type TableExtra,
  type TableInfo,
  table,
  uniqueIndex,
} from "./schema/table.js";
export { type Refinements, schemasFor, type TableSchemas } from "./schema/validation.js";
export {
  MAX_SEARCH_TERM_LENGTH,
  MAX_SEARCH_TERMS,
  searchTerms,
  type TextSearch,
  type TextSearchOptions,
  textSearch,
} from "./search/text-search.js";
