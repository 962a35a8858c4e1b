import {
  type AnyTable,
  type ListOptions,
  NotFoundError,
  type Page,
  type Session,
  ValidationError,
  VersionConflictError,
} from "@groundwork/db";
import { z } from "zod";
import { atLeast, requireTeamRole } from "../access/team-access.js";
import { recordChange } from "../audit.js";
import type { ServiceContext } from "../context.js";
import { ConflictError, ForbiddenError } from "../errors.js";
import { assertId } from "../ids.js";
import { dateTimeInput, jsonPresentSchema, keyPattern, keyRule } from "../schema/common.js";
import {
  auditLogs,
  type TeamRole,
  teamMembers,
  teamRoles,
  teamSchemas,
  teamSettings,
  teams,
  userSchemas,
  users,
} from "../schema/index.js";
import { parseInput } from "./input.js";

// ---------------------------------------------------------------- inputs

export const createTeamInput = z
  .object({ name: teamSchemas.insert.shape.name, slug: teamSchemas.insert.shape.slug })
  .strict();
export const updateTeamInput = z
  .object({ name: teamSchemas.insert.shape.name.optional(), slug: teamSchemas.insert.shape.slug.optional() })
  .strict();
export const teamRoleSchema = z.enum(teamRoles);
export const addMemberInput = z
  .object({
    email: userSchemas.insert.shape.email.optional(),
    userId: z.uuid().optional(),
    role: teamRoleSchema.default("member"),
  })
  .strict()
  .refine((input) => (input.email === undefined) !== (input.userId === undefined), {
    message: "give either email or userId",
  });
export const updateMemberInput = z.object({ role: teamRoleSchema }).strict();
export const settingKey = z.string().regex(keyPattern, keyRule);
/** How deeply a setting's value may nest: validating and storing JSON is recursive, and the stack is not endless. */
export const MAX_SETTING_DEPTH = 64;
export const settingInput = z.object({ value: jsonPresentSchema }).strict();
/** The filters of the audit log; `from` is inclusive, `to` exclusive. */
export const auditLogFilters = z.object({
  entity: z.string().trim().min(1).max(100).optional(),
  action: z.string().trim().min(1).max(100).optional(),
  actor: z.uuid().optional(),
  from: dateTimeInput.optional(),
  to: dateTimeInput.optional(),
});

/** Page options of a list: how many, from where, and whether to count; the service decides the filter. */
export type PageQuery<T extends AnyTable> = Pick<ListOptions<T>, "limit" | "cursor" | "count" | "sort">;
export type AuditLogQuery = z.input<typeof auditLogFilters> & Omit<PageQuery<typeof auditLogs>, "sort">;

// ---------------------------------------------------------------- results

type TeamRow = typeof teams.pg.$inferSelect;
type MemberRow = typeof teamMembers.pg.$inferSelect;
type SettingRow = typeof teamSettings.pg.$inferSelect;

/** A team as its members see it, with the caller's role in it. */
export type Team = Omit<TeamRow, "deletedAt"> & { role: TeamRole };
/** A member of a team, with the user's name and email. */
export type Member = MemberRow & { name: string; email: string };
export interface Setting {
  key: string;
  value: SettingRow["value"];
  updatedAt: Date;
}
export type AuditLog = typeof auditLogs.pg.$inferSelect;

function teamOf({ deletedAt: _deleted, ...team }: TeamRow, role: TeamRole): Team {
  return { ...team, role };
}

function settingOf(row: SettingRow): Setting {
  return { key: row.key, value: row.value, updatedAt: row.updatedAt };
}

// ---------------------------------------------------------------- helpers

/** If-Match: the caller changes what it last saw, or nothing. */
function assertVersion(team: TeamRow, expected: number | undefined): void {
  if (expected !== undefined && team.version !== expected) {
    throw new VersionConflictError("teams", team.id, expected, team.version);
  }
}

/**
 * The caller's role in the team (see requireTeamRole). A malformed id is a team that does not
 * exist: PostgreSQL would refuse it as a uuid otherwise.
 */
async function roleIn(db: Session, ctx: ServiceContext, teamId: string, minimum: TeamRole): Promise<TeamRole> {
  assertId("teams", teamId);
  return requireTeamRole(db, ctx.principal, teamId, minimum);
}

