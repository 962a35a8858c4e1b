import { NotFoundError, type Session } from "@groundwork/db";
import type { Principal } from "../context.js";
import { ForbiddenError } from "../errors.js";
import { type TeamRole, teamMembers, teams } from "../schema/index.js";

const rank: Record<TeamRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** True when `role` includes everything `minimum` may do. */
export function atLeast(role: TeamRole, minimum: TeamRole): boolean {
  return rank[role] >= rank[minimum];
}

/**
 * The caller's role in a team, checked against `minimum`. A team the caller does not belong to
 * answers NotFoundError, exactly as a team that does not exist, so existence never leaks; a member
 * without the role gets ForbiddenError. Agents act in their own team with member rights.
 */
export async function requireTeamRole(
  db: Session,
  principal: Principal,
  teamId: string,
  minimum: TeamRole,
): Promise<TeamRole> {
  let role: TeamRole | undefined;
  if (principal.kind === "agent") {
    role = principal.teamId === teamId ? "member" : undefined;
  } else {
    role = (await db.repo(teamMembers).find({ teamId, userId: principal.userId }))?.role;
  }
  if (!role || !(await db.repo(teams).exists(teamId))) throw new NotFoundError("teams", teamId);
  if (!atLeast(role, minimum)) throw new ForbiddenError(`this needs the ${minimum} role in the team`);
  return role;
}
