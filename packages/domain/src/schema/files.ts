import { check, col, index, primaryKey, schemasFor, searchIndex, table, uniqueIndex } from "@groundwork/db";
import { sql } from "drizzle-orm";
import { agents } from "./agents.js";
import { atMostOne, type JsonPresent, jsonPresentSchema, keyPattern, keyRule, maxFileContentLength } from "./common.js";
import { projects } from "./projects.js";
import { users } from "./users.js";

/** The files of a project, unique by path; `content` is optional and capped in size. */
export const files = table(
  "files",
  {
    id: col.id(),
    projectId: col
      .uuid()
      .notNull()
      .references(() => projects, { onDelete: "cascade" }),
    path: col.varchar(1024).notNull(),
    name: col.varchar(255).notNull(),
    extension: col.varchar(32),
    size: col.bigint().notNull().default(0),
    checksum: col.text(),
    contentType: col.varchar(255),
    summary: col.text(),
    content: col.text(),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [
    uniqueIndex(t.projectId, t.path),
    check("size_non_negative", sql`${t.size} >= 0`),
    searchIndex(t.path, t.summary),
  ],
);

export const fileSchemas = schemasFor(files, {
  path: (s) => s.trim().min(1),
  name: (s) => s.trim().min(1),
  size: (s) => s.min(0).optional(),
  summary: (s) => s.max(100_000).optional(),
  content: (s) => s.max(maxFileContentLength).optional(),
});

/** Files picked as context for a project, and why; chosen by a user or an agent. */
export const selectedFiles = table(
  "selected_files",
  {
    projectId: col
      .uuid()
      .notNull()
      .references(() => projects, { onDelete: "cascade" }),
    fileId: col
      .uuid()
      .notNull()
      .references(() => files, { onDelete: "cascade" }),
    reason: col.text(),
    selectedByUserId: col.uuid().references(() => users, { onDelete: "set null" }),
    selectedByAgentId: col.uuid().references(() => agents, { onDelete: "set null" }),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [
    primaryKey(t.projectId, t.fileId),
    index(t.fileId),
    index(t.selectedByUserId),
    index(t.selectedByAgentId),
    check("one_selector", atMostOne(t.selectedByUserId, t.selectedByAgentId)),
  ],
);

export const selectedFileSchemas = schemasFor(selectedFiles, {
  reason: (s) => s.max(10_000).optional(),
});

/**
 * A cache of analyses per (file, kind). A lookup whose `checksum` differs from the file's is a miss.
 * `analysisVersion` is the version of the analysis (the API calls it `version`); it is not named `version`
 * because the repository treats a `version` column as optimistic concurrency.
 */
export const fileAnalyses = table(
  "file_analyses",
  {
    id: col.id(),
    fileId: col
      .uuid()
      .notNull()
      .references(() => files, { onDelete: "cascade" }),
    kind: col.varchar(100).notNull(),
    analysisVersion: col.integer().notNull().default(1),
    checksum: col.text().notNull(),
    data: col.json<JsonPresent>().notNull(),
    computedAt: col
      .timestamp()
      .notNull()
      .$defaultFn(() => new Date()),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [uniqueIndex(t.fileId, t.kind), check("analysis_version_non_negative", sql`${t.analysisVersion} >= 0`)],
);

export const fileAnalysisSchemas = schemasFor(fileAnalyses, {
  kind: (s) => s.regex(keyPattern, keyRule),
  analysisVersion: (s) => s.min(0).optional(),
  checksum: (s) => s.min(1),
  data: () => jsonPresentSchema,
});
