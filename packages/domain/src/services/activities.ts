import { type Page, type Session, ValidationError } from "@groundwork/db";
import { z } from "zod";
import { requireProjectAccess } from "../access/project-access.js";
import { actorOf, type ServiceContext } from "../context.js";
import { assertId, isUuid } from "../ids.js";
import { activities, activitySchemas, projectCollaborators, projects, teamMembers, teams } from "../schema/index.js";
import { parseInput } from "./input.js";
import type { PageQuery } from "./teams.js";

// ---------------------------------------------------------------- inputs

/** A custom feed entry, e.g. an agent reporting progress; the caller is its actor. */
export const createActivityInput = z
  .object({
    verb: activitySchemas.insert.shape.verb,
    subjectType: activitySchemas.insert.shape.subjectType,
    subjectId: z.string().trim().min(1).max(255).nullable().optional(),
    data: activitySchemas.insert.shape.data,
  })
  .strict();

const verbFilter = z.string().trim().min(1).max(100);

export type ActivityListQuery = PageQuery<typeof activities> & { verb?: string };
/** The caller's feed is paged by its own cursor: it merges two queries, so no single repository cursor fits. */
export type MyActivityQuery = Pick<ActivityListQuery, "limit" | "cursor" | "verb">;

// ---------------------------------------------------------------- results

export type Activity = typeof activities.pg.$inferSelect;

// ---------------------------------------------------------------- helpers

const DEFAULT_LIMIT = 50;

async function projectAccess(db: Session, ctx: ServiceContext, projectId: string, need: "read" | "write") {
  assertId("projects", projectId);
  return requireProjectAccess(db, ctx.principal, projectId, need);
}

const invalidCursor = () => new ValidationError([{ path: ["cursor"], message: "invalid or expired cursor" }]);

// The cursor of the caller's feed is the id of the last activity seen: ids are UUIDv7, so id order is creation order.
function encodeFeedCursor(id: string): string {
  return Buffer.from(JSON.stringify(["me", id])).toString("base64url");
}

function decodeFeedCursor(cursor: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== "me") throw invalidCursor();
  const id = decoded[1];
  if (!isUuid(id)) throw invalidCursor();
  return id.toLowerCase();
}

/**
 * Where the caller's feed comes from: the team-level entries of the live teams they belong to (an
 * agent: its team), and the entries of every live project they see, in those teams or as a
 * collaborator. A soft-deleted project's entries are hidden with it, and come back if it is restored.
 */
async function visibleScopes(db: Session, ctx: ServiceContext): Promise<{ teamIds: string[]; projectIds: string[] }> {
  let memberOf: string[];
  let collaboratorOf: string[] = [];
  if (ctx.principal.kind === "agent") {
    memberOf = [ctx.principal.teamId];
  } else {
    const userId = ctx.principal.userId;
    memberOf = (await db.repo(teamMembers).list({ where: { userId }, limit: 10_000 })).data.map((m) => m.teamId);
    collaboratorOf = (await db.repo(projectCollaborators).list({ where: { userId }, limit: 10_000 })).data.map(
      (c) => c.projectId,
    );
  }
  // Deleted teams disappear for everyone, their feed with them.
  const teamIds =
    memberOf.length === 0
      ? []
      : (await db.repo(teams).list({ where: { id: { in: memberOf } }, limit: 10_000 })).data.map((t) => t.id);
  const teamProjects =
    teamIds.length === 0
      ? []
      : (await db.repo(projects).list({ where: { teamId: { in: teamIds } }, limit: 10_000 })).data;
  const collaborations =
    collaboratorOf.length === 0
      ? []
      : (await db.repo(projects).list({ where: { id: { in: collaboratorOf } }, limit: 10_000 })).data;
  const otherTeams = [...new Set(collaborations.map((p) => p.teamId))].filter((id) => !teamIds.includes(id));
  const liveOtherTeams = new Set(
    otherTeams.length === 0
      ? []
      : (await db.repo(teams).list({ where: { id: { in: otherTeams } }, limit: 10_000 })).data.map((t) => t.id),
  );
  const projectIds = new Set([
    ...teamProjects.map((p) => p.id),
    ...collaborations.filter((p) => teamIds.includes(p.teamId) || liveOtherTeams.has(p.teamId)).map((p) => p.id),
  ]);
  return { teamIds, projectIds: [...projectIds] };
}

// ---------------------------------------------------------------- activities

/** The project's feed, newest first, optionally only one verb. */
export async function listProjectActivities(
  ctx: ServiceContext,
  projectId: string,
  query: ActivityListQuery = {},
): Promise<Page<Activity>> {
  const verb = query.verb === undefined ? undefined : parseInput(verbFilter, query.verb);
  await projectAccess(ctx.db, ctx, projectId, "read");
  return ctx.db.repo(activities).list({
    where: { projectId, ...(verb !== undefined ? { verb } : {}) },
    sort: query.sort ?? "-createdAt",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}

/** Adds a custom entry to the project's feed, with the caller as its actor. */
export async function createActivity(ctx: ServiceContext, projectId: string, input: unknown): Promise<Activity> {
  const values = parseInput(createActivityInput, input);
  return ctx.db.transaction(async (tx) => {
    const { project } = await projectAccess(tx, ctx, projectId, "write");
    // A feed entry is itself the record of what happened: it has no audit row of its own.
    return tx.repo(activities).create({
      teamId: project.teamId,
      projectId,
      ...actorOf(ctx.principal),
      verb: values.verb,
      subjectType: values.subjectType,
      subjectId: values.subjectId ?? null,
      data: values.data ?? {},
    });
  });
}

/**
 * Recent activities the caller may see, newest first: the team-level entries of the teams they
 * belong to, and the feeds of the live projects they see (see `visibleScopes`). The repository
 * filters with AND only, so the two scopes are two queries merged by id.
 */
export async function listMyActivities(ctx: ServiceContext, query: MyActivityQuery = {}): Promise<Page<Activity>> {
  const verb = query.verb === undefined ? undefined : parseInput(verbFilter, query.verb);
  const after = query.cursor ? decodeFeedCursor(query.cursor) : undefined;
  const limit = query.limit ?? DEFAULT_LIMIT;
  const { teamIds, projectIds } = await visibleScopes(ctx.db, ctx);
  const common = {
    ...(verb !== undefined ? { verb } : {}),
    ...(after !== undefined ? { id: { lt: after } } : {}),
  };
  const scopes = [
    ...(teamIds.length > 0 ? [{ teamId: { in: teamIds }, projectId: null }] : []),
    ...(projectIds.length > 0 ? [{ projectId: { in: projectIds } }] : []),
  ];
  const rows = new Map<string, Activity>();
  for (const scope of scopes) {
    const page = await ctx.db.repo(activities).list({ where: { ...scope, ...common }, sort: "-id", limit: limit + 1 });
    for (const row of page.data) rows.set(row.id, row);
  }
  const merged = [...rows.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const data = merged.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: merged.length > limit && last ? encodeFeedCursor(last.id) : null };
}
