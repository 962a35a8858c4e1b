import {
  projectCollaboratorSchemas,
  type projectCollaborators,
  projectSchemas,
  projectService,
  type projects,
  ticketPriorities,
  ticketStatuses,
} from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { anonymousContext, serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { etagHeader, expectedVersion, IF_MATCH } from "../etag.js";
import { publicRoute } from "../middleware/auth.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { listOptions, listQuery, pageOf, wholeNumberQuery } from "../pagination.js";
import { router } from "../router.js";
import { named } from "../schemas.js";

/** Where a share link's public view is served; the routes below are mounted under /api/v1. */
const SHARED_PATH = "/api/v1/shared/";

const ProjectSchema = named(projectSchemas.select.omit({ deletedAt: true }), "Project");
const CollaboratorSchema = named(
  projectCollaboratorSchemas.select.extend({ name: z.string(), email: z.string() }),
  "ProjectCollaborator",
  "A person outside the team with a role on the project, with their name and email",
);
const CreatedShareSchema = z
  .object({
    id: z.uuid(),
    projectId: z.uuid(),
    token: z.string(),
    url: z.string().openapi({ description: "the public, read-only view: `/api/v1/shared/<token>`" }),
    expiresAt: z.date().nullable(),
  })
  .openapi("CreatedShare", { description: "`token` is shown in this answer only" });
const SharedProjectSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    tickets: z.array(
      z.object({
        id: z.uuid(),
        number: z.number().int(),
        title: z.string(),
        status: z.enum(ticketStatuses),
        priority: z.enum(ticketPriorities),
        tags: z.array(z.string()),
        createdAt: z.date(),
      }),
    ),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "`?cursor=` for the next page of tickets; null on the last" }),
  })
  .openapi("SharedProject", {
    description: "A project as its share link shows it, with a page of its tickets, newest first",
  });

const teamParam = z.object({ teamId: z.uuid() });
const idParam = z.object({ id: z.uuid() });
const collaboratorParam = z.object({ id: z.uuid(), userId: z.uuid() });
const tokenParam = z.object({ token: projectService.shareToken });
const sharedQuery = z.object({
  limit: wholeNumberQuery(
    1,
    projectService.SHARED_TICKET_LIMIT,
    projectService.SHARED_TICKET_LIMIT,
    `tickets per page, 1–${projectService.SHARED_TICKET_LIMIT} (default)`,
  ),
  cursor: listQuery.shape.cursor,
});
const projectQuery = listQuery.extend({
  name: z.string().trim().min(1).max(200).optional().openapi({
    description: "only projects whose name contains this, case-insensitively; `%` and `_` are matched literally",
  }),
  deleted: z.enum(["only"]).optional().openapi({
    description:
      "`only`: the deleted projects instead of the live ones, to find one to restore (team admins and owners)",
  }),
});

const tags = ["projects"];

