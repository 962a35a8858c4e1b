import { type Database, Migrator } from "@groundwork/db";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Auth,
  activities,
  agents,
  apiTokens,
  auditLogs,
  costs,
  fileAnalyses,
  files,
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
import { demoLogin, findDemoLogin, seedDemo } from "../src/seed/index.js";

describe.each(testDialects())("the demo workspace on $name", (dialect) => {
  let testDb: TestDatabase;
  let db: Database;
  let auth: Auth;

  beforeEach(async () => {
    testDb = await dialect.create();
    db = await testDb.open({ tables });
    await new Migrator(db, migrationsDir(db.dialect)).up();
    auth = await Auth.create(db);
  });
  afterEach(async () => {
    await testDb.drop();
  });

  async function countAll() {
    const counted: Record<string, number> = {};
    for (const [name, table] of Object.entries(tables)) counted[name] = await db.repo(table).count();
    return counted;
  }

  it("seeds an empty database once, with every kind of row", async () => {
    const result = await seedDemo(db, auth);
    expect(result.created).toBe(true);
    expect(result.user).toEqual({ email: "demo@groundwork.dev", password: "groundwork-demo" });
    expect(result.agentToken).toMatch(/^gwt_/);

    expect(await db.repo(users).count()).toBe(2);
    const team = await db.repo(teams).get((await db.repo(teams).find({ slug: "demo" }))?.id ?? "");
    expect(team.name).toBe("Demo Team");
    const demo = await db.repo(users).find({ email: demoLogin.email });
    expect(demo?.name).toBe("Demo User");
    expect(await db.repo(teamMembers).find({ teamId: team.id, userId: demo?.id ?? "" })).toMatchObject({
      role: "owner",
    });
    expect(await db.repo(teamMembers).count({ teamId: team.id })).toBe(2);

    const project = await db.repo(projects).find({ teamId: team.id, name: "Website relaunch" });
    expect(project).not.toBeNull();
    const ticketRows = (await db.repo(tickets).list({ where: { projectId: project?.id }, sort: "number" })).data;
    expect(ticketRows.length).toBeGreaterThanOrEqual(5);
    expect(ticketRows.map((t) => t.number)).toEqual(ticketRows.map((_, i) => i + 1));
    expect(project?.ticketSequence).toBe(ticketRows.length);
    expect(new Set(ticketRows.map((t) => t.status))).toEqual(new Set(["open", "in_progress", "closed"]));
    expect(new Set(ticketRows.map((t) => t.priority)).size).toBeGreaterThanOrEqual(3);

    const taskRows = (await db.repo(tasks).list({ limit: 200 })).data;
    expect(taskRows.length).toBeGreaterThanOrEqual(ticketRows.length);
    expect(taskRows.filter((t) => t.status === "completed" && t.done).length).toBeGreaterThan(0);
    expect(taskRows.filter((t) => t.status === "pending" && !t.done).length).toBeGreaterThan(0);
    const ticketIds = new Set(ticketRows.map((t) => t.id));
    expect(taskRows.every((t) => ticketIds.has(t.ticketId))).toBe(true);

    const queue = await db.repo(queues).find({ projectId: project?.id ?? "", name: "default" });
    expect(queue?.maxParallel).toBe(2);
    const items = (await db.repo(queueItems).list({ where: { queueId: queue?.id } })).data;
    const statuses = new Set(items.map((i) => i.status));
    for (const status of ["queued", "in_progress", "completed", "dead"] as const) expect(statuses).toContain(status);
    const running = items.filter((i) => i.status === "in_progress");
    expect(running.length).toBeLessThanOrEqual(2);
    for (const item of running) {
      expect(item.agentId).not.toBeNull();
      expect(item.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now());
    }
    const dead = items.find((i) => i.status === "dead");
    expect(dead?.attempts).toBe(queue?.maxAttempts);

    const agentRows = (await db.repo(agents).list({ where: { teamId: team.id }, sort: "name" })).data;
    expect(agentRows.map((a) => [a.name, a.provider])).toEqual([
      ["builder", "anthropic"],
      ["reviewer", "openai"],
    ]);
    expect(agentRows[0]?.model).toMatch(/^claude-/);

    const costRows = (await db.repo(costs).list({ where: { projectId: project?.id }, limit: 200 })).data;
    expect(costRows.length).toBeGreaterThan(5);
    for (const cost of costRows) {
      for (const n of [cost.amountMicros, cost.inputTokens, cost.outputTokens]) {
        expect(Number.isInteger(n)).toBe(true);
        expect(n).toBeGreaterThan(0);
      }
    }
    const days = new Set(costRows.map((c) => Math.floor(c.occurredAt.getTime() / 86_400_000)));
    expect(days.size).toBeGreaterThanOrEqual(5);
    expect(costRows.every((c) => c.occurredAt.getTime() <= Date.now())).toBe(true);
    expect(new Set(costRows.map((c) => c.agentId))).toEqual(new Set(agentRows.map((a) => a.id)));

    expect(await db.repo(activities).count({ teamId: team.id })).toBeGreaterThanOrEqual(3);
    expect(await db.repo(auditLogs).count({ teamId: team.id })).toBeGreaterThanOrEqual(3);
    expect(result.counts).toEqual(
      Object.fromEntries(Object.entries(await countAll()).filter(([name]) => name in (result.counts ?? {}))),
    );
    // A chat, files with analyses (one computed for an older checksum), a selection and prompts.
    expect(result.counts).toMatchObject({ chats: 1, chatMessages: 3, files: 3, fileAnalyses: 3, prompts: 2 });
    const fileRows = (await db.repo(files).list({ limit: 10 })).data;
    const analysisRows = (await db.repo(fileAnalyses).list({ limit: 10 })).data;
    const stale = analysisRows.filter((a) => fileRows.find((f) => f.id === a.fileId)?.checksum !== a.checksum);
    expect(stale).toHaveLength(1);

    // The token is the first agent's, stored hashed, and it authenticates as that agent.
    const token = await db.repo(apiTokens).find({ agentId: agentRows[0]?.id ?? "" });
    expect(token?.tokenHash).not.toContain(result.agentToken);
    expect(await auth.authenticate(db, result.agentToken ?? "")).toMatchObject({
      kind: "agent",
      agentId: agentRows[0]?.id,
      teamId: team.id,
    });
    // And the demo user can sign in with the printed password.
    const session = await auth.login({ db }, demoLogin);
    expect(session.user.email).toBe(demoLogin.email);
    expect(await findDemoLogin(db)).toEqual(demoLogin);
  });

  it("does nothing the second time", async () => {
    expect((await seedDemo(db, auth)).created).toBe(true);
    const before = await countAll();
    const again = await seedDemo(db, auth);
    expect(again).toEqual({ created: false, user: demoLogin });
    expect(await countAll()).toEqual(before);
  });

  it("leaves a database with users alone", async () => {
    await auth.signup({ db }, { email: "someone@example.com", password: "a long password", name: "Someone" });
    expect(await seedDemo(db, auth)).toEqual({ created: false, user: demoLogin });
    expect(await db.repo(teams).count()).toBe(0);
    expect(await findDemoLogin(db)).toBeNull();
  });

  it("writes all of it or nothing", async () => {
    // A team holding the demo slug makes the seed fail half-way: nothing of it may stay.
    await db.repo(teams).create({ name: "Squatter", slug: "demo" });
    await expect(seedDemo(db, auth)).rejects.toThrow(/slug/);
    const counted = await countAll();
    expect(counted.users).toBe(0);
    expect(counted.teams).toBe(1);
    expect(counted.apiTokens).toBe(0);
  });
});
