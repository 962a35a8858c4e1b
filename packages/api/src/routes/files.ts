import {
  type fileAnalyses,
  fileAnalysisSchemas,
  fileSchemas,
  fileService,
  type files,
  selectedFileSchemas,
  type selectedFiles,
} from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { takesFileContent } from "../middleware/media-type.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { listOptions, listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { jsonPresentValue, named } from "../schemas.js";

const FileSchema = named(fileSchemas.select, "File", "A file of a project, with its content when stored");
const FileSummarySchema = named(
  fileSchemas.select.omit({ content: true }),
  "FileSummary",
  "A file of a project, as lists show it: without its content",
);
const FileAnalysisSchema = named(
  fileAnalysisSchemas.select
    .omit({ analysisVersion: true, data: true })
    .extend({ version: z.number().int(), data: jsonPresentValue, fresh: z.boolean() }),
  "FileAnalysis",
  "A cached analysis of a file; `fresh` when computed from the file's current checksum",
);
const SelectedFileSchema = named(
  selectedFileSchemas.select.extend({ path: z.string(), name: z.string() }),
  "SelectedFile",
  "A file selected as context for the project, with its path and name",
);
// The OpenAPI generator cannot follow z.json(): `data` is described without recursion here and
// validated again by the service.
const PutAnalysisRequest = named(
  fileService.putAnalysisInput.extend({ data: jsonPresentValue }),
  "PutFileAnalysisRequest",
  "The analysis of this kind, computed from the file at `checksum`",
);

const idParam = z.object({ id: z.uuid() });
const analysisParam = z.object({ id: z.uuid(), kind: fileService.analysisKind });
const fileListQuery = listQuery.extend({
  path: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .openapi({ description: "only files whose path starts with exactly this (case-sensitive, no wildcards)" }),
  extension: z
    .string()
    .min(1)
    .max(33)
    .optional()
    .openapi({ description: "only files with this extension (`ts` or `.ts`)" }),
});
const unselectQuery = z.object({
  fileId: z.uuid().openapi({ description: "the file to take out of the selection" }),
});

const tags = ["files"];

