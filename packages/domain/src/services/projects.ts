import { createHash, randomBytes } from "node:crypto";
import {
  escapeLike,
  NotFoundError,
  type Page,
  type Session,
  ValidationError,
  VersionConflictError,
} from "@groundwork/db";
import { z } from "zod";
import { type ProjectAccess, type ProjectNeed, requireProjectAccess } from "../access/project-access.js";
import { requireTeamRole } from "../access/team-access.js";
import { recordChange } from "../audit.js";
import type { AnonymousContext, ServiceContext } from "../context.js";
import { ConflictError } from "../errors.js";
import { assertId } from "../ids.js";
import {
  dateTimeInput,
  projectCollaborators,
  projectRoles,
  projectSchemas,
  projectShares,
  projects,
  type TeamRole,
  teamMembers,
  teams,
  tickets,
  userSchemas,
  users,
} from "../schema/index.js";
import { parseInput } from "./input.js";
import type { PageQuery } from "./teams.js";

// ---------------------------------------------------------------- inputs

const shape = projectSchemas.insert.shape;
export const createProjectInput = z
  .object({ name: shape.name, description: shape.description, settings: shape.settings })
  .strict();
export const updateProjectInput = z
  .object({ name: shape.name.optional(), description: shape.description, settings: shape.settings })
  .strict();
/**
 * `name`: the projects whose name contains it, case-insensitively and literally (`%` and `_` are
 * characters like any other); `deleted: "only"`: the soft-deleted projects instead of the live ones.
 */
export const projectFilters = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  deleted: z.literal("only").optional(),
});
export const projectRoleSchema = z.enum(projectRoles);
export const addCollaboratorInput = z
  .object({
    email: userSchemas.insert.shape.email.optional(),
    userId: z.uuid().optional(),
    role: projectRoleSchema.default("viewer"),
  })
  .strict()
  .refine((input) => (input.email === undefined) !== (input.userId === undefined), {
    message: "give either email or userId",
  });
export const createShareInput = z.object({ expiresAt: dateTimeInput.nullable().optional() }).strict();
/** A share token as it may appear in a URL. */
export const shareToken = z.string().min(1).max(200);

/** How many tickets a page of a share's public view shows at most (and by default), newest first. */
export const SHARED_TICKET_LIMIT = 200;
/** A page of a share's tickets: `cursor` is the `nextCursor` of the page before. */
export type SharedPageQuery = Pick<PageQuery<typeof tickets>, "limit" | "cursor">;

export type ProjectListQuery = PageQuery<typeof projects> & z.input<typeof projectFilters>;

// ---------------------------------------------------------------- results

type ProjectRow = typeof projects.pg.$inferSelect;
type CollaboratorRow = typeof projectCollaborators.pg.$inferSelect;
type TicketRow = typeof tickets.pg.$inferSelect;

/** A project as callers see it: never its deletion mark. */
export type Project = Omit<ProjectRow, "deletedAt">;
/** A collaborator of a project, with the user's name and email. */
export type Collaborator = CollaboratorRow & { name: string; email: string };
/** A new share link; `token` is in this answer only. */
export interface CreatedShare {
  id: string;
  projectId: string;
  token: string;
  expiresAt: Date | null;
}
export type SharedTicket = Pick<TicketRow, "id" | "number" | "title" | "status" | "priority" | "tags" | "createdAt">;
/** What a share link shows, to anyone who has it. */
export interface SharedProject {
  id: string;
  name: string;
  description: string | null;
  tickets: SharedTicket[];
  /** The next page of tickets (`?cursor=`), or null on the last one. */
  nextCursor: string | null;
}

function projectOf({ deletedAt: _deleted, ...project }: ProjectRow): Project {
  return project;
}

// ---------------------------------------------------------------- helpers

const SHARE_TOKEN_PREFIX = "gws_";
const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** If-Match: the caller changes what it last saw, or nothing. */
function assertVersion(project: ProjectRow, expected: number | undefined): void {
  if (expected !== undefined && project.version !== expected) {
    throw new VersionConflictError("projects", project.id, expected, project.version);
  }
}

/**
 * The project, if the caller may do `need` with it (see requireProjectAccess). A malformed id is a
 * project that does not exist: PostgreSQL would refuse it as a uuid otherwise.
 */
async function accessTo(
  db: Session,
  ctx: ServiceContext,
  projectId: string,
  need: ProjectNeed,
  options: { deleted?: "include" | "only" } = {},
): Promise<ProjectAccess & { project: ProjectRow }> {
  assertId("projects", projectId);
  return requireProjectAccess(db, ctx.principal, projectId, need, options);
}

