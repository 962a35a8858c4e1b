import type { Database } from "@groundwork/db";
import { projects, recordChange, type ServiceContext, tasks, teams, tickets } from "@groundwork/domain";
import { and, asc, eq, getTableColumns, gt, gte, isNull, or, type SQL, sql } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { PgDatabase } from "drizzle-orm/pg-core";
import { jsonArrayFrom as pgJsonArrayFrom } from "kysely/helpers/postgres";
import { jsonArrayFrom as sqliteJsonArrayFrom } from "kysely/helpers/sqlite";
import { uuidv7 } from "uuidv7";
import { formatTime, measureAll, middleHalf, QUICK, type Row, roundRatios, type Timing } from "./harness.js";
import type { Target } from "./targets.js";

export const ROW_NAMES = {
  get: "get by id",
  list: "list 50 by FK, cursor page",
  insert: "insert one + audit row",
  insertMany: "insert 100 (createMany)",
  withTasks: "ticket with its tasks",
  http: "HTTP GET /tickets/{id}",
} as const;

const TARGETS = {
  sqlite: { get: 1.25, list: 1.3, insert: 2, insertMany: 1.3, withTasks: 1.5 },
  postgres: { get: 1.1, list: 1.15, insert: 1.2, insertMany: 1.2, withTasks: 1.5 },
} as const;

type CaseName = keyof (typeof TARGETS)["sqlite"];

interface Case {
  name: CaseName;
  layer: () => Promise<unknown>;
  raw: () => unknown;
  drizzle?: () => Promise<unknown>;
  kysely?: () => Promise<unknown>;
  maxOpsPerSample?: number;
}

export interface CaseResult {
  name: CaseName;
  layer: Timing;
  raw: Timing;
  drizzle?: Timing;
  kysely?: Timing;
  target: number;
}

const TICKETS = QUICK ? 120 : 2000;
const TICKETS_WITH_TASKS = 20;
const TASKS_PER_TICKET = 10;

/** Rotates through a list, so repeated reads do not hit one row only. */
function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length] as T;
}

const TICKET_COLUMNS = [
  "id",
  "project_id",
  "number",
  "title",
  "overview",
  "status",
  "priority",
  "tags",
  "metadata",
  "version",
  "created_at",
  "updated_at",
] as const;

const TASK_COLUMNS = [
  "id",
  "ticket_id",
  "content",
  "description",
  "status",
  "done",
  "order_index",
  "estimated_hours",
  "dependencies",
  "tags",
  "assignee_agent_id",
  "created_at",
  "updated_at",
];

/** Seeds a team, a read project with TICKETS tickets (the first ones with tasks) and a write project. */
async function seed(db: Database) {
  const team = await db.repo(teams).create({ name: "Bench", slug: `bench-${Date.now()}` });
  const readProject = await db.repo(projects).create({ teamId: team.id, name: "Read" });
  const writeProject = await db.repo(projects).create({ teamId: team.id, name: "Write" });
  const base = Date.now() - TICKETS * 1000;
  const ids: string[] = [];
  for (let start = 0; start < TICKETS; start += 500) {
    const batch = Array.from({ length: Math.min(500, TICKETS - start) }, (_, j) => {
      const i = start + j;
      return {
        projectId: readProject.id,
        number: i + 1,
        title: `Ticket number ${i + 1}: something to do`,
        overview: "An overview of a few words, as most tickets have.",
        tags: ["backend", "bench"],
        metadata: { source: "bench", n: i },
        createdAt: new Date(base + i * 1000),
      };
    });
    const created = await db.repo(tickets).createMany(batch);
    ids.push(...created.map((t) => t.id));
  }
  const withTasks = ids.slice(0, TICKETS_WITH_TASKS);
  for (const ticketId of withTasks) {
    await db.repo(tasks).createMany(
      Array.from({ length: TASKS_PER_TICKET }, (_, k) => ({
        ticketId,
        content: `Step ${k + 1} of the ticket`,
        description: "What the step involves.",
        orderIndex: k,
        estimatedHours: 1.5,
        tags: ["bench"],
      })),
    );
  }
  // PostgreSQL plans from the statistics autovacuum gathers, a minute or so after the seeding: before,
  // a page of the list read all 1,000 rows after the cursor and sorted them; after, the 52 it needs.
  // Which of the two a run measured, or both, depended on when autovacuum came by. A database in use
  // has its statistics, so they are gathered here.
  if (db.dialect === "postgres") await db.execute(sql`analyze`);
  return { team, readProject, writeProject, ids, withTasks };
}