/**
 * The caller's role in the team, for managing members and settings: admins and owners only, never
 * agents. A team the caller cannot see still answers NotFoundError first.
 */
async function managerRoleIn(tx: Session, ctx: ServiceContext, teamId: string, what: string): Promise<TeamRole> {
  const role = await roleIn(tx, ctx, teamId, "viewer");
  if (ctx.principal.kind === "agent") throw new ForbiddenError(`agents cannot ${what}`);
  if (!atLeast(role, "admin")) throw new ForbiddenError("this needs the admin role in the team");
  return role;
}

/** The nesting depth of a JSON value, measured without recursion (the value may be deeper than the stack). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== "object") continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_SETTING_DEPTH) return deepest;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function memberKey(teamId: string, userId: string) {
  assertId("team_members", userId);
  return { teamId, userId };
}

/** The team's owners, locked (PostgreSQL) so two owners cannot demote or remove each other at once. */
async function lockedOwnerCount(tx: Session, teamId: string): Promise<number> {
  const owners = await tx.repo(teamMembers).list({ where: { teamId, role: "owner" }, limit: 10_000, forUpdate: true });
  return owners.data.length;
}

async function withUsers(db: Session, rows: MemberRow[]): Promise<Member[]> {
  if (rows.length === 0) return [];
  const ids = [...new Set(rows.map((r) => r.userId))];
  // Members whose user was soft-deleted are still members: show them under their last name.
  const found = await db.repo(users).list({ where: { id: { in: ids } }, limit: ids.length, deleted: "include" });
  const byId = new Map(found.data.map((u) => [u.id, u]));
  return rows.map((row) => {
    const user = byId.get(row.userId);
    return { ...row, name: user?.name ?? "", email: user?.email ?? "" };
  });
}

// ---------------------------------------------------------------- teams

/** The teams the caller belongs to; an agent sees its own team. */
export async function listTeams(ctx: ServiceContext, query: PageQuery<typeof teams> = {}): Promise<Page<Team>> {
  const roles = new Map<string, TeamRole>();
  if (ctx.principal.kind === "agent") {
    roles.set(ctx.principal.teamId, "member");
  } else {
    // A person belongs to a handful of teams: filtering teams by the list keeps the team's own sort and cursor.
    const memberships = await ctx.db.repo(teamMembers).list({ where: { userId: ctx.principal.userId }, limit: 10_000 });
    for (const m of memberships.data) roles.set(m.teamId, m.role);
  }
  if (roles.size === 0) return { data: [], nextCursor: null, ...(query.count ? { total: 0 } : {}) };
  const page = await ctx.db.repo(teams).list({
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
    sort: query.sort ?? "name",
    where: { id: { in: [...roles.keys()] } },
  });
  return { ...page, data: page.data.map((team) => teamOf(team, roles.get(team.id) ?? "member")) };
}

/** Creates a team; the caller (a person) becomes its owner. */
export async function createTeam(ctx: ServiceContext, input: unknown): Promise<Team> {
  const { name, slug } = parseInput(createTeamInput, input);
  if (ctx.principal.kind !== "user") throw new ForbiddenError("agents cannot create teams");
  const userId = ctx.principal.userId;
  return ctx.db.transaction(async (tx) => {
    const team = await tx.repo(teams).create({ name, slug });
    await tx.repo(teamMembers).create({ teamId: team.id, userId, role: "owner" });
    recordChange(tx, ctx, {
      teamId: team.id,
      action: "team.created",
      entity: "team",
      entityId: team.id,
      after: { name: team.name, slug: team.slug },
    });
    return teamOf(team, "owner");
  });
}

export async function getTeam(ctx: ServiceContext, teamId: string): Promise<Team> {
  const role = await roleIn(ctx.db, ctx, teamId, "viewer");
  return teamOf(await ctx.db.repo(teams).get(teamId), role);
}