async function teamRoleIn(db: Session, ctx: ServiceContext, teamId: string, minimum: TeamRole): Promise<TeamRole> {
  assertId("teams", teamId);
  return requireTeamRole(db, ctx.principal, teamId, minimum);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

async function withUsers(db: Session, rows: CollaboratorRow[]): Promise<Collaborator[]> {
  if (rows.length === 0) return [];
  const ids = [...new Set(rows.map((r) => r.userId))];
  const found = await db.repo(users).list({ where: { id: { in: ids } }, limit: ids.length, deleted: "include" });
  const byId = new Map(found.data.map((u) => [u.id, u]));
  return rows.map((row) => {
    const user = byId.get(row.userId);
    return { ...row, name: user?.name ?? "", email: user?.email ?? "" };
  });
}

// ---------------------------------------------------------------- projects

/**
 * The team's projects (anyone in the team); `name` filters by a case-insensitive substring,
 * `deleted: "only"` lists the deleted ones instead (admins and owners, who may restore them).
 */
export async function listProjects(
  ctx: ServiceContext,
  teamId: string,
  query: ProjectListQuery = {},
): Promise<Page<Project>> {
  const { name, deleted } = parseInput(projectFilters, { name: query.name, deleted: query.deleted });
  await teamRoleIn(ctx.db, ctx, teamId, deleted ? "admin" : "viewer");
  const page = await ctx.db.repo(projects).list({
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
    sort: query.sort ?? "name",
    where: { teamId, ...(name !== undefined ? { name: { like: `%${escapeLike(name)}%` } } : {}) },
    ...(deleted ? { deleted } : {}),
  });
  return { ...page, data: page.data.map(projectOf) };
}

/** Creates a project in the team (admins and owners). */
export async function createProject(ctx: ServiceContext, teamId: string, input: unknown): Promise<Project> {
  const { name, description, settings } = parseInput(createProjectInput, input);
  return ctx.db.transaction(async (tx) => {
    await teamRoleIn(tx, ctx, teamId, "admin");
    const project = await tx.repo(projects).create({
      teamId,
      name,
      description: description ?? null,
      settings: settings ?? {},
    });
    recordChange(tx, ctx, {
      teamId,
      action: "project.created",
      entity: "project",
      entityId: project.id,
      after: { name: project.name, description: project.description, settings: project.settings },
      activity: { verb: "created", projectId: project.id, data: { name: project.name } },
    });
    return projectOf(project);
  });
}

export async function getProject(ctx: ServiceContext, projectId: string): Promise<Project> {
  return projectOf((await accessTo(ctx.db, ctx, projectId, "read")).project);
}

/** Changes a project's name, description or settings (settings are replaced whole). */
export async function updateProject(
  ctx: ServiceContext,
  projectId: string,
  input: unknown,
  options: { expectedVersion?: number } = {},
): Promise<Project> {
  const patch = parseInput(updateProjectInput, input);
  return ctx.db.transaction(async (tx) => {
    await accessTo(tx, ctx, projectId, "manage");
    const before = await tx.repo(projects).get(projectId, { forUpdate: true });
    assertVersion(before, options.expectedVersion);
    const changes = Object.fromEntries(
      Object.entries(patch).filter(([key, value]) => value !== undefined && !sameJson(value, before[key as "name"])),
    ) as Partial<typeof patch>;
    if (Object.keys(changes).length === 0) return projectOf(before);
    const after = await tx
      .repo(projects)
      .update(projectId, changes, { expectedVersion: options.expectedVersion ?? before.version });
    const fields = (row: ProjectRow) => ({ name: row.name, description: row.description, settings: row.settings });
    recordChange(tx, ctx, {
      teamId: after.teamId,
      action: "project.updated",
      entity: "project",
      entityId: projectId,
      before: fields(before),
      after: fields(after),
    });
    return projectOf(after);
  });
}

/** Soft-deletes a project (admins and owners); an admin can restore it. */
export async function deleteProject(
  ctx: ServiceContext,
  projectId: string,
  options: { expectedVersion?: number } = {},
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await accessTo(tx, ctx, projectId, "manage");
    const project = await tx.repo(projects).get(projectId, { forUpdate: true });
    assertVersion(project, options.expectedVersion);
    await tx.repo(projects).delete(projectId, { expectedVersion: project.version });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "project.deleted",
      entity: "project",
      entityId: projectId,
      before: { name: project.name },
      activity: { verb: "deleted", projectId, data: { name: project.name } },
    });
  });
}

/** Brings back a soft-deleted project (admins and owners); restoring a live one changes nothing. */
export async function restoreProject(ctx: ServiceContext, projectId: string): Promise<Project> {
  return ctx.db.transaction(async (tx) => {
    const { project } = await accessTo(tx, ctx, projectId, "manage", { deleted: "include" });
    if (project.deletedAt === null) return projectOf(project);
    const restored = await tx.repo(projects).restore(projectId);
    recordChange(tx, ctx, {
      teamId: restored.teamId,
      action: "project.restored",
      entity: "project",
      entityId: projectId,
      after: { name: restored.name },
      activity: { verb: "restored", projectId, data: { name: restored.name } },
    });
    return projectOf(restored);
  });
}

// ---------------------------------------------------------------- collaborators

/** The project's collaborators (people outside its team), with names and emails. */
export async function listCollaborators(
  ctx: ServiceContext,
  projectId: string,
  query: PageQuery<typeof projectCollaborators> = {},
): Promise<Page<Collaborator>> {
  await accessTo(ctx.db, ctx, projectId, "read");
  const page = await ctx.db.repo(projectCollaborators).list({
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
    sort: query.sort ?? "createdAt",
    where: { projectId },
  });
  return { ...page, data: await withUsers(ctx.db, page.data) };
}