const listProjects = createRoute({
  method: "get",
  path: "/teams/{teamId}/projects",
  tags,
  summary: "The team's projects (anyone in the team)",
  description: "`?deleted=only` lists the deleted projects instead; it needs team admin or owner (403 otherwise).",
  security: authenticated,
  request: { params: teamParam, query: projectQuery },
  responses: {
    200: jsonResponse(pageOf(ProjectSchema), "A page of projects"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const createProject = createRoute({
  method: "post",
  path: "/teams/{teamId}/projects",
  tags,
  summary: "Create a project (team admins and owners)",
  security: authenticated,
  request: {
    params: teamParam,
    body: jsonBody(named(projectService.createProjectInput, "CreateProjectRequest")),
  },
  responses: {
    201: jsonResponse(ProjectSchema, "The project"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const getProject = createRoute({
  method: "get",
  path: "/projects/{id}",
  tags,
  summary: "One project (team members and the project's collaborators)",
  security: authenticated,
  request: { params: idParam },
  responses: {
    200: jsonResponse(ProjectSchema, "The project, with its ETag"),
    ...problems("unauthenticated", "not_found"),
  },
});
const updateProject = createRoute({
  method: "patch",
  path: "/projects/{id}",
  tags,
  summary: "Change a project's name, description or settings (team admins and owners; settings are replaced)",
  security: authenticated,
  description: IF_MATCH,
  request: {
    params: idParam,
    body: jsonBody(named(projectService.updateProjectInput, "UpdateProjectRequest")),
  },
  responses: {
    200: jsonResponse(ProjectSchema, "The project, with its new ETag"),
    ...problems("unauthenticated", "forbidden", "not_found", "version_conflict"),
  },
});
const deleteProject = createRoute({
  method: "delete",
  path: "/projects/{id}",
  tags,
  summary: "Delete a project (team admins and owners); it can be restored",
  security: authenticated,
  description: IF_MATCH,
  request: { params: idParam },
  responses: {
    204: { description: "Deleted" },
    ...problems("unauthenticated", "forbidden", "not_found", "version_conflict"),
  },
});
const restoreProject = createRoute({
  method: "post",
  path: "/projects/{id}/restore",
  tags,
  summary: "Bring back a deleted project (team admins and owners)",
  security: authenticated,
  request: { params: idParam },
  responses: {
    200: jsonResponse(ProjectSchema, "The project"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const listCollaborators = createRoute({
  method: "get",
  path: "/projects/{id}/collaborators",
  tags,
  summary: "The project's collaborators: people outside the team with a role on it",
  security: authenticated,
  request: { params: idParam, query: listQuery },
  responses: {
    200: jsonResponse(pageOf(CollaboratorSchema), "A page of collaborators"),
    ...problems("unauthenticated", "not_found"),
  },
});
const addCollaborator = createRoute({
  method: "post",
  path: "/projects/{id}/collaborators",
  tags,
  summary: "Give a person outside the team a role on the project, by email or user id (team admins and owners)",
  security: authenticated,
  request: {
    params: idParam,
    body: jsonBody(named(projectService.addCollaboratorInput, "AddCollaboratorRequest")),
  },
  responses: {
    201: jsonResponse(CollaboratorSchema, "The new collaborator"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const removeCollaborator = createRoute({
  method: "delete",
  path: "/projects/{id}/collaborators/{userId}",
  tags,
  summary: "Take a collaborator off the project (team admins and owners)",
  security: authenticated,
  request: { params: collaboratorParam },
  responses: { 204: { description: "Removed" }, ...problems("unauthenticated", "forbidden", "not_found") },
});
const createShare = createRoute({
  method: "post",
  path: "/projects/{id}/shares",
  tags,
  summary: "Create a read-only share link (team admins and owners); its token is shown once",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(projectService.createShareInput, "CreateShareRequest")) },
  responses: {
    201: jsonResponse(CreatedShareSchema, "The share link, with its token"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const revokeShare = createRoute({
  method: "delete",
  path: "/shares/{id}",
  tags,
  summary: "Revoke a share link (team admins and owners of its project)",
  security: authenticated,
  request: { params: idParam },
  responses: { 204: { description: "Revoked" }, ...problems("unauthenticated", "forbidden", "not_found") },
});
const getShared = createRoute({
  method: "get",
  path: "/shared/{token}",
  tags,
  summary: "The read-only view of a shared project",
  // Public: the token in the path is the credential.
  description:
    "Public: no bearer token is needed, and an Authorization header is ignored. An unknown, expired or revoked " +
    "link answers 404. Tickets come a page at a time, newest first: `nextCursor` is the next page's `?cursor`.",
  security: [],
  middleware: [publicRoute] as const,
  request: { params: tokenParam, query: sharedQuery },
  responses: {
    200: jsonResponse(SharedProjectSchema, "The shared project"),
    ...problems("not_found"),
  },
});

export function projectsRoutes(deps: AppDependencies) {
  return router()
    .openapi(listProjects, async (c) => {
      const query = c.req.valid("query");
      const options = listOptions<typeof projects>(query, ["name", "createdAt", "updatedAt"], "name");
      const page = await projectService.listProjects(serviceContext(c, deps), c.req.valid("param").teamId, {
        ...options,
        name: query.name,
        deleted: query.deleted,
      });
      return c.json(page, 200);
    })
    .openapi(createProject, async (c) =>
      c.json(
        await projectService.createProject(serviceContext(c, deps), c.req.valid("param").teamId, c.req.valid("json")),
        201,
      ),
    )
    .openapi(getProject, async (c) => {
      const project = await projectService.getProject(serviceContext(c, deps), c.req.valid("param").id);
      return c.json(project, 200, etagHeader(project));
    })
    .openapi(updateProject, async (c) => {
      const ctx = serviceContext(c, deps);
      const options = { expectedVersion: expectedVersion(c) };
      const project = await projectService.updateProject(ctx, c.req.valid("param").id, c.req.valid("json"), options);
      return c.json(project, 200, etagHeader(project));
    })
    .openapi(deleteProject, async (c) => {
      const options = { expectedVersion: expectedVersion(c) };
      await projectService.deleteProject(serviceContext(c, deps), c.req.valid("param").id, options);
      return c.body(null, 204);
    })
    .openapi(restoreProject, async (c) => {
      const project = await projectService.restoreProject(serviceContext(c, deps), c.req.valid("param").id);
      return c.json(project, 200, etagHeader(project));
    })
    .openapi(listCollaborators, async (c) => {
      const options = listOptions<typeof projectCollaborators>(
        c.req.valid("query"),
        ["createdAt", "role"],
        "createdAt",
      );
      const page = await projectService.listCollaborators(serviceContext(c, deps), c.req.valid("param").id, options);
      return c.json(page, 200);
    })
    .openapi(addCollaborator, async (c) =>
      c.json(
        await projectService.addCollaborator(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        201,
      ),
    )
    .openapi(removeCollaborator, async (c) => {
      const { id, userId } = c.req.valid("param");
      await projectService.removeCollaborator(serviceContext(c, deps), id, userId);
      return c.body(null, 204);
    })
    .openapi(createShare, async (c) => {
      const ctx = serviceContext(c, deps);
      const share = await projectService.createShare(ctx, c.req.valid("param").id, c.req.valid("json"));
      return c.json({ ...share, url: `${SHARED_PATH}${share.token}` }, 201);
    })
    .openapi(revokeShare, async (c) => {
      await projectService.revokeShare(serviceContext(c, deps), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(getShared, async (c) => {
      const { token } = c.req.valid("param");
      return c.json(await projectService.sharedProject(anonymousContext(c, deps), token, c.req.valid("query")), 200);
    });
}