/** Renames a team or changes its slug (admins and owners). */
export async function updateTeam(
  ctx: ServiceContext,
  teamId: string,
  input: unknown,
  options: { expectedVersion?: number } = {},
): Promise<Team> {
  const patch = parseInput(updateTeamInput, input);
  return ctx.db.transaction(async (tx) => {
    const role = await roleIn(tx, ctx, teamId, "admin");
    const before = await tx.repo(teams).get(teamId, { forUpdate: true });
    assertVersion(before, options.expectedVersion);
    const changed = (Object.keys(patch) as (keyof typeof patch)[]).some(
      (k) => patch[k] !== undefined && patch[k] !== before[k],
    );
    if (!changed) return teamOf(before, role);
    const after = await tx.repo(teams).update(teamId, patch);
    recordChange(tx, ctx, {
      teamId,
      action: "team.updated",
      entity: "team",
      entityId: teamId,
      before: { name: before.name, slug: before.slug },
      after: { name: after.name, slug: after.slug },
    });
    return teamOf(after, role);
  });
}

/** Deletes a team (owners only). Soft: its rows stay, it disappears for everyone, and its slug is free again. */
export async function deleteTeam(
  ctx: ServiceContext,
  teamId: string,
  options: { expectedVersion?: number } = {},
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await roleIn(tx, ctx, teamId, "owner");
    const team = await tx.repo(teams).get(teamId, { forUpdate: true });
    assertVersion(team, options.expectedVersion);
    await tx.repo(teams).delete(teamId);
    recordChange(tx, ctx, {
      teamId,
      action: "team.deleted",
      entity: "team",
      entityId: teamId,
      before: { name: team.name, slug: team.slug },
    });
  });
}

// ---------------------------------------------------------------- members

export type MemberListQuery = PageQuery<typeof teamMembers> & { role?: TeamRole };

/** The team's members with their names and emails (anyone in the team, agents included). */
export async function listMembers(
  ctx: ServiceContext,
  teamId: string,
  query: MemberListQuery = {},
): Promise<Page<Member>> {
  await roleIn(ctx.db, ctx, teamId, "viewer");
  const role = query.role === undefined ? undefined : parseInput(teamRoleSchema, query.role);
  const page = await ctx.db.repo(teamMembers).list({
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
    sort: query.sort ?? "createdAt",
    where: { teamId, ...(role ? { role } : {}) },
  });
  return { ...page, data: await withUsers(ctx.db, page.data) };
}

/** Adds a person by id or email (admins and owners; only an owner adds an owner). */
export async function addMember(ctx: ServiceContext, teamId: string, input: unknown): Promise<Member> {
  const { email, userId, role } = parseInput(addMemberInput, input);
  return ctx.db.transaction(async (tx) => {
    const callerRole = await managerRoleIn(tx, ctx, teamId, "manage members");
    if (role === "owner" && callerRole !== "owner") throw new ForbiddenError("only an owner may add an owner");
    const user = userId ? await tx.repo(users).find(userId) : await tx.repo(users).find({ email });
    if (!user) throw new NotFoundError("users", userId ?? email);
    if (await tx.repo(teamMembers).exists({ teamId, userId: user.id })) {
      throw new ConflictError("this person is already a member of the team", [userId ? "userId" : "email"]);
    }
    const member = await tx.repo(teamMembers).create({ teamId, userId: user.id, role });
    recordChange(tx, ctx, {
      teamId,
      action: "member.added",
      entity: "member",
      entityId: user.id,
      after: { userId: user.id, role },
      activity: { verb: "added", data: { userId: user.id, name: user.name, role } },
    });
    return { ...member, name: user.name, email: user.email };
  });
}

/**
 * Changes a member's role. Admins manage roles below owner; only owners make or demote owners; the
 * last owner stays an owner.
 */
export async function updateMember(
  ctx: ServiceContext,
  teamId: string,
  userId: string,
  input: unknown,
): Promise<Member> {
  const { role } = parseInput(updateMemberInput, input);
  return ctx.db.transaction(async (tx) => {
    const callerRole = await managerRoleIn(tx, ctx, teamId, "manage members");
    const before = await tx.repo(teamMembers).get(memberKey(teamId, userId));
    if ((before.role === "owner" || role === "owner") && callerRole !== "owner") {
      throw new ForbiddenError("only an owner may make or demote an owner");
    }
    if (before.role === role) return (await withUsers(tx, [before]))[0] as Member;
    if (before.role === "owner" && (await lockedOwnerCount(tx, teamId)) <= 1) {
      throw new ConflictError("the last owner of a team cannot be demoted; make someone else an owner first", ["role"]);
    }
    const after = await tx.repo(teamMembers).update({ teamId, userId }, { role });
    recordChange(tx, ctx, {
      teamId,
      action: "member.updated",
      entity: "member",
      entityId: userId,
      before: { role: before.role },
      after: { role: after.role },
    });
    return (await withUsers(tx, [after]))[0] as Member;
  });
}

