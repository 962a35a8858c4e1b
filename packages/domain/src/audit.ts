import type { Session } from "@groundwork/db";
import { actorOf, type ServiceContext } from "./context.js";
import { activities, auditLogs } from "./schema/index.js";

// Never copied into the audit trail.
const SECRET_FIELDS = new Set(["passwordHash", "tokenHash"]);

type Fields = Record<string, unknown>;

function comparable(value: unknown): string {
  return JSON.stringify(value instanceof Date ? value.toISOString() : value) ?? "undefined";
}

/** Whether the audit trail leaves this field out: a secret, or the row's own bookkeeping. */
const leftOut = (key: string) => SECRET_FIELDS.has(key) || key === "updatedAt" || key === "version";

/** A row created or removed whole: every field it has (secrets and bookkeeping left out). */
function wholeRow(row: Fields): Fields {
  const fields: Fields = {};
  for (const key of Object.keys(row)) {
    const value = row[key];
    if (value !== undefined && !leftOut(key)) fields[key] = value;
  }
  return fields;
}

/** The fields that differ between two states of a row, as `{ before, after }`; secrets are left out. */
export function changedFields(before: Fields | null | undefined, after: Fields | null | undefined) {
  if (!before) return after ? { after: wholeRow(after) } : {};
  if (!after) return { before: wholeRow(before) };
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changes: { before: Fields; after: Fields } = { before: {}, after: {} };
  for (const key of keys) {
    if (leftOut(key)) continue;
    const a = before[key];
    const b = after[key];
    if (comparable(a) === comparable(b)) continue;
    changes.before[key] = a ?? null;
    changes.after[key] = b ?? null;
  }
  return changes;
}

export interface Change {
  teamId: string;
  /** `team.updated`, `member.added`, … */
  action: string;
  entity: string;
  entityId: string | null;
  before?: Fields | null;
  after?: Fields | null;
  /** Also show the change in the activity feed. */
  activity?: { verb: string; projectId?: string | null; data?: Record<string, unknown> };
}

/**
 * Writes the audit row (and the activity, when there is one) of a change. Call it with the
 * transaction that makes the change: the change never commits without its audit row. The rows are
 * sent without waiting for them (`createPipelined`): the transaction waits for them before it
 * commits, and on PostgreSQL they travel with the COMMIT.
 */
export function recordChange(tx: Session, ctx: ServiceContext, change: Change): void {
  const actor = actorOf(ctx.principal);
  tx.repo(auditLogs).createPipelined({
    teamId: change.teamId,
    ...actor,
    action: change.action,
    entity: change.entity,
    entityId: change.entityId,
    changes: changedFields(change.before, change.after),
    requestId: ctx.requestId ?? null,
    ip: ctx.ip ?? null,
    userAgent: ctx.userAgent ?? null,
  });
  if (change.activity) {
    tx.repo(activities).createPipelined({
      teamId: change.teamId,
      projectId: change.activity.projectId ?? null,
      ...actor,
      verb: change.activity.verb,
      subjectType: change.entity,
      subjectId: change.entityId,
      data: change.activity.data ?? {},
    });
  }
}
