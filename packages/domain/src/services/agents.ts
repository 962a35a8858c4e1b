import { NotFoundError, type Page, type Session } from "@groundwork/db";
import { z } from "zod";
import { atLeast, requireTeamRole } from "../access/team-access.js";
import { recordChange } from "../audit.js";
import type { ServiceContext } from "../context.js";
import { ForbiddenError } from "../errors.js";
import { assertId } from "../ids.js";
import { type AgentStatus, agentSchemas, agentStatuses, agents, apiTokens } from "../schema/index.js";
import { type Auth, apiTokenInput, type CreatedApiToken } from "./auth.js";
import { parseInput } from "./input.js";
import { releaseItemsOf } from "./queues.js";
import type { PageQuery } from "./teams.js";

// ---------------------------------------------------------------- inputs

export const agentStatusSchema = z.enum(agentStatuses);
export const createAgentInput = z
  .object({
    name: agentSchemas.insert.shape.name,
    provider: agentSchemas.insert.shape.provider,
    model: agentSchemas.insert.shape.model,
    config: agentSchemas.insert.shape.config,
  })
  .strict();
export const updateAgentInput = z
  .object({
    name: agentSchemas.insert.shape.name.optional(),
    provider: agentSchemas.insert.shape.provider.optional(),
    model: agentSchemas.insert.shape.model.optional(),
    config: agentSchemas.insert.shape.config,
    status: agentStatusSchema.optional(),
  })
  .strict();

export type AgentListQuery = PageQuery<typeof agents> & { status?: AgentStatus };

// ---------------------------------------------------------------- results

export type Agent = typeof agents.pg.$inferSelect;

// The fields an audit row shows of an agent.
const audited = ({ name, provider, model, config, status }: Agent) => ({ name, provider, model, config, status });

// ---------------------------------------------------------------- helpers

/**
 * The agent and the caller's role in its team, checked against `minimum`. An agent the caller
 * cannot see answers NotFoundError for the agent, exactly as one that does not exist.
 */
async function agentFor(
  db: Session,
  ctx: ServiceContext,
  agentId: string,
  minimum: "viewer" | "admin",
  options: { forUpdate?: boolean } = {},
): Promise<Agent> {
  assertId("agents", agentId);
  const agent = await db.repo(agents).find(agentId, options);
  if (!agent) throw new NotFoundError("agents", agentId);
  try {
    const role = await requireTeamRole(db, ctx.principal, agent.teamId, "viewer");
    if (minimum === "admin" && (ctx.principal.kind === "agent" || !atLeast(role, "admin"))) {
      throw new ForbiddenError("managing agents needs the admin role in the team");
    }
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError("agents", agentId);
    throw error;
  }
  return agent;
}

/** The caller's role in the team (viewer at least); a malformed id is a team that does not exist. */
async function requireTeam(db: Session, ctx: ServiceContext, teamId: string, minimum: "viewer" | "admin") {
  assertId("teams", teamId);
  const role = await requireTeamRole(db, ctx.principal, teamId, "viewer");
  if (minimum === "admin" && (ctx.principal.kind === "agent" || !atLeast(role, "admin"))) {
    throw new ForbiddenError("managing agents needs the admin role in the team");
  }
}

// ---------------------------------------------------------------- agents

/** The team's agents (anyone in the team, agents included). */
export async function listAgents(
  ctx: ServiceContext,
  teamId: string,
  query: AgentListQuery = {},
): Promise<Page<Agent>> {
  await requireTeam(ctx.db, ctx, teamId, "viewer");
  const status = query.status === undefined ? undefined : parseInput(agentStatusSchema, query.status);
  return ctx.db.repo(agents).list({
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
    sort: query.sort ?? "name",
    where: { teamId, ...(status ? { status } : {}) },
  });
}

/** Adds an agent to a team (admins and owners). */
export async function createAgent(ctx: ServiceContext, teamId: string, input: unknown): Promise<Agent> {
  const values = parseInput(createAgentInput, input);
  return ctx.db.transaction(async (tx) => {
    await requireTeam(tx, ctx, teamId, "admin");
    const agent = await tx.repo(agents).create({ ...values, teamId });
    recordChange(tx, ctx, {
      teamId,
      action: "agent.created",
      entity: "agent",
      entityId: agent.id,
      after: audited(agent),
      activity: { verb: "created", data: { name: agent.name, provider: agent.provider, model: agent.model } },
    });
    return agent;
  });
}

