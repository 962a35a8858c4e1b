import { check, col, index, schemasFor, table } from "@groundwork/db";
import { sql } from "drizzle-orm";
import { agents } from "./agents.js";
import { currencyPattern, currencyRule } from "./common.js";
import { projects } from "./projects.js";
import { queueItems } from "./queues.js";

/** One micro-unit of a currency: amounts are integers, 1 USD = 1,000,000 micros. */
export const microsPerUnit = 1_000_000;

/** What agents (or people) spent: tokens and money in integer micro-units. Append-only. */
export const costs = table(
  "costs",
  {
    id: col.id(),
    projectId: col
      .uuid()
      .notNull()
      .references(() => projects, { onDelete: "cascade" }),
    agentId: col.uuid().references(() => agents, { onDelete: "set null" }),
    queueItemId: col.uuid().references(() => queueItems, { onDelete: "set null" }),
    provider: col.varchar(100).notNull(),
    model: col.varchar(200).notNull(),
    inputTokens: col.bigint().notNull().default(0),
    outputTokens: col.bigint().notNull().default(0),
    amountMicros: col.bigint().notNull().default(0),
    currency: col.varchar(3).notNull().default("USD"),
    occurredAt: col
      .timestamp()
      .notNull()
      .$defaultFn(() => new Date()),
    createdAt: col.createdAt(),
  },
  (t) => [
    index(t.projectId, t.occurredAt),
    index(t.agentId, t.occurredAt),
    index(t.queueItemId),
    check("input_tokens_non_negative", sql`${t.inputTokens} >= 0`),
    check("output_tokens_non_negative", sql`${t.outputTokens} >= 0`),
    check("amount_micros_non_negative", sql`${t.amountMicros} >= 0`),
    check("currency_code", sql`length(${t.currency}) = 3 and upper(${t.currency}) = ${t.currency}`),
  ],
);

export const costSchemas = schemasFor(costs, {
  provider: (s) => s.trim().min(1),
  model: (s) => s.trim().min(1),
  inputTokens: (s) => s.min(0).optional(),
  outputTokens: (s) => s.min(0).optional(),
  amountMicros: (s) => s.min(0).optional(),
  currency: (s) => s.trim().toUpperCase().regex(currencyPattern, currencyRule).optional(),
});
