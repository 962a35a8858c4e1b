import { NotFoundError, type Page, type Session, UniqueViolationError, ValidationError } from "@groundwork/db";
import { z } from "zod";
import { type ProjectNeed, requireAccessVia, requireProjectAccess } from "../access/project-access.js";
import { recordChange } from "../audit.js";
import type { ServiceContext } from "../context.js";
import { assertId } from "../ids.js";
import {
  fileAnalyses,
  fileAnalysisSchemas,
  fileSchemas,
  files,
  jsonPresentSchema,
  keyPattern,
  keyRule,
  selectedFileSchemas,
  selectedFiles,
} from "../schema/index.js";
import { parseInput } from "./input.js";
import type { PageQuery } from "./teams.js";

// ---------------------------------------------------------------- inputs

const fileFields = {
  path: fileSchemas.insert.shape.path,
  name: fileSchemas.insert.shape.name.optional(),
  extension: z.string().trim().max(32).nullable().optional(),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  checksum: z.string().trim().min(1).max(1024),
  contentType: z.string().trim().min(1).max(255).nullable().optional(),
  summary: fileSchemas.insert.shape.summary.nullable().optional(),
  content: fileSchemas.insert.shape.content.nullable().optional(),
};

/**
 * The whole description of the file at `path`: a second POST for the same path replaces it, so what
 * it leaves out is cleared (`summary`, `contentType`, `content`) or derived again (`name`, `extension`
 * from the path, `size` from the content).
 */
export const upsertFileInput = z.object(fileFields).strict();
/** Changes only the fields given; a new path without `name`/`extension` derives them again. */
export const updateFileInput = z
  .object({ ...fileFields, path: fileFields.path.optional(), checksum: fileFields.checksum.optional() })
  .strict();
export const analysisKind = z.string().regex(keyPattern, keyRule);
export const putAnalysisInput = z
  .object({
    checksum: fileAnalysisSchemas.insert.shape.checksum,
    version: z.number().int().min(0).max(2_147_483_647),
    data: jsonPresentSchema,
  })
  .strict();
export const selectFileInput = z
  .object({ fileId: z.uuid(), reason: selectedFileSchemas.insert.shape.reason.nullable().optional() })
  .strict();

/** Filters of the file list. */
export interface FileFilters {
  /** Files whose path starts with exactly this: case-sensitive, `%` and `_` taken literally. */
  path?: string;
  /** Files with this extension (with or without the leading dot). */
  extension?: string;
}
export type FileListQuery = PageQuery<typeof files> & FileFilters;

const pathPrefix = z.string().trim().min(1).max(1024);
const extensionFilter = z.string().trim().min(1).max(33);

// ---------------------------------------------------------------- results

type FileRow = typeof files.pg.$inferSelect;
type AnalysisRow = typeof fileAnalyses.pg.$inferSelect;
type SelectionRow = typeof selectedFiles.pg.$inferSelect;

export type File = FileRow;
/** A file in a list: everything but its content, which may be large. */
export type FileSummary = Omit<FileRow, "content">;
/** An analysis; `fresh` says it was computed from the file's current checksum. */
export type FileAnalysis = Omit<AnalysisRow, "analysisVersion"> & { version: number; fresh: boolean };
/** A selected file, with the file's path and name. */
export type SelectedFile = SelectionRow & { path: string; name: string };

function summaryOf({ content: _content, ...file }: FileRow): FileSummary {
  return file;
}

function analysisOf({ analysisVersion, ...row }: AnalysisRow, file: FileRow): FileAnalysis {
  return { ...row, version: analysisVersion, fresh: row.checksum === file.checksum };
}

// The fields a change to a file is audited by; its content is told by the checksum.
function fileFieldsOf(f: FileRow) {
  return {
    path: f.path,
    name: f.name,
    extension: f.extension,
    size: f.size,
    checksum: f.checksum,
    contentType: f.contentType,
    summary: f.summary,
  };
}

// ---------------------------------------------------------------- helpers

async function projectAccess(db: Session, ctx: ServiceContext, projectId: string, need: ProjectNeed) {
  assertId("projects", projectId);
  return requireProjectAccess(db, ctx.principal, projectId, need);
}