/**
 * Removes a member. Anyone may leave; admins remove members below owner; owners remove anyone; the
 * last owner can neither leave nor be removed.
 */
export async function removeMember(ctx: ServiceContext, teamId: string, userId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const callerRole = await roleIn(tx, ctx, teamId, "viewer");
    if (ctx.principal.kind === "agent") throw new ForbiddenError("agents cannot manage members");
    const self = ctx.principal.kind === "user" && ctx.principal.userId === userId;
    if (!self && !atLeast(callerRole, "admin")) throw new ForbiddenError("this needs the admin role in the team");
    const member = await tx.repo(teamMembers).get(memberKey(teamId, userId));
    if (!self && member.role === "owner" && callerRole !== "owner") {
      throw new ForbiddenError("only an owner may remove an owner");
    }
    if (member.role === "owner" && (await lockedOwnerCount(tx, teamId)) <= 1) {
      throw new ConflictError(
        self
          ? "the last owner of a team cannot leave it; make someone else an owner first, or delete the team"
          : "the last owner of a team cannot be removed",
        ["userId"],
      );
    }
    await tx.repo(teamMembers).delete({ teamId, userId });
    recordChange(tx, ctx, {
      teamId,
      action: "member.removed",
      entity: "member",
      entityId: userId,
      before: { userId, role: member.role },
    });
  });
}

// ---------------------------------------------------------------- settings

export async function getSetting(ctx: ServiceContext, teamId: string, key: string): Promise<Setting> {
  await roleIn(ctx.db, ctx, teamId, "viewer");
  const row = await ctx.db.repo(teamSettings).find({ teamId, key: parseInput(settingKey, key) });
  if (!row) throw new NotFoundError("team_settings", key);
  return settingOf(row);
}

/** Sets a team setting to any JSON value (admins and owners). */
export async function putSetting(ctx: ServiceContext, teamId: string, key: string, input: unknown): Promise<Setting> {
  const validKey = parseInput(settingKey, key);
  if (
    typeof input === "object" &&
    input !== null &&
    depthOf((input as { value?: unknown }).value) > MAX_SETTING_DEPTH
  ) {
    throw new ValidationError([{ path: ["value"], message: `may nest at most ${MAX_SETTING_DEPTH} levels deep` }]);
  }
  const { value } = parseInput(settingInput, input);
  return ctx.db.transaction(async (tx) => {
    await managerRoleIn(tx, ctx, teamId, "change team settings");
    const before = await tx.repo(teamSettings).find({ teamId, key: validKey });
    if (before && JSON.stringify(before.value) === JSON.stringify(value)) return settingOf(before);
    const row = await tx.repo(teamSettings).upsert({ teamId, key: validKey, value }, { target: ["teamId", "key"] });
    recordChange(tx, ctx, {
      teamId,
      action: "setting.updated",
      entity: "setting",
      entityId: validKey,
      before: before ? { value: before.value } : null,
      after: { value: row.value },
    });
    return settingOf(row);
  });
}

// ---------------------------------------------------------------- audit log

/** The team's audit trail, newest first (admins and owners). */
export async function listAuditLogs(
  ctx: ServiceContext,
  teamId: string,
  query: AuditLogQuery = {},
): Promise<Page<AuditLog>> {
  const { entity, action, actor, from, to } = parseInput(auditLogFilters, {
    entity: query.entity,
    action: query.action,
    actor: query.actor,
    from: query.from,
    to: query.to,
  });
  await roleIn(ctx.db, ctx, teamId, "admin");
  return ctx.db.repo(auditLogs).list({
    where: {
      teamId,
      ...(entity !== undefined ? { entity } : {}),
      ...(action !== undefined ? { action } : {}),
      ...(actor !== undefined ? { actorId: actor } : {}),
      ...(from || to ? { createdAt: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } : {}),
    },
    sort: "-createdAt",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}
