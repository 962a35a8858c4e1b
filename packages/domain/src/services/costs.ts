import { type Page, type Session, timestampValue, ValidationError } from "@groundwork/db";
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { requireProjectAccess } from "../access/project-access.js";
import { requireTeamRole } from "../access/team-access.js";
import { recordChange } from "../audit.js";
import type { ServiceContext } from "../context.js";
import { assertId } from "../ids.js";
import {
  agents,
  costSchemas,
  costs,
  currencyPattern,
  currencyRule,
  dateTimeInput,
  dateTimeOrEpochInput,
  queueItems,
  queues,
} from "../schema/index.js";
import { parseInput } from "./input.js";
import type { PageQuery } from "./teams.js";

// ---------------------------------------------------------------- inputs

/** How many entries one request may record. */
export const MAX_COSTS_PER_REQUEST = 1_000;

// Integers only: money is micro-units and tokens are counts; JavaScript numbers are exact up to 2^53.
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const costEntryInput = z
  .object({
    agentId: z.uuid().nullable().optional(),
    queueItemId: z.uuid().nullable().optional(),
    provider: costSchemas.insert.shape.provider,
    model: costSchemas.insert.shape.model,
    inputTokens: count,
    outputTokens: count,
    amountMicros: count,
    currency: z.string().trim().toUpperCase().regex(currencyPattern, currencyRule).default("USD"),
    occurredAt: dateTimeOrEpochInput.optional(),
  })
  .strict();
/** One entry, or an array of up to 1,000 recorded all-or-nothing. */
export const recordCostsInput = z.union([costEntryInput, z.array(costEntryInput).min(1).max(MAX_COSTS_PER_REQUEST)]);
const timeRange = {
  from: dateTimeInput.optional(),
  to: dateTimeInput.optional(),
};
/** A range that ends before it starts is a mistake, not a question whose answer is "nothing". */
function toNotBeforeFrom(range: { from?: Date; to?: Date }, context: z.RefinementCtx): void {
  if (range.from && range.to && range.to < range.from) {
    context.addIssue({ code: "custom", path: ["to"], message: "must not be before from" });
  }
}
/** The filters of a cost list; `from` is inclusive, `to` exclusive. */
export const costFilters = z
  .object({
    agentId: z.uuid().optional(),
    model: z.string().trim().min(1).max(200).optional(),
    ...timeRange,
  })
  .superRefine(toNotBeforeFrom);
export const projectGroupings = ["agent", "model", "day"] as const;
export const teamGroupings = ["project", "agent", "model", "day"] as const;
export type CostGrouping = (typeof teamGroupings)[number];
export const projectSummaryQuery = z
  .object({ groupBy: z.enum(projectGroupings), ...timeRange })
  .superRefine(toNotBeforeFrom);
export const teamSummaryQuery = z.object({ groupBy: z.enum(teamGroupings), ...timeRange }).superRefine(toNotBeforeFrom);

export type CostListQuery = z.input<typeof costFilters> & PageQuery<typeof costs>;
export type CostSummaryQuery = z.input<typeof teamSummaryQuery>;

// ---------------------------------------------------------------- results

export type Cost = typeof costs.pg.$inferSelect;
/** One group of a summary: exact integer sums. `key` is null for costs without an agent. */
export interface CostSummaryRow {
  key: string | null;
  currency: string;
  amountMicros: number;
  inputTokens: number;
  outputTokens: number;
  count: number;
}
export interface CostSummary {
  data: CostSummaryRow[];
}

// ---------------------------------------------------------------- helpers

async function projectFor(db: Session, ctx: ServiceContext, projectId: string, need: "read" | "write") {
  assertId("projects", projectId);
  return (await requireProjectAccess(db, ctx.principal, projectId, need)).project;
}

/** The path of a field of entry `i`: `[i, field]` in an array, `[field]` for a single entry. */
const pathOf = (many: boolean, i: number, field: string) => (many ? [i, field] : [field]);

/**
 * Refuses agents outside the project's team and queue items outside the project, naming each
 * offending entry: a cost must not point at something its readers may not see.
 */