/** The file and the caller's access to its project, if they may do `need`; a file they cannot see does not exist. */
async function fileAccess(db: Session, ctx: ServiceContext, fileId: string, need: ProjectNeed) {
  assertId("files", fileId);
  const { row: file, access } = await requireAccessVia(db, ctx.principal, files, fileId, need);
  return { file, access };
}

/** The longest name a file has: its column's length. */
const MAX_NAME_LENGTH = files.info.columns.name?.length ?? Number.POSITIVE_INFINITY;

/**
 * The last segment of a path: `src/app.ts` → `app.ts`. The caller gave the path, not the name, so a
 * segment too long for a name is their path's fault, and said at `path`.
 */
function nameOf(path: string): string {
  const segments = path.split(/[\\/]/).filter((s) => s.length > 0);
  const name = segments.at(-1) ?? path;
  if (name.length > MAX_NAME_LENGTH) {
    throw new ValidationError([
      {
        path: ["path"],
        message: `the last segment, the file's name, may have at most ${MAX_NAME_LENGTH} characters (or give a name)`,
      },
    ]);
  }
  return name;
}

/** The extension of a name, lower-cased and without the dot; none for `Makefile` or `.env`. */
function extensionOf(name: string): string | null {
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || dot === name.length - 1) return null;
  const extension = name.slice(dot + 1).toLowerCase();
  return extension.length <= 32 ? extension : null;
}

function normalizeExtension(extension: string | null | undefined): string | null | undefined {
  if (extension === undefined || extension === null) return extension;
  const bare = extension.replace(/^\./, "").toLowerCase();
  return bare === "" ? null : bare;
}

const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).length;

// ---------------------------------------------------------------- files

/** The project's files, without their content, filtered and paged. */
export async function listFiles(
  ctx: ServiceContext,
  projectId: string,
  query: FileListQuery = {},
): Promise<Page<FileSummary>> {
  const path = query.path === undefined ? undefined : parseInput(pathPrefix, query.path);
  const extension =
    query.extension === undefined ? undefined : normalizeExtension(parseInput(extensionFilter, query.extension));
  await projectAccess(ctx.db, ctx, projectId, "read");
  const page = await ctx.db.repo(files).list({
    where: {
      projectId,
      ...(path !== undefined ? { path: { startsWith: path } } : {}),
      ...(extension !== undefined ? { extension } : {}),
    },
    sort: query.sort ?? "path",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
  return { ...page, data: page.data.map(summaryOf) };
}

/**
 * Creates the file at `path`, or replaces the description of the one already there (same id);
 * `created` tells which.
 */
export async function upsertFile(
  ctx: ServiceContext,
  projectId: string,
  input: unknown,
): Promise<{ file: File; created: boolean }> {
  const values = parseInput(upsertFileInput, input);
  const name = values.name ?? nameOf(values.path);
  const row = {
    path: values.path,
    name,
    extension: values.extension !== undefined ? normalizeExtension(values.extension) : extensionOf(name),
    size: values.size ?? (values.content ? byteLength(values.content) : 0),
    checksum: values.checksum,
    contentType: values.contentType ?? null,
    summary: values.summary ?? null,
    content: values.content ?? null,
  };
  return ctx.db.transaction(async (tx) => {
    const { project } = await projectAccess(tx, ctx, projectId, "write");
    let before = await tx.repo(files).find({ projectId, path: row.path });
    if (!before) {
      try {
        // A savepoint: a concurrent create of the same path fails only this, and we update theirs.
        const file = await tx.transaction((sp) => sp.repo(files).create({ ...row, projectId }));
        recordChange(tx, ctx, {
          teamId: project.teamId,
          action: "file.created",
          entity: "file",
          entityId: file.id,
          after: fileFieldsOf(file),
          activity: { verb: "created", projectId, data: { path: file.path } },
        });
        return { file, created: true };
      } catch (error) {
        if (!(error instanceof UniqueViolationError)) throw error;
        before = await tx.repo(files).find({ projectId, path: row.path });
        if (!before) throw error;
      }
    }
    const current = before;
    const unchanged = (Object.keys(row) as (keyof typeof row)[]).every(
      (k) => JSON.stringify(row[k]) === JSON.stringify(current[k]),
    );
    if (unchanged) return { file: current, created: false };
    const file = await tx.repo(files).update(current.id, row);
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "file.updated",
      entity: "file",
      entityId: file.id,
      before: fileFieldsOf(current),
      after: fileFieldsOf(file),
    });
    return { file, created: false };
  });
}