const listFiles = createRoute({
  method: "get",
  path: "/projects/{id}/files",
  tags,
  summary: "The project's files, without content (`?sort` by path, updatedAt, size; by path by default)",
  description:
    "`?path` is a prefix taken literally: case counts, and `%` and `_` are characters like any other; `?extension` an exact extension.",
  security: authenticated,
  request: { params: idParam, query: fileListQuery },
  responses: {
    200: jsonResponse(pageOf(FileSummarySchema), "A page of files"),
    ...problems("unauthenticated", "not_found"),
  },
});
const upsertFile = createRoute({
  method: "post",
  path: "/projects/{id}/files",
  tags,
  summary: "Create the file at `path`, or replace the whole record of the one there (PUT-like, by path)",
  description:
    "Name and extension are derived from the path and size from the content when not given. A second POST for the same path keeps the file's id and replaces the whole record, as a PUT would: `summary`, `contentType` and `content` left out are cleared (they described the file as it was), `name`, `extension` and `size` derived again. To change some fields and keep the others, use `PATCH /files/{id}`.",
  middleware: [takesFileContent] as const,
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(fileService.upsertFileInput, "UpsertFileRequest")) },
  responses: {
    200: jsonResponse(FileSchema, "The file already at that path, updated"),
    201: jsonResponse(FileSchema, "The file, created"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const getFile = createRoute({
  method: "get",
  path: "/files/{id}",
  tags,
  summary: "One file, with its content",
  security: authenticated,
  request: { params: idParam },
  responses: { 200: jsonResponse(FileSchema, "The file"), ...problems("unauthenticated", "not_found") },
});
const updateFile = createRoute({
  method: "patch",
  path: "/files/{id}",
  tags,
  summary: "Change a file; new content sets the size, a new path the name and extension, unless given",
  middleware: [takesFileContent] as const,
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(fileService.updateFileInput, "UpdateFileRequest")) },
  responses: {
    200: jsonResponse(FileSchema, "The file"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const deleteFile = createRoute({
  method: "delete",
  path: "/files/{id}",
  tags,
  summary: "Delete a file, its analyses and its selection",
  security: authenticated,
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problems("unauthenticated", "forbidden", "not_found") },
});
const listAnalyses = createRoute({
  method: "get",
  path: "/files/{id}/analyses",
  tags,
  summary: "Every analysis of the file, stale ones with `fresh: false` (`?sort` by kind, computedAt)",
  security: authenticated,
  request: { params: idParam, query: listQuery },
  responses: {
    200: jsonResponse(pageOf(FileAnalysisSchema), "A page of analyses"),
    ...problems("unauthenticated", "not_found"),
  },
});
const getAnalysis = createRoute({
  method: "get",
  path: "/files/{id}/analyses/{kind}",
  tags,
  summary: "The analysis of this kind; 404 when there is none or it was computed from another checksum",
  security: authenticated,
  request: { params: analysisParam },
  responses: { 200: jsonResponse(FileAnalysisSchema, "The analysis"), ...problems("unauthenticated", "not_found") },
});
const putAnalysis = createRoute({
  method: "put",
  path: "/files/{id}/analyses/{kind}",
  tags,
  summary: "Store the analysis of this kind, replacing the one before",
  security: authenticated,
  request: { params: analysisParam, body: jsonBody(PutAnalysisRequest) },
  responses: {
    200: jsonResponse(FileAnalysisSchema, "The analysis"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const deleteAnalysis = createRoute({
  method: "delete",
  path: "/files/{id}/analyses/{kind}",
  tags,
  summary: "Delete the analysis of this kind (members and above)",
  security: authenticated,
  request: { params: analysisParam },
  responses: { 204: { description: "Deleted" }, ...problems("unauthenticated", "forbidden", "not_found") },
});
const listSelected = createRoute({
  method: "get",
  path: "/projects/{id}/selected-files",
  tags,
  summary: "The files selected as the project's context (`?sort` by createdAt, updatedAt)",
  security: authenticated,
  request: { params: idParam, query: listQuery },
  responses: {
    200: jsonResponse(pageOf(SelectedFileSchema), "A page of selected files"),
    ...problems("unauthenticated", "not_found"),
  },
});
const selectFile = createRoute({
  method: "post",
  path: "/projects/{id}/selected-files",
  tags,
  summary: "Select a file of the project; selecting it again changes the reason",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(fileService.selectFileInput, "SelectFileRequest")) },
  responses: {
    200: jsonResponse(SelectedFileSchema, "The file was already selected"),
    201: jsonResponse(SelectedFileSchema, "The file, selected"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const unselectFile = createRoute({
  method: "delete",
  path: "/projects/{id}/selected-files",
  tags,
  summary: "Take the file `?fileId=` out of the selection",
  security: authenticated,
  request: { params: idParam, query: unselectQuery },
  responses: { 204: { description: "Unselected" }, ...problems("unauthenticated", "forbidden", "not_found") },
});

export function filesRoutes(deps: AppDependencies) {
  return router()
    .openapi(listFiles, async (c) => {
      const query = c.req.valid("query");
      const options = listOptions<typeof files>(query, ["path", "updatedAt", "size"], "path");
      const page = await fileService.listFiles(serviceContext(c, deps), c.req.valid("param").id, {
        ...options,
        path: query.path,
        extension: query.extension,
      });
      return c.json(page, 200);
    })
    .openapi(upsertFile, async (c) => {
      const ctx = serviceContext(c, deps);
      const { file, created } = await fileService.upsertFile(ctx, c.req.valid("param").id, c.req.valid("json"));
      return created ? c.json(file, 201) : c.json(file, 200);
    })
    .openapi(getFile, async (c) =>
      c.json(await fileService.getFile(serviceContext(c, deps), c.req.valid("param").id), 200),
    )
    .openapi(updateFile, async (c) =>
      c.json(await fileService.updateFile(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")), 200),
    )
    .openapi(deleteFile, async (c) => {
      await fileService.deleteFile(serviceContext(c, deps), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(listAnalyses, async (c) => {
      const options = listOptions<typeof fileAnalyses>(c.req.valid("query"), ["kind", "computedAt"], "kind");
      return c.json(await fileService.listAnalyses(serviceContext(c, deps), c.req.valid("param").id, options), 200);
    })
    .openapi(getAnalysis, async (c) => {
      const { id, kind } = c.req.valid("param");
      return c.json(await fileService.getAnalysis(serviceContext(c, deps), id, kind), 200);
    })
    .openapi(putAnalysis, async (c) => {
      const { id, kind } = c.req.valid("param");
      return c.json(await fileService.putAnalysis(serviceContext(c, deps), id, kind, c.req.valid("json")), 200);
    })
    .openapi(deleteAnalysis, async (c) => {
      const { id, kind } = c.req.valid("param");
      await fileService.deleteAnalysis(serviceContext(c, deps), id, kind);
      return c.body(null, 204);
    })
    .openapi(listSelected, async (c) => {
      const options = listOptions<typeof selectedFiles>(c.req.valid("query"), ["createdAt", "updatedAt"], "createdAt");
      return c.json(
        await fileService.listSelectedFiles(serviceContext(c, deps), c.req.valid("param").id, options),
        200,
      );
    })
    .openapi(selectFile, async (c) => {
      const ctx = serviceContext(c, deps);
      const { selection, created } = await fileService.selectFile(ctx, c.req.valid("param").id, c.req.valid("json"));
      return created ? c.json(selection, 201) : c.json(selection, 200);
    })
    .openapi(unselectFile, async (c) => {
      await fileService.unselectFile(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("query").fileId);
      return c.body(null, 204);
    });
}
