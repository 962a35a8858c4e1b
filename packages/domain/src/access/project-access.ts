import { type Deleted, NotFoundError, type Session } from "@groundwork/db";
import { sql } from "drizzle-orm";
import type { Principal } from "../context.js";
import { ForbiddenError } from "../errors.js";
import { type ProjectRole, projects, type TeamRole, teams } from "../schema/index.js";

/**
 * What a caller wants to do with a project and what is under it:
 * - `read`: see it (team viewers, project collaborators of either role);
 * - `write`: tickets, tasks, chats, files, prompts, costs, enqueueing (team members, editors, agents);
 * - `manage`: the project itself, its queues and collaborators (team admins and owners).
 */
export type ProjectNeed = "read" | "write" | "manage";

export type Project = typeof projects.pg.$inferSelect;

export interface ProjectAccess {
  project: Project;
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
 * The project, if the caller may do `need` with it. A project the caller cannot see at all answers
 * NotFoundError, exactly as one that does not exist; one they can see but not change answers
 * ForbiddenError. Soft-deleted projects are invisible unless `deleted` asks for them (restore).
 */
export async function requireProjectAccess(
  db: Session,
  principal: Principal,
  projectId: string,
  need: ProjectNeed,
  options: { deleted?: Deleted } = {},
): Promise<ProjectAccess> {
  const project = await db.repo(projects).find(projectId, { deleted: options.deleted ?? "exclude" });
  if (!project) throw new NotFoundError("projects", projectId);

  let teamRole: TeamRole | undefined;
  let projectRole: ProjectRole | undefined;
  if (principal.kind === "agent") {
    if (principal.teamId !== project.teamId || !(await db.repo(teams).exists(project.teamId))) {
      throw new NotFoundError("projects", projectId);
    }
    teamRole = "member";
  } else {
    // Whether the team is live, and the caller's roles, in one statement: this runs on every request
    // that touches a project.
    const [found] = await db.execute<{ live: unknown; teamRole: TeamRole | null; projectRole: ProjectRole | null }>(sql`
      select (select 1 from teams t where t.id = ${project.teamId} and t.deleted_at is null) as "live",
             (select m.role from team_members m
               where m.team_id = ${project.teamId} and m.user_id = ${principal.userId}) as "teamRole",
             (select c.role from project_collaborators c
               where c.project_id = ${projectId} and c.user_id = ${principal.userId}) as "projectRole"`);
    if (!found?.live) throw new NotFoundError("projects", projectId);
    teamRole = found.teamRole ?? undefined;
    if (!teamRole) projectRole = found.projectRole ?? undefined;
  }
  const allowed = teamRole ? teamRoleAllows[teamRole] : projectRole ? collaboratorAllows[projectRole] : undefined;
  if (!allowed) throw new NotFoundError("projects", projectId);
  if (!allowed[need]) throw new ForbiddenError(`this needs ${need} access to the project`);
  return { project, ...(teamRole ? { teamRole } : {}), ...(projectRole ? { projectRole } : {}) };
}