/** One file, with its content. */
export async function getFile(ctx: ServiceContext, fileId: string): Promise<File> {
  return (await fileAccess(ctx.db, ctx, fileId, "read")).file;
}

/** Changes a file; new content without a size sets the size, a new path without a name renames it. */
export async function updateFile(ctx: ServiceContext, fileId: string, input: unknown): Promise<File> {
  const patch = parseInput(updateFileInput, input);
  return ctx.db.transaction(async (tx) => {
    const { access } = await fileAccess(tx, ctx, fileId, "write");
    const before = await tx.repo(files).get(fileId, { forUpdate: true });
    const changes: Partial<FileRow> = { ...patch };
    if (patch.extension !== undefined) changes.extension = normalizeExtension(patch.extension);
    if (patch.path !== undefined && patch.path !== before.path && patch.name === undefined) {
      changes.name = nameOf(patch.path);
    }
    if (changes.name !== undefined && patch.extension === undefined && changes.name !== before.name) {
      changes.extension = extensionOf(changes.name);
    }
    if (patch.content !== undefined && patch.size === undefined) {
      changes.size = patch.content ? byteLength(patch.content) : 0;
    }
    const changed = (Object.keys(changes) as (keyof FileRow)[]).some(
      (k) => changes[k] !== undefined && JSON.stringify(changes[k]) !== JSON.stringify(before[k]),
    );
    if (!changed) return before;
    const after = await tx.repo(files).update(fileId, changes);
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "file.updated",
      entity: "file",
      entityId: fileId,
      before: fileFieldsOf(before),
      after: fileFieldsOf(after),
    });
    return after;
  });
}

/** Deletes a file with its analyses and its place in the selection. */
export async function deleteFile(ctx: ServiceContext, fileId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { file, access } = await fileAccess(tx, ctx, fileId, "write");
    await tx.repo(files).delete(fileId);
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "file.deleted",
      entity: "file",
      entityId: fileId,
      before: fileFieldsOf(file),
      activity: { verb: "deleted", projectId: file.projectId, data: { path: file.path } },
    });
  });
}

// ---------------------------------------------------------------- analyses

/** Every analysis of the file, stale ones included (`fresh: false`), by kind. */
export async function listAnalyses(
  ctx: ServiceContext,
  fileId: string,
  query: PageQuery<typeof fileAnalyses> = {},
): Promise<Page<FileAnalysis>> {
  const { file } = await fileAccess(ctx.db, ctx, fileId, "read");
  const page = await ctx.db.repo(fileAnalyses).list({
    where: { fileId },
    sort: query.sort ?? "kind",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
  return { ...page, data: page.data.map((row) => analysisOf(row, file)) };
}

/** The analysis of this kind, if it was computed from the file's current checksum: a stale one is a miss. */
export async function getAnalysis(ctx: ServiceContext, fileId: string, kind: string): Promise<FileAnalysis> {
  const validKind = parseInput(analysisKind, kind);
  const { file } = await fileAccess(ctx.db, ctx, fileId, "read");
  const row = await ctx.db.repo(fileAnalyses).find({ fileId, kind: validKind });
  if (!row || row.checksum !== file.checksum) throw new NotFoundError("file_analyses", validKind);
  return analysisOf(row, file);
}

/** Stores the analysis of this kind, replacing the one before; computed now. */
export async function putAnalysis(
  ctx: ServiceContext,
  fileId: string,
  kind: string,
  input: unknown,
): Promise<FileAnalysis> {
  const validKind = parseInput(analysisKind, kind);
  const { checksum, version, data } = parseInput(putAnalysisInput, input);
  return ctx.db.transaction(async (tx) => {
    const { file, access } = await fileAccess(tx, ctx, fileId, "write");
    const before = await tx.repo(fileAnalyses).find({ fileId, kind: validKind });
    const row = await tx
      .repo(fileAnalyses)
      .upsert(
        { fileId, kind: validKind, checksum, analysisVersion: version, data, computedAt: new Date() },
        { target: ["fileId", "kind"] },
      );
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "file_analysis.put",
      entity: "file_analysis",
      entityId: row.id,
      before: before ? { fileId, kind: validKind, checksum: before.checksum, version: before.analysisVersion } : null,
      after: { fileId, kind: validKind, checksum, version },
    });
    return analysisOf(row, file);
  });
}

