import {
  type AnyTable,
  type Deleted,
  type Include,
  type Key,
  NotFoundError,
  type RowOf,
  type Session,
  type WithIncluded,
} from "@groundwork/db";
import { type SQL, sql } from "drizzle-orm";
import { markUserConfirmed, type Principal } from "../context.js";
import { ForbiddenError, UserGoneError } from "../errors.js";
import { type ProjectRole, projects, type TeamRole } from "../schema/index.js";

/**
 * What a caller wants to do with a project and what is under it:
 * - `read`: see it (team viewers, project collaborators of either role);
 * - `write`: tickets, tasks, chats, files, prompts, costs, enqueueing (team members, editors, agents);
 * - `manage`: the project itself, its queues and collaborators (team admins and owners).
 */
export type ProjectNeed = "read" | "write" | "manage";

export type Project = typeof projects.pg.$inferSelect;

/** What the caller may do in a project, and in which team it is. */
export interface ProjectAccess {
  projectId: string;
  teamId: string;
  /** The caller's role in the project's team, if a member (agents: member). */
  teamRole?: TeamRole;
  /** The caller's collaborator role, when they are in the project but not in its team. */
  projectRole?: ProjectRole;
}

const teamRoleAllows: Record<TeamRole, Record<ProjectNeed, boolean>> = {
  viewer: { read: true, write: false, manage: false },
  member: { read: true, write: true, manage: false },
  admin: { read: true, write: true, manage: true },
  owner: { read: true, write: true, manage: true },
};
const collaboratorAllows: Record<ProjectRole, Record<ProjectNeed, boolean>> = {
  viewer: { read: true, write: false, manage: false },
  editor: { read: true, write: true, manage: false },
};

/**
 * What decides access, computed in the statement that reads the row it is about (`getWith` extras):
 * the project's team if the project and the team are live, and the caller's roles. This runs on
 * nearly every request, so it costs no statement of its own.
 */
function accessColumns(projectId: SQL, teamId: SQL) {
  const user = sql.placeholder("accessUser");
  return {
    accessTeamId: sql<string | null>`(select t.id from teams t where t.id = ${teamId} and t.deleted_at is null)`,
    accessTeamRole: sql<TeamRole | null>`(select m.role from team_members m
      where m.team_id = ${teamId} and m.user_id = ${user})`,
    accessProjectRole: sql<ProjectRole | null>`(select c.role from project_collaborators c
      where c.project_id = ${projectId} and c.user_id = ${user})`,
    // Whether the caller (a user) still exists: the check a request would otherwise spend a statement on.
    accessUserLive: sql<number | null>`(select 1 from users u where u.id = ${user} and u.deleted_at is null)`,
  };
}
type AccessColumns = { [K in keyof ReturnType<typeof accessColumns>]: unknown };

/** Access columns for a row of `projects`. */
const ofProject = accessColumns(sql.raw(`"projects"."id"`), sql.raw(`"projects"."team_id"`));
/** Access columns for a row of `table`, which belongs to the project in its `project_id`; made once per table. */
const viaColumns = new Map<string, ReturnType<typeof accessColumns>>();
function accessColumnsVia(table: string) {
  let columns = viaColumns.get(table);
  if (!columns) {
    const projectId = sql.raw(`"${table}"."project_id"`);
    columns = accessColumns(
      projectId,
      sql`(select p.team_id from projects p where p.id = ${projectId} and p.deleted_at is null)`,
    );
    viaColumns.set(table, columns);
  }
  return columns;
}

/** The placeholder values the access columns need. */
function accessValues(principal: Principal) {
  return { accessUser: principal.kind === "user" ? principal.userId : null };
}

/**
 * Splits a row read with access columns into the row and the caller's access to its project, checked
 * against `need`. A project the caller cannot see, or one that is deleted or in a deleted team,
 * answers `notFound()`, exactly as a row that does not exist; one they can see but not change
 * answers ForbiddenError.
 */
function accessOf<R extends AccessColumns>(
  principal: Principal,
  { accessTeamId, accessTeamRole, accessProjectRole, accessUserLive, ...row }: R,
  projectId: string,
  need: ProjectNeed,
  notFound: () => NotFoundError,
): { row: Omit<R, keyof AccessColumns>; access: ProjectAccess } {
  if (principal.kind === "user") {
    if (accessUserLive === null || accessUserLive === undefined) throw new UserGoneError();
    markUserConfirmed(principal);
  }
  const teamId = accessTeamId as string | null;
  if (!teamId) throw notFound();
  let teamRole: TeamRole | undefined;
  let projectRole: ProjectRole | undefined;
  if (principal.kind === "agent") {
    if (principal.teamId !== teamId) throw notFound();
    teamRole = "member";
  } else {
    teamRole = (accessTeamRole as TeamRole | null) ?? undefined;
    if (!teamRole) projectRole = (accessProjectRole as ProjectRole | null) ?? undefined;
  }
  const allowed = teamRole ? teamRoleAllows[teamRole] : projectRole ? collaboratorAllows[projectRole] : undefined;
  if (!allowed) throw notFound();
  if (!allowed[need]) throw new ForbiddenError(`this needs ${need} access to the project`);
  return {
    row,
    access: { projectId, teamId, ...(teamRole ? { teamRole } : {}), ...(projectRole ? { projectRole } : {}) },
  };
}

/** No includes: one object for every call, so `getWith` plans the statement once. */
export const NO_INCLUDES: Record<never, Include> = Object.freeze({});

/**
 * The project, if the caller may do `need` with it, read with the caller's access in one statement.
 * A project the caller cannot see at all answers NotFoundError, exactly as one that does not exist;
 * one they can see but not change answers ForbiddenError. Soft-deleted projects are invisible unless
 * `deleted` asks for them (restore).
 */
export async function requireProjectAccess(
  db: Session,
  principal: Principal,
  projectId: string,
  need: ProjectNeed,
  options: { deleted?: Deleted } = {},
): Promise<ProjectAccess & { project: Project }> {
  const found = await db.repo(projects).getWith(projectId, NO_INCLUDES, {
    deleted: options.deleted ?? "exclude",
    extras: ofProject,
    values: accessValues(principal),
  });
  const { row: project, access } = accessOf(
    principal,
    found,
    projectId,
    need,
    () => new NotFoundError("projects", projectId),
  );
  return { ...access, project };
}

/**
 * A row of a table under a project (one with `projectId`), with `include`d children, and the
 * caller's access to its project, all in one statement: the read behind most requests. A row the
 * caller cannot see answers NotFoundError for the row, exactly as one that does not exist.
 */
export async function requireAccessVia<T extends AnyTable, I extends Record<string, Include> = Record<never, Include>>(
  db: Session,
  principal: Principal,
  table: T,
  id: string,
  need: ProjectNeed,
  include = NO_INCLUDES as I,
): Promise<{ row: WithIncluded<RowOf<T>, I>; access: ProjectAccess }> {
  const extras = accessColumnsVia(table.name);
  const found = await db.repo(table).getWith(id as Key<T>, include, { extras, values: accessValues(principal) });
  const projectId = (found as { projectId?: unknown }).projectId;
  if (typeof projectId !== "string") throw new Error(`${table.name} has no projectId`);
  const { row, access } = accessOf(principal, found, projectId, need, () => new NotFoundError(table.name, id));
  return { row: row as unknown as WithIncluded<RowOf<T>, I>, access };
}