/** One agent: for anyone in its team, the agent itself included. */
export async function getAgent(ctx: ServiceContext, agentId: string): Promise<Agent> {
  return agentFor(ctx.db, ctx, agentId, "viewer");
}

/**
 * Changes an agent (admins and owners). The agent itself may change only its own `status`, which
 * is its heartbeat: it also sets `lastSeenAt`.
 */
export async function updateAgent(ctx: ServiceContext, agentId: string, input: unknown): Promise<Agent> {
  const patch = parseInput(updateAgentInput, input);
  const principal = ctx.principal;
  const self = principal.kind === "agent" && principal.agentId === agentId;
  if (self && Object.entries(patch).some(([key, value]) => key !== "status" && value !== undefined)) {
    throw new ForbiddenError("an agent may change only its own status");
  }
  return ctx.db.transaction(async (tx) => {
    const before = await agentFor(tx, ctx, agentId, self ? "viewer" : "admin", { forUpdate: true });
    const changed = (Object.keys(patch) as (keyof typeof patch)[]).some(
      (k) => patch[k] !== undefined && JSON.stringify(patch[k]) !== JSON.stringify(before[k]),
    );
    if (!changed) {
      return self ? tx.repo(agents).update(agentId, { lastSeenAt: new Date() }) : before;
    }
    const after = await tx.repo(agents).update(agentId, { ...patch, ...(self ? { lastSeenAt: new Date() } : {}) });
    recordChange(tx, ctx, {
      teamId: before.teamId,
      action: "agent.updated",
      entity: "agent",
      entityId: agentId,
      before: audited(before),
      after: audited(after),
    });
    return after;
  });
}

/**
 * Deletes an agent for good (admins and owners): its tokens go with it; its costs stay, without it;
 * the items it holds go back to their queues (dead when on their last attempt).
 */
export async function deleteAgent(ctx: ServiceContext, agentId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const agent = await agentFor(tx, ctx, agentId, "admin");
    // Items before the agent row, as every queue operation locks them: the other order could
    // deadlock with a completion. Then again under the agent's lock, for a claim that committed
    // in between; a later claim for it waits on that lock and then finds it gone.
    await releaseItemsOf(tx, ctx, agent);
    await tx.repo(agents).get(agentId, { forUpdate: true });
    await releaseItemsOf(tx, ctx, agent);
    await tx.repo(agents).delete(agentId);
    recordChange(tx, ctx, {
      teamId: agent.teamId,
      action: "agent.deleted",
      entity: "agent",
      entityId: agentId,
      before: audited(agent),
    });
  });
}

/** An API token for the agent (admins and owners); its secret is in this answer only, never in the audit. */
export async function createAgentToken(
  ctx: ServiceContext,
  auth: Auth,
  agentId: string,
  input: unknown,
): Promise<CreatedApiToken> {
  const values = parseInput(apiTokenInput, input);
  return ctx.db.transaction(async (tx) => {
    const agent = await agentFor(tx, ctx, agentId, "admin");
    const created = await auth.createApiToken({ ...ctx, db: tx }, values, { agentId });
    recordChange(tx, ctx, {
      teamId: agent.teamId,
      action: "agent.token_created",
      entity: "agent",
      entityId: agentId,
      after: { tokenId: created.id, name: created.name, expiresAt: created.expiresAt },
    });
    return created;
  });
}

/** The agent's API tokens (admins and owners), newest first, revoked ones included, never their secrets. */
export async function listAgentTokens(ctx: ServiceContext, agentId: string) {
  await agentFor(ctx.db, ctx, agentId, "admin");
  const page = await ctx.db.repo(apiTokens).list({ where: { agentId }, sort: "-createdAt", limit: 200 });
  return page.data.map(({ tokenHash: _secret, ...token }) => token);
}

/** Revokes one of the agent's tokens (admins and owners): it stops working at once. */
export async function revokeAgentToken(ctx: ServiceContext, agentId: string, tokenId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const agent = await agentFor(tx, ctx, agentId, "admin");
    const token = await tx.repo(apiTokens).find({ id: tokenId, agentId, revokedAt: null });
    if (!token) throw new NotFoundError("api_tokens", tokenId);
    await tx.repo(apiTokens).update(tokenId, { revokedAt: new Date() });
    recordChange(tx, ctx, {
      teamId: agent.teamId,
      action: "agent.token_revoked",
      entity: "agent",
      entityId: agentId,
      before: { tokenId, name: token.name, expiresAt: token.expiresAt },
    });
  });
}