async function checkReferences(
  tx: Session,
  entries: z.output<typeof costEntryInput>[],
  project: { id: string; teamId: string },
  many: boolean,
): Promise<void> {
  const agentIds = [...new Set(entries.flatMap((e) => (e.agentId ? [e.agentId] : [])))];
  const itemIds = [...new Set(entries.flatMap((e) => (e.queueItemId ? [e.queueItemId] : [])))];
  const knownAgents = new Set<string>();
  if (agentIds.length > 0) {
    const where = { id: { in: agentIds }, teamId: project.teamId };
    for (const a of (await tx.repo(agents).list({ where, limit: agentIds.length })).data) knownAgents.add(a.id);
  }
  const knownItems = new Set<string>();
  if (itemIds.length > 0) {
    const projectQueues = await tx.repo(queues).list({ where: { projectId: project.id }, limit: 10_000 });
    const queueIds = projectQueues.data.map((q) => q.id);
    if (queueIds.length > 0) {
      const items = await tx
        .repo(queueItems)
        .list({ where: { id: { in: itemIds }, queueId: { in: queueIds } }, limit: itemIds.length });
      for (const item of items.data) knownItems.add(item.id);
    }
  }
  const errors: { path: (string | number)[]; message: string }[] = [];
  entries.forEach((entry, i) => {
    if (entry.agentId && !knownAgents.has(entry.agentId)) {
      errors.push({ path: pathOf(many, i, "agentId"), message: "no such agent in the project's team" });
    }
    if (entry.queueItemId && !knownItems.has(entry.queueItemId)) {
      errors.push({ path: pathOf(many, i, "queueItemId"), message: "no such queue item in the project" });
    }
  });
  if (errors.length > 0) throw new ValidationError(errors.slice(0, 100));
}

/** A driver's number, bigint or numeric text as a JavaScript number (PostgreSQL sums bigints as numeric). */
function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value === null || value === undefined) return 0;
  return Number(String(value));
}

/** The SQL expression a summary groups by, per dialect. */
function groupKey(db: Session, groupBy: CostGrouping): SQL {
  switch (groupBy) {
    case "project":
      return sql`project_id`;
    case "agent":
      return sql`agent_id`;
    case "model":
      return sql`model`;
    case "day":
      // Days in UTC; SQLite keeps timestamps as epoch milliseconds.
      return db.dialect === "sqlite"
        ? sql`strftime('%Y-%m-%d', occurred_at / 1000.0, 'unixepoch')`
        : sql`to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD')`;
  }
}

/** Sums of costs matching `scope`, grouped by `groupBy` and currency (amounts of different currencies never add up). */
async function summarize(
  db: Session,
  scope: SQL,
  groupBy: CostGrouping,
  from: Date | undefined,
  to: Date | undefined,
): Promise<CostSummary> {
  const key = groupKey(db, groupBy);
  const conditions = [scope];
  if (from) conditions.push(sql`occurred_at >= ${timestampValue(db.dialect, from)}`);
  if (to) conditions.push(sql`occurred_at < ${timestampValue(db.dialect, to)}`);
  // PostgreSQL's uuid has no text ordering that SQLite shares: compare keys as text on both.
  const keyText = db.dialect === "sqlite" ? key : sql`(${key})::text`;
  // Each entry may be up to 2^53 - 1, so a sum may pass SQLite's 64-bit integers, where sum() fails
  // with an overflow: total() adds as a double there, as PostgreSQL's numeric sum ends up in a
  // JavaScript number. Sums are exact up to 2^53 on both.
  const sum = (column: string) => (db.dialect === "sqlite" ? sql.raw(`total(${column})`) : sql.raw(`sum(${column})`));
  const rows = await db.execute<Record<string, unknown>>(sql`
    select ${keyText} as "key", currency as "currency",
      ${sum("amount_micros")} as "amountMicros", ${sum("input_tokens")} as "inputTokens",
      ${sum("output_tokens")} as "outputTokens", count(*) as "count"
    from costs
    where ${sql.join(conditions, sql` and `)}
    group by ${key}, currency
    order by ${key} is null, ${keyText}, currency`);
  return {
    data: rows.map((row) => ({
      key: row.key === null || row.key === undefined ? null : String(row.key),
      currency: String(row.currency),
      amountMicros: toNumber(row.amountMicros),
      inputTokens: toNumber(row.inputTokens),
      outputTokens: toNumber(row.outputTokens),
      count: toNumber(row.count),
    })),
  };
}

// ---------------------------------------------------------------- costs

/**
 * Records one cost entry or up to 1,000 (members, editors and agents): all of them or, when any is
 * refused, none. Answers with what it was given: the entry, or the array in the same order. An
 * agent records its own costs only: an entry without `agentId` is its own, one naming another
 * agent is refused; people record costs for any agent of the team.
 */
