import {
  CheckViolationError,
  type Database,
  type Dialect,
  Migrator,
  pendingSchemaChanges,
  UniqueViolationError,
} from "@groundwork/db";
import { describeSchema, type TestDatabase, testDialects } from "@groundwork/db/testing";
import type * as pgCore from "drizzle-orm/pg-core";
import { getTableConfig } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  migrationsDir,
  projects,
  queueItems,
  queues,
  tables,
  tasks,
  teamMembers,
  teams,
  tickets,
  users,
} from "../src/index.js";

type Tables = typeof tables;
type SqliteRows = { [K in keyof Tables]: Tables[K]["sqlite"]["$inferSelect"] };
type PgRows = { [K in keyof Tables]: Tables[K]["pg"]["$inferSelect"] };
type SqliteInserts = { [K in keyof Tables]: Tables[K]["sqlite"]["$inferInsert"] };
type PgInserts = { [K in keyof Tables]: Tables[K]["pg"]["$inferInsert"] };

describe("the domain schema", () => {
  it("has identical row and insert types on SQLite and PostgreSQL, table by table", () => {
    expectTypeOf<SqliteRows>().toEqualTypeOf<PgRows>();
    expectTypeOf<SqliteInserts>().toEqualTypeOf<PgInserts>();
  });

  it.each(["sqlite", "postgres"] as Dialect[])("matches the committed %s migrations", async (dialect) => {
    const pending = await pendingSchemaChanges({ dialect, tables, dir: migrationsDir(dialect) });
    expect(pending, "the schema changed: run `npm run db:generate -- <name>` and commit the migration").toEqual([]);
  });

  it("indexes every foreign key", () => {
    const unindexed: string[] = [];
    for (const table of Object.values(tables)) {
      const firstColumns = new Set<string>();
      // The table's own indexes and primary key, as drizzle-kit sees them.
      const config = getTableConfig(table.pg as pgCore.PgTable);
      for (const index of config.indexes) {
        const first = index.config.columns[0] as { name?: string } | undefined;
        if (first?.name) firstColumns.add(first.name);
      }
      for (const pk of config.primaryKeys) if (pk.columns[0]) firstColumns.add(pk.columns[0].name);
      for (const [key, column] of Object.entries(table.info.columns)) {
        if (column.references && !column.primaryKey && !firstColumns.has(column.sqlName)) {
          unindexed.push(`${table.name}.${key}`);
        }
      }
    }
    expect(unindexed).toEqual([]);
  });
});

describe.each(testDialects())("domain migrations on $name", (dialect) => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await dialect.create();
    db = await testDb.open({ tables });
  });
  afterAll(() => testDb?.drop());

  it("go up, all the way down, and up again to the identical schema", async () => {
    const migrator = new Migrator(db, migrationsDir(dialect.dialect));
    expect((await migrator.up()).length).toBeGreaterThan(0);
    const schema = await describeSchema(db);
    for (const table of Object.values(tables)) expect(schema.join("\n")).toContain(table.name);
    await migrator.down({ to: null });
    expect(await describeSchema(db)).toEqual([]);
    await migrator.up();
    expect(await describeSchema(db)).toEqual(schema);
  });

  it("enforce the rules the schema carries: one subject per queue item, one live item per ticket and queue", async () => {
    const user = await db.repo(users).create({ email: "Owner@Example.com ", name: "Owner", passwordHash: "x" });
    expect(user.email).toBe("owner@example.com");
    const team = await db.repo(teams).create({ name: "Team", slug: "team" });
    await db.repo(teamMembers).create({ teamId: team.id, userId: user.id, role: "owner" });
    const project = await db.repo(projects).create({ teamId: team.id, name: "Project" });
    const ticket = await db.repo(tickets).create({ projectId: project.id, number: 1, title: "Ticket" });
    const task = await db.repo(tasks).create({ ticketId: ticket.id, content: "Task" });
    const queue = await db.repo(queues).create({ projectId: project.id, name: "default" });

    await expect(
      db.repo(queueItems).create({ queueId: queue.id, ticketId: ticket.id, taskId: task.id }),
    ).rejects.toBeInstanceOf(CheckViolationError);
    await expect(db.repo(queueItems).create({ queueId: queue.id })).rejects.toBeInstanceOf(CheckViolationError);

    const live = await db.repo(queueItems).create({ queueId: queue.id, ticketId: ticket.id });
    await expect(db.repo(queueItems).create({ queueId: queue.id, ticketId: ticket.id })).rejects.toBeInstanceOf(
      UniqueViolationError,
    );
    await db.repo(queueItems).update(live.id, { status: "completed" });
    // Once the first item is finished, the ticket may be queued again.
    await db.repo(queueItems).create({ queueId: queue.id, ticketId: ticket.id });

    await expect(db.repo(teams).create({ name: "Again", slug: "team" })).rejects.toBeInstanceOf(UniqueViolationError);
    await db.repo(teams).delete(team.id);
    // A soft-deleted team's slug may be used again.
    await db.repo(teams).create({ name: "Again", slug: "team" });
  });
});