/** Deletes the analysis of this kind, fresh or stale (write access). */
export async function deleteAnalysis(ctx: ServiceContext, fileId: string, kind: string): Promise<void> {
  const validKind = parseInput(analysisKind, kind);
  await ctx.db.transaction(async (tx) => {
    const { access } = await fileAccess(tx, ctx, fileId, "write");
    const row = await tx.repo(fileAnalyses).find({ fileId, kind: validKind });
    if (!row) throw new NotFoundError("file_analyses", validKind);
    await tx.repo(fileAnalyses).delete(row.id);
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "file_analysis.deleted",
      entity: "file_analysis",
      entityId: row.id,
      before: { fileId, kind: validKind, checksum: row.checksum, version: row.analysisVersion },
    });
  });
}

// ---------------------------------------------------------------- selection

/** The project's selected files, each with the file's path and name. */
export async function listSelectedFiles(
  ctx: ServiceContext,
  projectId: string,
  query: PageQuery<typeof selectedFiles> = {},
): Promise<Page<SelectedFile>> {
  await projectAccess(ctx.db, ctx, projectId, "read");
  const page = await ctx.db.repo(selectedFiles).list({
    where: { projectId },
    sort: query.sort ?? "createdAt",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
  const ids = page.data.map((s) => s.fileId);
  const rows =
    ids.length === 0 ? [] : (await ctx.db.repo(files).list({ where: { id: { in: ids } }, limit: ids.length })).data;
  const byId = new Map(rows.map((f) => [f.id, f]));
  return {
    ...page,
    data: page.data.map((s) => ({ ...s, path: byId.get(s.fileId)?.path ?? "", name: byId.get(s.fileId)?.name ?? "" })),
  };
}

/** Selects a file of the project, or changes the reason it is selected for; `created` tells which. */
export async function selectFile(
  ctx: ServiceContext,
  projectId: string,
  input: unknown,
): Promise<{ selection: SelectedFile; created: boolean }> {
  const { fileId, reason = null } = parseInput(selectFileInput, input);
  return ctx.db.transaction(async (tx) => {
    const { project } = await projectAccess(tx, ctx, projectId, "write");
    const file = await tx.repo(files).find({ id: fileId, projectId });
    if (!file) throw new ValidationError([{ path: ["fileId"], message: "must be a file of the project" }]);
    const before = await tx.repo(selectedFiles).find({ projectId, fileId });
    const withFile = (row: SelectionRow) => ({ ...row, path: file.path, name: file.name });
    if (before && before.reason === reason) return { selection: withFile(before), created: false };
    const selector =
      ctx.principal.kind === "user"
        ? { selectedByUserId: ctx.principal.userId, selectedByAgentId: null }
        : { selectedByAgentId: ctx.principal.agentId, selectedByUserId: null };
    const row = await tx
      .repo(selectedFiles)
      .upsert({ projectId, fileId, reason, ...selector }, { target: ["projectId", "fileId"] });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: before ? "file.selection_updated" : "file.selected",
      entity: "file",
      entityId: fileId,
      before: before ? { selected: true, reason: before.reason } : { selected: false },
      after: { selected: true, reason, path: file.path },
    });
    return { selection: withFile(row), created: !before };
  });
}

/** Takes a file out of the project's selection; NotFoundError when it is not selected. */
export async function unselectFile(ctx: ServiceContext, projectId: string, fileId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { project } = await projectAccess(tx, ctx, projectId, "write");
    assertId("selected_files", fileId);
    const before = await tx.repo(selectedFiles).find({ projectId, fileId });
    if (!before) throw new NotFoundError("selected_files", fileId);
    await tx.repo(selectedFiles).purge({ projectId, fileId });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "file.unselected",
      entity: "file",
      entityId: fileId,
      before: { selected: true, reason: before.reason },
      after: { selected: false },
    });
  });
}