export async function runCases(target: Target): Promise<CaseResult[]> {
  const { db, raw, kysely } = target;
  const dialect = db.dialect;
  const { team, readProject, writeProject, ids, withTasks } = await seed(db);
  const ctx: ServiceContext = { db, principal: { kind: "user", userId: uuidv7() }, requestId: "bench" };
  const nextId = cycle(ids.slice(0, 200));
  const nextWithTasks = cycle(withTasks);
  let number = 0;

  // Drizzle, built per call: the same calls on either dialect's table objects.
  const d = db.drizzle as unknown as BetterSQLite3Database & PgDatabase<never, never>;
  const T = (dialect === "sqlite" ? tickets.sqlite : tickets.pg) as typeof tickets.pg;
  const K = (dialect === "sqlite" ? tasks.sqlite : tasks.pg) as typeof tasks.pg;
  const notDeleted: SQL = isNull(T.deletedAt);

  // The cursor of a page in the middle of the project's tickets, and the last row before it.
  let cursor: string | undefined;
  let last: { id: string; createdAt: Date } | undefined;
  for (let p = 0; p < Math.floor(TICKETS / 100); p++) {
    const page = await db
      .repo(tickets)
      .list({ where: { projectId: readProject.id }, sort: "createdAt", limit: 50, cursor });
    cursor = page.nextCursor ?? undefined;
    const row = page.data[page.data.length - 1];
    if (row) last = { id: row.id, createdAt: row.createdAt };
  }
  if (!cursor || !last) throw new Error("seeding left no middle page");
  const after = last;

  // What a caller gives the layer; the layer makes the id and timestamps, as the raw cases do in ticketValues.
  const ticketInput = () => ({
    projectId: writeProject.id,
    number: ++number,
    title: "A new ticket",
    overview: "Something to look at.",
    status: "open" as const,
    priority: "normal" as const,
    tags: ["new"],
    metadata: { via: "bench" },
  });
  const ticketValues = () => ({
    id: uuidv7(),
    ...ticketInput(),
    version: 1,
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  const auditChanges = (t: ReturnType<typeof ticketValues>) => ({ after: { ...t, updatedAt: undefined } });
  const sqliteTicketParams = (t: ReturnType<typeof ticketValues>) => [
    t.id,
    t.projectId,
    t.number,
    t.title,
    t.overview,
    t.status,
    t.priority,
    JSON.stringify(t.tags),
    JSON.stringify(t.metadata),
    t.version,
    t.createdAt.getTime(),
    t.updatedAt.getTime(),
  ];
  // A timestamp as each raw driver takes it: SQLite stores epoch milliseconds; the layer's postgres-js
  // client, which raw and Kysely share (see targets.ts), takes timestamps as ISO text, as Drizzle sets
  // it up; PGlite takes a Date.
  const timeParam = (d: Date): number | string | Date =>
    raw.kind === "better-sqlite3" ? d.getTime() : raw.kind === "postgres-js" ? d.toISOString() : d;
  const afterAt = timeParam(after.createdAt);
  const snakeTicket = (t: ReturnType<typeof ticketValues>) => ({
    id: t.id,
    project_id: t.projectId,
    number: t.number,
    title: t.title,
    overview: t.overview,
    status: t.status,
    priority: t.priority,
    tags: JSON.stringify(t.tags),
    metadata: JSON.stringify(t.metadata),
    version: t.version,
    created_at: timeParam(t.createdAt),
    updated_at: timeParam(t.updatedAt),
  });
  const auditParams = (t: ReturnType<typeof ticketValues>) => [
    uuidv7(),
    team.id,
    "user",
    ctx.principal.kind === "user" ? ctx.principal.userId : null,
    "ticket.created",
    "ticket",
    t.id,
    JSON.stringify(auditChanges(t)),
    "bench",
  ];
  const AUDIT_COLUMNS = "id, team_id, actor_type, actor_id, action, entity, entity_id, changes, request_id, created_at";
  const placeholders = (n: number, from = 1, pg = dialect === "postgres") =>
    Array.from({ length: n }, (_, i) => (pg ? `$${from + i}` : "?")).join(", ");

  const GET_SQL = (pg: boolean) => `select * from tickets where id = ${pg ? "$1" : "?"} and deleted_at is null`;
  const LIST_SQL = (pg: boolean) =>
    pg
      ? "select * from tickets where project_id = $1 and deleted_at is null and created_at >= $2 and (created_at > $2 or (created_at = $2 and id > $3)) order by created_at, id limit 51"
      : "select * from tickets where project_id = ? and deleted_at is null and created_at >= ? and (created_at > ? or (created_at = ? and id > ?)) order by created_at, id limit 51";
  const INSERT_TICKET_SQL = (pg: boolean) =>
    `insert into tickets (${TICKET_COLUMNS.join(", ")}) values (${placeholders(12, 1, pg)})`;
  const INSERT_AUDIT_SQL = (pg: boolean) =>
    `insert into audit_logs (${AUDIT_COLUMNS}) values (${placeholders(9, 1, pg)}, ${pg ? "now()" : "cast(unixepoch('subsec') * 1000 as integer)"})`;
  const PG_WITH_TASKS_SQL = `select t.*, coalesce((select json_agg(k order by k.order_index, k.id) from tasks k where k.ticket_id = t.id), '[]') as tasks
    from tickets t where t.id = $1 and t.deleted_at is null`;
  const SQLITE_WITH_TASKS_SQL = `select t.*, (select json_group_array(json_object(${TASK_COLUMNS.map((c) => `'${c}', k.${c}`).join(", ")}))
      from (select * from tasks where ticket_id = t.id order by order_index, id) k) as tasks
    from tickets t where t.id = ? and t.deleted_at is null`;

  const manyValues = () => Array.from({ length: 100 }, ticketValues);

  // Figures that explain a row, printed before the table; with `against`, measured interleaved with it.
  const diagnostics: { label: string; fn: () => unknown; against?: () => unknown }[] = [];
  // Raw baselines, on the same driver the layer uses.
  type RawCase = Pick<Case, "raw">;
  let rawCases: [RawCase, RawCase, RawCase, RawCase, RawCase];
  switch (raw.kind) {
    case "better-sqlite3": {
      const c = raw.client;
      const get = c.prepare(GET_SQL(false));
      const list = c.prepare(LIST_SQL(false));
      const insTicket = c.prepare(INSERT_TICKET_SQL(false));
      const insAudit = c.prepare(INSERT_AUDIT_SQL(false));
      const insertOne = c.transaction((t: ReturnType<typeof ticketValues>) => {
        insTicket.run(sqliteTicketParams(t));
        insAudit.run(auditParams(t));
      });
      const insertMany = c.transaction((rows: ReturnType<typeof ticketValues>[]) => {
        for (const t of rows) insTicket.run(sqliteTicketParams(t));
      });
      const withTasksStmt = c.prepare(SQLITE_WITH_TASKS_SQL);
      const decode = (row: Record<string, unknown>) => {
        row.tags = JSON.parse(row.tags as string);
        row.metadata = JSON.parse(row.metadata as string);
        row.createdAt = new Date(row.created_at as number);
        row.updatedAt = new Date(row.updated_at as number);
        return row;
      };
      diagnostics.push({
        label: "get: raw stmt.get + JSON.parse(tags, metadata) + 2 Dates, awaited",
        fn: async () => decode(get.get(nextId()) as Record<string, unknown>),
      });
      rawCases = [
        { raw: () => get.get(nextId()) },
        { raw: () => list.all(readProject.id, afterAt, afterAt, afterAt, after.id) },
        { raw: () => insertOne(ticketValues()) },
        { raw: () => insertMany(manyValues()) },
        {
          raw: () => {
            const row = withTasksStmt.get(nextWithTasks()) as { tasks: string };
            row.tasks = JSON.parse(row.tasks);
            return row;
          },
        },
      ];
      break;
    }
    case "postgres-js": {
      const s = raw.sql;
      // The layer returns the rows it inserts; the raw baselines do not. What that costs the driver alone:
      const insertMany = () => s`insert into tickets ${s(manyValues().map((t) => snakeTicket(t)) as never[])}`;
      diagnostics.push({
        label: "insert 100: raw multi-row insert with `returning *`, against the same insert without it",
        fn: () => s`insert into tickets ${s(manyValues().map((t) => snakeTicket(t)) as never[])} returning *`,
        against: insertMany,
      });
      const insertOne = (returning: string) => () =>
        s.begin(async (tx) => {
          const t = ticketValues();
          await tx.unsafe(INSERT_TICKET_SQL(true) + returning, [...snakeValues(snakeTicket(t))] as never[], {
            prepare: true,
          });
          await tx.unsafe(INSERT_AUDIT_SQL(true) + returning, auditParams(t) as never[], { prepare: true });
        });
      diagnostics.push({
        label: "insert one + audit row: the raw transaction with `returning *`, against the same without it",
        fn: insertOne(" returning *"),
        against: insertOne(""),
      });
      // The layer sends the audit row without waiting, so it goes out with the COMMIT. The same in raw:
      const insertOneWithCommit = async () => {
        let audit: Promise<unknown> | undefined;
        await s.begin(async (tx) => {
          const t = ticketValues();
          await tx.unsafe(INSERT_TICKET_SQL(true), [...snakeValues(snakeTicket(t))] as never[], {
            prepare: true,
          });
          audit = tx.unsafe(INSERT_AUDIT_SQL(true), auditParams(t) as never[], { prepare: true }).execute();
          audit.catch(() => undefined);
          // postgres-js hands the query to its connection a few microtasks later; the COMMIT follows it.
          await new Promise((resolve) => setImmediate(resolve));
        });
        await audit;
      };
      diagnostics.push({
        label:
          "insert one + audit row: the raw transaction with the audit row sent along with the COMMIT, against the raw one",
        fn: insertOneWithCommit,
        against: insertOne(""),
      });
      const rawGet = () => s`select * from tickets where id = ${nextId()} and deleted_at is null`;
      // What the layer's get returns beyond the driver's row (timestamps as Dates, the row typed), and
      // what it costs: the same select taken as arrays and decoded as the layer decodes them.
      const columns = Object.values(getTableColumns(T))
        .map((c) => c.name)
        .join(", ");
      const typedGet = () =>
        s
          .unsafe(`select ${columns} from tickets where id = $1 and deleted_at is null`, [nextId()], { prepare: true })
          .values()
          .then((rows) => (rows[0] ? db.repo(tickets).decode(rows[0]) : undefined));
      const rawList = () =>
        s`select * from tickets where project_id = ${readProject.id} and deleted_at is null and created_at >= ${afterAt}
          and (created_at > ${afterAt} or (created_at = ${afterAt} and id > ${after.id}))
          order by created_at, id limit 51`;
      const typedList = () =>
        s
          .unsafe(LIST_SQL(true).replace("select *", `select ${columns}`), [readProject.id, afterAt, after.id], {
            prepare: true,
          })
          .values()
          .then((rows) => rows.map((row) => db.repo(tickets).decode(row)));
      diagnostics.push(
        {
          label: "get: the raw select as arrays, decoded into the row the layer returns, against the raw get",
          fn: typedGet,
          against: rawGet,
        },
        {
          label: "get: the layer, against that decoded raw select",
          fn: () => db.repo(tickets).get(nextId()),
          against: typedGet,
        },
        {
          label: "list 50: the raw select as arrays, decoded into the rows the layer returns, against the raw list",
          fn: typedList,
          against: rawList,
        },
        {
          label: "list 50: the layer, against that decoded raw select",
          fn: () =>
            db.repo(tickets).list({ where: { projectId: readProject.id }, sort: "createdAt", limit: 50, cursor }),
          against: typedList,
        },
      );
      rawCases = [
        { raw: rawGet },
        { raw: rawList },
        { raw: insertOne("") },
        { raw: insertMany },
        { raw: () => s.unsafe(PG_WITH_TASKS_SQL, [nextWithTasks()], { prepare: true }) },
      ];
      break;
    }
    case "pglite": {
      const c = raw.client;
      rawCases = [
        { raw: () => c.query(GET_SQL(true), [nextId()]) },
        { raw: () => c.query(LIST_SQL(true), [readProject.id, after.createdAt, after.id]) },
        {
          raw: () =>
            c.transaction(async (tx) => {
              const t = ticketValues();
              await tx.query(INSERT_TICKET_SQL(true), snakeValues(snakeTicket(t)));
              await tx.query(INSERT_AUDIT_SQL(true), auditParams(t));
            }),
        },
        {
          raw: () => {
            const rows = manyValues().map((t) => snakeValues(snakeTicket(t)));
            const values = rows.map((_, r) => `(${placeholders(12, r * 12 + 1, true)})`).join(", ");
            return c.query(`insert into tickets (${TICKET_COLUMNS.join(", ")}) values ${values}`, rows.flat());
          },
        },
        { raw: () => c.query(PG_WITH_TASKS_SQL, [nextWithTasks()]) },
      ];
      break;
    }
  }

  const jsonArrayFrom = dialect === "sqlite" ? sqliteJsonArrayFrom : pgJsonArrayFrom;
  const cases: Case[] = [
    {
      name: "get",
      layer: () => db.repo(tickets).get(nextId()),
      raw: rawCases[0].raw,
      drizzle: async () =>
        (
          await d
            .select()
            .from(T)
            .where(and(eq(T.id, nextId()), notDeleted))
            .limit(1)
        )[0],
      kysely: () =>
        kysely
          .selectFrom("tickets")
          .selectAll()
          .where("id", "=", nextId())
          .where("deleted_at", "is", null)
          .executeTakeFirst(),
    },
    {
      name: "list",
      layer: () =>
        db.repo(tickets).list({ where: { projectId: readProject.id }, sort: "createdAt", limit: 50, cursor }),
      raw: rawCases[1].raw,
      drizzle: () =>
        d
          .select()
          .from(T)
          .where(
            and(
              eq(T.projectId, readProject.id),
              notDeleted,
              gte(T.createdAt, after.createdAt),
              or(gt(T.createdAt, after.createdAt), and(eq(T.createdAt, after.createdAt), gt(T.id, after.id))),
            ),
          )
          .orderBy(asc(T.createdAt), asc(T.id))
          .limit(51),
      kysely: () =>
        kysely
          .selectFrom("tickets")
          .selectAll()
          .where("project_id", "=", readProject.id)
          .where("deleted_at", "is", null)
          .where("created_at", ">=", afterAt)
          .where((eb) =>
            eb.or([eb("created_at", ">", afterAt), eb.and([eb("created_at", "=", afterAt), eb("id", ">", after.id)])]),
          )
          .orderBy("created_at")
          .orderBy("id")
          .limit(51)
          .execute(),
    },
    {
      name: "insert",
      layer: () =>
        db.transaction(async (tx) => {
          const ticket = await tx.repo(tickets).create(ticketInput());
          recordChange(tx, ctx, {
            teamId: team.id,
            action: "ticket.created",
            entity: "ticket",
            entityId: ticket.id,
            after: ticket,
          });
        }),
      raw: rawCases[2].raw,
    },
    {
      name: "insertMany",
      layer: () => db.repo(tickets).createMany(Array.from({ length: 100 }, ticketInput)),
      raw: rawCases[3].raw,
      drizzle: () => d.insert(T).values(manyValues()),
      kysely: () =>
        kysely
          .insertInto("tickets")
          .values(manyValues().map((t) => snakeTicket(t)))
          .execute(),
      maxOpsPerSample: 200,
    },
    {
      name: "withTasks",
      layer: async () => {
        const id = nextWithTasks();
        return db.repo(tickets).getWith(id, { tasks: { table: tasks, foreignKey: "ticketId", sort: "orderIndex" } });
      },
      raw: rawCases[4].raw,
      drizzle: async () => {
        const id = nextWithTasks();
        const [ticket] = await d
          .select()
          .from(T)
          .where(and(eq(T.id, id), notDeleted))
          .limit(1);
        const list = await d.select().from(K).where(eq(K.ticketId, id)).orderBy(asc(K.orderIndex), asc(K.id));
        return { ...ticket, tasks: list };
      },
      kysely: () =>
        kysely
          .selectFrom("tickets")
          .selectAll("tickets")
          .select((eb) =>
            jsonArrayFrom(
              eb
                .selectFrom("tasks")
                .select(TASK_COLUMNS.map((c) => `tasks.${c}` as const))
                .whereRef("tasks.ticket_id", "=", "tickets.id")
                .orderBy("tasks.order_index")
                .orderBy("tasks.id"),
            ).as("tasks"),
          )
          .where("tickets.id", "=", nextWithTasks())
          .where("tickets.deleted_at", "is", null)
          .executeTakeFirst(),
    },
  ];

  const results: CaseResult[] = [];
  for (const { label, fn, against } of diagnostics) {
    const [timing, base] = await measureAll(against ? [fn, against] : [fn]);
    if (!timing) continue;
    const ratio = base ? ` (${(timing.nsPerOp / base.nsPerOp).toFixed(2)}×, ${formatTime(base.nsPerOp)} without)` : "";
    console.log(`  diagnostic (${target.name}) ${label}: ${formatTime(timing.nsPerOp)}${ratio}`);
  }
  for (const c of cases) {
    const options = c.maxOpsPerSample ? { maxOpsPerSample: c.maxOpsPerSample } : {};
    const fns = [c.raw, c.layer, ...(c.drizzle ? [c.drizzle] : []), ...(c.kysely ? [c.kysely] : [])];
    const timings = await measureAll(fns, options);
    const [rawTiming, layer] = timings as [Timing, Timing];
    const drizzle = c.drizzle ? timings[2] : undefined;
    const kyselyTiming = c.kysely ? timings[c.drizzle ? 3 : 2] : undefined;
    results.push({
      name: c.name,
      layer,
      raw: rawTiming,
      ...(drizzle ? { drizzle } : {}),
      ...(kyselyTiming ? { kysely: kyselyTiming } : {}),
      target: TARGETS[dialect][c.name],
    });
  }
  return results;
}

function snakeValues(row: Record<string, unknown>): unknown[] {
  return TICKET_COLUMNS.map((c) => row[c]);
}

export function toRow(r: CaseResult): Row {
  const ratio = r.layer.nsPerOp / r.raw.nsPerOp;
  const peer = (t?: Timing) => (t ? `${formatTime(t.nsPerOp)} (${(t.nsPerOp / r.raw.nsPerOp).toFixed(2)}×)` : "—");
  return {
    operation: ROW_NAMES[r.name],
    layer: formatTime(r.layer.nsPerOp),
    raw: formatTime(r.raw.nsPerOp),
    ratio: `${ratio.toFixed(2)}×`,
    spread: middleHalf(roundRatios(r.layer, r.raw), (x) => `${x.toFixed(2)}×`),
    drizzle: peer(r.drizzle),
    kysely: peer(r.kysely),
    target: `≤ ${r.target}×`,
    met: ratio <= r.target ? "yes" : "NO",
  };
}