/** Gives a person outside the team a role on the project (admins and owners of the team). */
export async function addCollaborator(ctx: ServiceContext, projectId: string, input: unknown): Promise<Collaborator> {
  const { email, userId, role } = parseInput(addCollaboratorInput, input);
  const field = userId ? "userId" : "email";
  return ctx.db.transaction(async (tx) => {
    const { project } = await accessTo(tx, ctx, projectId, "manage");
    const user = userId ? await tx.repo(users).find(userId) : await tx.repo(users).find({ email });
    if (!user) throw new NotFoundError("users", userId ?? email);
    if (await tx.repo(teamMembers).exists({ teamId: project.teamId, userId: user.id })) {
      throw new ConflictError("this person is a member of the project's team already", [field]);
    }
    if (await tx.repo(projectCollaborators).exists({ projectId, userId: user.id })) {
      throw new ConflictError("this person is a collaborator on the project already", [field]);
    }
    const row = await tx.repo(projectCollaborators).create({ projectId, userId: user.id, role });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "collaborator.added",
      entity: "collaborator",
      entityId: user.id,
      after: { projectId, userId: user.id, role },
      activity: { verb: "added", projectId, data: { userId: user.id, name: user.name, role } },
    });
    return { ...row, name: user.name, email: user.email };
  });
}

/** Takes a collaborator off the project (admins and owners of the team). */
export async function removeCollaborator(ctx: ServiceContext, projectId: string, userId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { project } = await accessTo(tx, ctx, projectId, "manage");
    assertId("project_collaborators", userId);
    const row = await tx.repo(projectCollaborators).get({ projectId, userId });
    await tx.repo(projectCollaborators).delete({ projectId, userId });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "collaborator.removed",
      entity: "collaborator",
      entityId: userId,
      before: { projectId, userId, role: row.role },
    });
  });
}

// ---------------------------------------------------------------- share links

/** A read-only share link to the project (admins and owners). The token is shown once, stored hashed. */
export async function createShare(ctx: ServiceContext, projectId: string, input: unknown): Promise<CreatedShare> {
  const { expiresAt } = parseInput(createShareInput, input);
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new ValidationError([{ path: ["expiresAt"], message: "must be in the future" }]);
  }
  return ctx.db.transaction(async (tx) => {
    const { project } = await accessTo(tx, ctx, projectId, "manage");
    const token = `${SHARE_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    const share = await tx
      .repo(projectShares)
      .create({ projectId, tokenHash: hashToken(token), expiresAt: expiresAt ?? null });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "share.created",
      entity: "share",
      entityId: share.id,
      after: { projectId, expiresAt: share.expiresAt },
    });
    return { id: share.id, projectId, token, expiresAt: share.expiresAt };
  });
}

/** Revokes a share link (admins and owners of its project's team); revoking twice changes nothing. */
export async function revokeShare(ctx: ServiceContext, shareId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    assertId("project_shares", shareId);
    const share = await tx.repo(projectShares).get(shareId, { forUpdate: true });
    // A share of a project the caller cannot see answers 404 as the project would.
    const { project } = await accessTo(tx, ctx, share.projectId, "manage").catch((error: unknown) => {
      throw error instanceof NotFoundError ? new NotFoundError("project_shares", shareId) : error;
    });
    if (share.revokedAt) return;
    const revoked = await tx.repo(projectShares).update(shareId, { revokedAt: new Date() });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "share.revoked",
      entity: "share",
      entityId: shareId,
      before: { revokedAt: null },
      after: { projectId: share.projectId, revokedAt: revoked.revokedAt },
    });
  });
}

/**
 * What a share link shows, to anyone holding it: the project and a page of its tickets, newest first.
 * An unknown, expired or revoked token, or a deleted project, answers NotFoundError without naming
 * the token.
 */
export async function sharedProject(
  ctx: AnonymousContext,
  token: string,
  page: SharedPageQuery = {},
): Promise<SharedProject> {
  const gone = () => new NotFoundError("project_shares");
  if (!shareToken.safeParse(token).success) throw gone();
  const share = await ctx.db.repo(projectShares).find({ tokenHash: hashToken(token) });
  if (!share || share.revokedAt || (share.expiresAt && share.expiresAt.getTime() <= Date.now())) throw gone();
  const project = await ctx.db.repo(projects).find(share.projectId);
  if (!project || !(await ctx.db.repo(teams).exists(project.teamId))) throw gone();
  const shown = await ctx.db.repo(tickets).list({
    where: { projectId: project.id },
    sort: ["-createdAt", "-number"],
    limit: Math.min(page.limit ?? SHARED_TICKET_LIMIT, SHARED_TICKET_LIMIT),
    cursor: page.cursor,
  });
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    tickets: shown.data.map((t) => ({
      id: t.id,
      number: t.number,
      title: t.title,
      status: t.status,
      priority: t.priority,
      tags: t.tags,
      createdAt: t.createdAt,
    })),
    nextCursor: shown.nextCursor,
  };
}