export async function recordCosts(ctx: ServiceContext, projectId: string, input: unknown): Promise<Cost | Cost[]> {
  const parsed = parseInput(recordCostsInput, input);
  const many = Array.isArray(parsed);
  const entries = many ? parsed : [parsed];
  const self = ctx.principal.kind === "agent" ? ctx.principal.agentId : undefined;
  return ctx.db.transaction(async (tx) => {
    const project = await projectFor(tx, ctx, projectId, "write");
    if (self !== undefined) {
      const errors = entries.flatMap((entry, i) =>
        entry.agentId && entry.agentId !== self
          ? [{ path: pathOf(many, i, "agentId"), message: "an agent records its own costs only: leave agentId out" }]
          : [],
      );
      if (errors.length > 0) throw new ValidationError(errors.slice(0, 100));
    }
    await checkReferences(tx, entries, project, many);
    const rows = await writeCosts(tx, ctx, project, entries, self !== undefined ? { agentId: self } : {});
    return many ? rows : (rows[0] as Cost);
  });
}

/**
 * Writes cost entries already checked against the project, and their one audit row, in the
 * caller's transaction. `of` fills in the agent, queue item and time an entry leaves out (a
 * completed queue item's costs are its own, at its completion). One audit row per call, not per entry: a bulk import would
 * otherwise double the table.
 */
export async function writeCosts(
  tx: Session,
  ctx: ServiceContext,
  project: { id: string; teamId: string },
  entries: readonly z.output<typeof costEntryInput>[],
  of: { agentId?: string | null; queueItemId?: string; occurredAt?: Date } = {},
): Promise<Cost[]> {
  const now = of.occurredAt ?? new Date();
  const rows = await tx.repo(costs).createMany(
    entries.map((entry) => ({
      projectId: project.id,
      agentId: entry.agentId ?? of.agentId ?? null,
      queueItemId: of.queueItemId ?? entry.queueItemId ?? null,
      provider: entry.provider,
      model: entry.model,
      inputTokens: entry.inputTokens,
      outputTokens: entry.outputTokens,
      amountMicros: entry.amountMicros,
      currency: entry.currency,
      occurredAt: entry.occurredAt ?? now,
    })),
  );
  const totals: Record<string, number> = {};
  for (const row of rows) totals[row.currency] = (totals[row.currency] ?? 0) + row.amountMicros;
  recordChange(tx, ctx, {
    teamId: project.teamId,
    action: "costs.recorded",
    entity: "cost",
    entityId: rows.length === 1 ? (rows[0]?.id ?? null) : null,
    after: {
      projectId: project.id,
      ...(of.queueItemId ? { queueItemId: of.queueItemId } : {}),
      count: rows.length,
      amountMicros: totals,
    },
  });
  return rows;
}

/** The project's costs, newest first by default (anyone who may read the project). */
export async function listCosts(
  ctx: ServiceContext,
  projectId: string,
  query: CostListQuery = {},
): Promise<Page<Cost>> {
  const { agentId, model, from, to } = parseInput(costFilters, {
    agentId: query.agentId,
    model: query.model,
    from: query.from,
    to: query.to,
  });
  await projectFor(ctx.db, ctx, projectId, "read");
  return ctx.db.repo(costs).list({
    where: {
      projectId,
      ...(agentId !== undefined ? { agentId } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(from || to ? { occurredAt: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } : {}),
    },
    sort: query.sort ?? "-occurredAt",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}

/** The project's costs summed by agent, model or UTC day (anyone who may read the project). */
export async function summarizeProjectCosts(
  ctx: ServiceContext,
  projectId: string,
  query: unknown,
): Promise<CostSummary> {
  const { groupBy, from, to } = parseInput(projectSummaryQuery, query);
  await projectFor(ctx.db, ctx, projectId, "read");
  return summarize(ctx.db, sql`project_id = ${projectId}`, groupBy, from, to);
}

/** The costs of every project of the team, summed by project, agent, model or UTC day (team viewers and up). */
export async function summarizeTeamCosts(ctx: ServiceContext, teamId: string, query: unknown): Promise<CostSummary> {
  const { groupBy, from, to } = parseInput(teamSummaryQuery, query);
  assertId("teams", teamId);
  await requireTeamRole(ctx.db, ctx.principal, teamId, "viewer");
  // Deleted projects are gone from the team's view, so are their costs.
  const projectIds = sql`select id from projects where team_id = ${teamId} and deleted_at is null`;
  return summarize(ctx.db, sql`project_id in (${projectIds})`, groupBy, from, to);
}
