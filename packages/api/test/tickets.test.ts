import { ApiError, type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { activities, agents, auditLogs, projects, queueItems, tasks, tickets } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type Person, startTestApi, type TestApi } from "./harness.js";

type TicketBody = {
  title: string;
  overview?: string | null;
  status?: "open" | "in_progress" | "closed";
  priority?: "low" | "normal" | "high" | "urgent";
  tags?: string[];
  metadata?: Record<string, unknown>;
  assigneeUserId?: string | null;
  assigneeAgentId?: string | null;
};
type TaskBody = {
  content: string;
  description?: string | null;
  status?: "pending" | "in_progress" | "completed" | "cancelled";
  done?: boolean;
  orderIndex?: number;
  estimatedHours?: number | null;
  dependencies?: string[];
  tags?: string[];
  assigneeAgentId?: string | null;
};
type ListQuery = {
  status?: string;
  priority?: string;
  assignee?: string;
  tag?: string;
  sort?: string;
  limit?: string;
  cursor?: string;
  count?: "true";
};

describe.each(testDialects())("tickets and tasks over HTTP on $name", (dialect) => {
  let api: TestApi;
  let owner: Person;
  let member: Person;
  let viewer: Person;
  let outsider: Person;

  beforeAll(async () => {
    api = await startTestApi(dialect);
    [owner, member, viewer, outsider] = await Promise.all([
      api.person("Owner"),
      api.person("Member"),
      api.person("Viewer"),
      api.person("Outsider"),
    ]);
  });
  afterAll(() => api?.close());

  /** The ticket and task routes as `client` calls them. */
  const as = (p: { client: Client }) => {
    const v1 = p.client.api.v1;
    return {
      tickets: (projectId: string, query: ListQuery = {}) =>
        unwrap(v1.projects[":id"].tickets.$get({ param: { id: projectId }, query })),
      create: (projectId: string, json: TicketBody) =>
        unwrap(v1.projects[":id"].tickets.$post({ param: { id: projectId }, json })),
      get: (id: string, include?: "tasks") =>
        unwrap(v1.tickets[":id"].$get({ param: { id }, query: include ? { include } : {} })),
      patch: (id: string, json: Partial<TicketBody>) => unwrap(v1.tickets[":id"].$patch({ param: { id }, json })),
      delete: (id: string) => unwrap(v1.tickets[":id"].$delete({ param: { id } })),
      tasks: (id: string, query: ListQuery = {}) => unwrap(v1.tickets[":id"].tasks.$get({ param: { id }, query })),
      addTask: async (id: string, json: TaskBody) => {
        const task = await unwrap(v1.tickets[":id"].tasks.$post({ param: { id }, json }));
        if (Array.isArray(task)) throw new Error("expected one task");
        return task;
      },
      addTasks: async (id: string, json: TaskBody[]) => {
        const created = await unwrap(v1.tickets[":id"].tasks.$post({ param: { id }, json }));
        if (!Array.isArray(created)) throw new Error("expected an array");
        return created;
      },
      reorder: (id: string, taskIds: string[]) =>
        unwrap(v1.tickets[":id"].tasks.reorder.$post({ param: { id }, json: { taskIds } })),
      patchTask: (id: string, json: Partial<TaskBody>) => unwrap(v1.tasks[":id"].$patch({ param: { id }, json })),
      deleteTask: (id: string) => unwrap(v1.tasks[":id"].$delete({ param: { id } })),
      restore: (id: string) => unwrap(v1.tickets[":id"].restore.$post({ param: { id } })),
      deletedTickets: (projectId: string) =>
        unwrap(v1.projects[":id"].tickets.$get({ param: { id: projectId }, query: { deleted: "only" } })),
    };
  };

  /** The queue routes these tests need: a queue, enqueueing, claiming and completing. */
  const queueing = (p: { client: Client }) => {
    const v1 = p.client.api.v1;
    return {
      create: (projectId: string, name: string) =>
        unwrap(v1.projects[":id"].queues.$post({ param: { id: projectId }, json: { name, maxParallel: 10 } })),
      enqueue: (queueId: string, json: { ticketId: string } | { taskId: string }) =>
        unwrap(v1.queues[":id"].items.$post({ param: { id: queueId }, json })),
      claim: (queueId: string) => unwrap(v1.queues[":id"].claim.$post({ param: { id: queueId }, json: {} })),
      complete: (itemId: string) =>
        unwrap(v1["queue-items"][":id"].complete.$post({ param: { id: itemId }, json: {} })),
      cancel: (itemId: string) => unwrap(v1["queue-items"][":id"].cancel.$post({ param: { id: itemId } })),
    };
  };

  /** A team owned by `owner` with member and viewer, and a project in it (made directly: not our routes). */
  const freshProject = () =>
    api.teamProject(owner, [
      [member, "member"],
      [viewer, "viewer"],
    ]);

  const actions = async (teamId: string) =>
    (await api.db.repo(auditLogs).list({ where: { teamId }, sort: "createdAt", limit: 1000 })).data.map(
      (row) => row.action,
    );
  const verbs = async (teamId: string) =>
    (await api.db.repo(activities).list({ where: { teamId }, sort: "createdAt", limit: 1000 })).data.map(
      (row) => `${row.subjectType}:${row.verb}`,
    );

  it("creates, reads with an ETag, changes, closes and deletes a ticket, with audit rows and activities", async () => {
    const { teamId, projectId } = await freshProject();
    const res = await member.client.api.v1.projects[":id"].tickets.$post({
      param: { id: projectId },
      json: { title: "  Fix the engine ", tags: ["bug"], metadata: { source: "test" }, priority: "high" },
    });
    expect(res.status).toBe(201);
    const ticket = await res.json();
    expect(ticket).toMatchObject({
      projectId,
      number: 1,
      title: "Fix the engine",
      status: "open",
      priority: "high",
      tags: ["bug"],
      metadata: { source: "test" },
      createdByUserId: member.id,
      createdByAgentId: null,
      version: 1,
    });
    expect(ticket).not.toHaveProperty("deletedAt");

    const url = `${api.url}/api/v1/tickets/${ticket.id}`;
    const got = await fetch(url, { headers: { Authorization: `Bearer ${viewer.accessToken}` } });
    expect(got.headers.get("etag")).toBe('"1"');
    expect(await got.json()).toEqual(ticket);

    const m = as(member);
    const renamed = await m.patch(ticket.id, { title: "Fix the difference engine", status: "in_progress" });
    expect(renamed).toMatchObject({ title: "Fix the difference engine", status: "in_progress", version: 2 });
    // An unchanged patch changes nothing and records nothing.
    expect((await m.patch(ticket.id, { title: "Fix the difference engine" })).version).toBe(2);
    const closed = await m.patch(ticket.id, { status: "closed", assigneeUserId: owner.id });
    expect(closed).toMatchObject({ status: "closed", assigneeUserId: owner.id, version: 3 });
    expect(await m.delete(ticket.id)).toBeUndefined();
    await expectProblem(m.get(ticket.id), 404, "not_found");
    expect((await m.tickets(projectId)).data).toEqual([]);

    expect(await actions(teamId)).toEqual(
      expect.arrayContaining(["ticket.created", "ticket.updated", "ticket.updated", "ticket.deleted"]),
    );
    expect((await actions(teamId)).filter((a) => a.startsWith("ticket."))).toHaveLength(4);
    expect(await verbs(teamId)).toEqual(["member:added", "member:added", "ticket:created", "ticket:closed"]);
    const [updated] = (
      await api.db.repo(auditLogs).list({ where: { teamId, action: "ticket.updated" }, sort: "createdAt", limit: 1 })
    ).data;
    expect(updated?.changes).toEqual({
      before: { title: "Fix the engine", status: "open" },
      after: { title: "Fix the difference engine", status: "in_progress" },
    });
  });

  it("numbers tickets per project, and never twice under 20 concurrent creates", async () => {
    const { projectId } = await freshProject();
    const other = await freshProject();
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => as(member).create(projectId, { title: `Ticket ${i}` })),
    );
    expect(created.map((t) => t.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await as(owner).create(other.projectId, { title: "First elsewhere" })).number).toBe(1);
    expect((await as(owner).create(projectId, { title: "Next" })).number).toBe(21);
    const project = await api.db.repo(projects).get(projectId);
    expect(project.ticketSequence).toBe(21);
    // Numbering is bookkeeping, not an edit: the project's ETag (version) did not move.
    expect(project.version).toBe(1);
  });

  it("filters by status, priority, assignee and tag, sorts, and pages with a cursor", async () => {
    const { teamId, projectId } = await freshProject();
    const bot = await api.agent(teamId);
    const o = as(owner);
    const a = await o.create(projectId, { title: "A", status: "open", priority: "low", tags: ["bug", "ui"] });
    const b = await o.create(projectId, {
      title: "B",
      status: "closed",
      priority: "high",
      assigneeUserId: member.id,
      tags: ["ui"],
    });
    const c = await o.create(projectId, { title: "C", status: "in_progress", priority: "urgent" });
    const d = await o.create(projectId, { title: "D", status: "open", priority: "high", assigneeAgentId: bot.id });
    const e = await as(bot).create(projectId, { title: "E", priority: "normal" });
    expect(e).toMatchObject({ createdByAgentId: bot.id, createdByUserId: null });

    const ids = async (query: ListQuery) => (await o.tickets(projectId, query)).data.map((t) => t.title);
    expect(await ids({})).toEqual(["E", "D", "C", "B", "A"]);
    expect(await ids({ sort: "number" })).toEqual(["A", "B", "C", "D", "E"]);
    expect(await ids({ status: "open,closed", sort: "number" })).toEqual(["A", "B", "D", "E"]);
    expect(await ids({ status: "in_progress" })).toEqual(["C"]);
    expect(await ids({ priority: "high", sort: "number" })).toEqual(["B", "D"]);
    expect(await ids({ priority: "high,urgent", status: "open" })).toEqual(["D"]);
    expect(await ids({ assignee: member.id })).toEqual(["B"]);
    expect(await ids({ assignee: bot.id })).toEqual(["D"]);
    expect(await ids({ assignee: outsider.id })).toEqual([]);
    expect(await ids({ tag: "ui", sort: "number" })).toEqual(["A", "B"]);
    expect(await ids({ tag: "bug" })).toEqual(["A"]);
    expect(await ids({ tag: "none" })).toEqual([]);
    expect(await ids({ sort: "-createdAt" })).toEqual(["E", "D", "C", "B", "A"]);
    // Status and priority sort in their own order (open → in progress → closed; low → urgent).
    expect(await ids({ sort: "status,number" })).toEqual(["A", "D", "E", "C", "B"]);
    expect(await ids({ sort: "-priority,number" })).toEqual(["C", "B", "D", "E", "A"]);
    const urgentFirst = await o.tickets(projectId, { sort: "-priority,number", limit: "2" });
    const rest = await o.tickets(projectId, { sort: "-priority,number", cursor: urgentFirst.nextCursor ?? "" });
    expect([...urgentFirst.data, ...rest.data].map((t) => t.title)).toEqual(["C", "B", "D", "E", "A"]);

    const first = await o.tickets(projectId, { limit: "2", count: "true", sort: "number" });
    expect(first.total).toBe(5);
    const seen = [...first.data];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await o.tickets(projectId, { limit: "2", sort: "number", cursor });
      seen.push(...page.data);
      cursor = page.nextCursor;
    }
    expect(seen.map((t) => t.id)).toEqual([a.id, b.id, c.id, d.id, e.id]);

    for (const query of [{ sort: "title" }, { status: "opened" }, { priority: "high,," }, { assignee: "me" }]) {
      await expectProblem(o.tickets(projectId, query), 400, "validation_failed");
    }
  });

  it("takes assignees from the project's team only, one at a time", async () => {
    const { teamId, projectId } = await freshProject();
    const other = await freshProject();
    const bot = await api.agent(teamId);
    const foreignBot = await api.agent(other.teamId);
    const o = as(owner);
    const before = (await actions(teamId)).length;
    const refused = await expectProblem(
      o.create(projectId, { title: "X", assigneeUserId: outsider.id }),
      400,
      "validation_failed",
    );
    expect(refused.problem.errors?.map((e) => e.path)).toEqual(["body.assigneeUserId"]);
    await expectProblem(o.create(projectId, { title: "X", assigneeAgentId: foreignBot.id }), 400, "validation_failed");
    await expectProblem(
      o.create(projectId, { title: "X", assigneeUserId: member.id, assigneeAgentId: bot.id }),
      400,
      "validation_failed",
    );
    expect((await actions(teamId)).length).toBe(before);
    expect((await api.db.repo(projects).get(projectId)).ticketSequence).toBe(0);

    const ticket = await o.create(projectId, { title: "X", assigneeUserId: viewer.id });
    const toBot = await o.patch(ticket.id, { assigneeAgentId: bot.id });
    expect(toBot).toMatchObject({ assigneeAgentId: bot.id, assigneeUserId: null });
    expect(await o.patch(ticket.id, { assigneeAgentId: null })).toMatchObject({
      assigneeAgentId: null,
      assigneeUserId: null,
    });
    await expectProblem(o.patch(ticket.id, { assigneeUserId: outsider.id }), 400, "validation_failed");
  });

  it("honours If-Match on PATCH and DELETE: a stale ETag answers 412 and changes nothing", async () => {
    const { teamId, projectId } = await freshProject();
    const ticket = await as(member).create(projectId, { title: "Versioned" });
    const url = `${api.url}/api/v1/tickets/${ticket.id}`;
    const headers = { Authorization: `Bearer ${member.accessToken}`, "Content-Type": "application/json" };
    const patch = (ifMatch: string, title: string) =>
      fetch(url, { method: "PATCH", headers: { ...headers, "If-Match": ifMatch }, body: JSON.stringify({ title }) });
    const ok = await patch('"1"', "Changed");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).toBe('"2"');
    const before = (await actions(teamId)).length;
    const stale = await patch('"1"', "Overwritten");
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ code: "version_conflict" });
    expect((await fetch(url, { method: "DELETE", headers: { ...headers, "If-Match": '"1"' } })).status).toBe(412);
    expect((await as(member).get(ticket.id)).title).toBe("Changed");
    expect((await actions(teamId)).length).toBe(before);
    expect((await fetch(url, { method: "DELETE", headers: { ...headers, "If-Match": '"2"' } })).status).toBe(204);
  });

  it("creates tasks one or many, lists and includes them in order, and keeps done and status together", async () => {
    const { teamId, projectId } = await freshProject();
    const m = as(member);
    const ticket = await m.create(projectId, { title: "With tasks" });
    const res = await member.client.api.v1.tickets[":id"].tasks.$post({
      param: { id: ticket.id },
      json: { content: "Design", estimatedHours: 2.5, tags: ["x"] },
    });
    expect(res.status).toBe(201);
    const design = await res.json();
    if (Array.isArray(design)) throw new Error("expected one task");
    expect(design).toMatchObject({ ticketId: ticket.id, content: "Design", status: "pending", done: false });
    expect(design.orderIndex).toBe(0);

    const [build, ship] = await m.addTasks(ticket.id, [
      { content: "Build", dependencies: [design.id], done: true },
      { content: "Ship", status: "completed" },
    ]);
    expect(build).toMatchObject({ orderIndex: 1, dependencies: [design.id], done: true, status: "completed" });
    expect(ship).toMatchObject({ orderIndex: 2, done: true });
    if (!build || !ship) throw new Error("two tasks expected");

    const full = await m.get(ticket.id, "tasks");
    expect(full.tasks?.map((t) => t.content)).toEqual(["Design", "Build", "Ship"]);
    expect(await m.get(ticket.id)).not.toHaveProperty("tasks");
    const page = await m.tasks(ticket.id, { limit: "2" });
    const rest = await m.tasks(ticket.id, { limit: "2", cursor: page.nextCursor ?? "" });
    expect([...page.data, ...rest.data].map((t) => t.id)).toEqual([design.id, build.id, ship.id]);

    const done = await m.patchTask(design.id, { done: true });
    expect(done).toMatchObject({ done: true, status: "completed" });
    expect(await m.patchTask(design.id, { done: false })).toMatchObject({ done: false, status: "pending" });
    expect(await m.patchTask(design.id, { status: "completed" })).toMatchObject({ done: true });
    expect(await m.patchTask(design.id, { status: "in_progress", description: "now" })).toMatchObject({
      done: false,
      status: "in_progress",
      description: "now",
    });
    await expectProblem(m.patchTask(design.id, { done: true, status: "pending" }), 400, "validation_failed");
    await expectProblem(m.patchTask(design.id, { dependencies: [design.id] }), 400, "validation_failed");
    expect((await m.patchTask(design.id, { dependencies: [ship.id] })).dependencies).toEqual([ship.id]);

    // Deleting a task takes it out of the others' dependencies.
    expect(await m.deleteTask(build.id)).toBeUndefined();
    expect((await m.tasks(ticket.id)).data.map((t) => t.content)).toEqual(["Design", "Ship"]);
    expect(await m.deleteTask(ship.id)).toBeUndefined();
    expect((await m.get(ticket.id, "tasks")).tasks?.[0]?.dependencies).toEqual([]);

    const taskActions = (await actions(teamId)).filter((a) => a.startsWith("task"));
    expect(taskActions.filter((a) => a === "task.created")).toHaveLength(3);
    expect(taskActions.filter((a) => a === "task.deleted")).toHaveLength(2);
    expect((await verbs(teamId)).filter((v) => v === "task:completed")).toHaveLength(2);
  });

  it("creates a batch of tasks all or none, and refuses dependencies outside the ticket", async () => {
    const { teamId, projectId } = await freshProject();
    const m = as(member);
    const ticket = await m.create(projectId, { title: "Batch" });
    const elsewhere = await m.create(projectId, { title: "Other" });
    const foreign = await m.addTask(elsewhere.id, { content: "Not yours" });
    const before = (await actions(teamId)).length;

    const many = Array.from({ length: 30 }, (_, i) => ({ content: `Step ${i}` }));
    const bad = await expectProblem(
      m.addTasks(ticket.id, [...many.slice(0, 10), { content: "Bad", dependencies: [foreign.id] }]),
      400,
      "validation_failed",
    );
    expect(bad.problem.errors?.[0]?.path).toBe("body.10.dependencies.0");
    await expectProblem(m.addTasks(ticket.id, [...many, { content: " " }]), 400, "validation_failed");
    await expectProblem(m.addTasks(ticket.id, []), 400, "validation_failed");
    const tooMany = Array.from({ length: 501 }, () => ({ content: "x" }));
    await expectProblem(m.addTasks(ticket.id, tooMany), 400, "validation_failed");
    await expectProblem(m.addTask(ticket.id, { content: "x", assigneeAgentId: outsider.id }), 400, "validation_failed");
    // Values past what a column holds are refused, not left to the database.
    await expectProblem(m.addTask(ticket.id, { content: "x", orderIndex: 2 ** 31 }), 400, "validation_failed");
    await expectProblem(m.addTask(ticket.id, { content: "x", estimatedHours: 1e308 }), 400, "validation_failed");
    await expectProblem(m.create(projectId, { title: "x".repeat(301) }), 400, "validation_failed");
    expect(await api.db.repo(tasks).count({ ticketId: ticket.id })).toBe(0);
    expect((await actions(teamId)).length).toBe(before);

    const created = await m.addTasks(ticket.id, many);
    expect(created.map((t) => [t.content, t.orderIndex])).toEqual(many.map((t, i) => [t.content, i]));
    expect((await actions(teamId)).length).toBe(before + 30);
  });

  it("reorders a ticket's tasks, refusing a list that is not exactly its tasks", async () => {
    const { teamId, projectId } = await freshProject();
    const m = as(member);
    const ticket = await m.create(projectId, { title: "Reorder" });
    const other = await m.create(projectId, { title: "Other" });
    const stranger = await m.addTask(other.id, { content: "Elsewhere" });
    const [one, two, three] = await m.addTasks(ticket.id, [{ content: "1" }, { content: "2" }, { content: "3" }]);
    if (!one || !two || !three) throw new Error("three tasks expected");

    const res = await member.client.api.v1.tickets[":id"].tasks.reorder.$post({
      param: { id: ticket.id },
      json: { taskIds: [three.id, one.id, two.id] },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).map((t) => [t.content, t.orderIndex])).toEqual([
      ["3", 0],
      ["1", 1],
      ["2", 2],
    ]);
    expect((await m.tasks(ticket.id)).data.map((t) => t.content)).toEqual(["3", "1", "2"]);
    expect((await m.get(ticket.id, "tasks")).tasks?.map((t) => t.content)).toEqual(["3", "1", "2"]);
    expect((await actions(teamId)).filter((a) => a === "tasks.reordered")).toHaveLength(1);

    for (const taskIds of [
      [three.id, one.id],
      [three.id, one.id, two.id, stranger.id],
      [three.id, one.id, one.id],
      [three.id, one.id, stranger.id],
    ]) {
      await expectProblem(m.reorder(ticket.id, taskIds), 400, "validation_failed");
    }
    expect((await m.tasks(ticket.id)).data.map((t) => t.content)).toEqual(["3", "1", "2"]);
    expect((await actions(teamId)).filter((a) => a === "tasks.reordered")).toHaveLength(1);
  });

  it("cancels a deleted ticket's live queue items and its tasks' in the same change: no agent claims or completes them", async () => {
    const { teamId, projectId } = await freshProject();
    const m = as(member);
    const ticket = await m.create(projectId, { title: "Doomed" });
    const [held, waiting] = await m.addTasks(ticket.id, [{ content: "Held" }, { content: "Waiting" }]);
    if (!held || !waiting) throw new Error("two tasks expected");
    const kept = await m.create(projectId, { title: "Kept" });
    const bot = await api.agent(teamId);
    const queue = await queueing(owner).create(projectId, "work");
    const q = queueing(member);
    const heldItem = await q.enqueue(queue.id, { taskId: held.id });
    expect((await queueing(bot).claim(queue.id))?.id).toBe(heldItem.id);
    const ticketItem = await q.enqueue(queue.id, { ticketId: ticket.id });
    const waitingItem = await q.enqueue(queue.id, { taskId: waiting.id });
    const keptItem = await q.enqueue(queue.id, { ticketId: kept.id });

    expect(await m.delete(ticket.id)).toBeUndefined();
    for (const id of [heldItem.id, ticketItem.id, waitingItem.id]) {
      expect(await api.db.repo(queueItems).get(id)).toMatchObject({
        status: "cancelled",
        error: "ticket deleted",
        leaseExpiresAt: null,
      });
    }
    expect((await api.db.repo(queueItems).get(keptItem.id)).status).toBe("queued");
    // Its agent holds nothing now.
    expect((await api.db.repo(agents).get(bot.id)).status).toBe("idle");
    // The agent holding one is told it is cancelled; the next claim is another ticket's item.
    const refused = await expectProblem(queueing(bot).complete(heldItem.id), 409, "conflict");
    expect(refused.problem.detail).toContain("cancelled");
    expect((await queueing(bot).claim(queue.id))?.id).toBe(keptItem.id);
    expect(await queueing(bot).claim(queue.id)).toBeUndefined();
    // The deleted ticket and its tasks were left as they were.
    expect(await api.db.repo(tickets).get(ticket.id, { deleted: "include" })).toMatchObject({ status: "open" });
    expect((await api.db.repo(tasks).get(held.id)).status).toBe("pending");
    expect((await actions(teamId)).filter((a) => a === "queue_item.cancelled")).toHaveLength(3);
    // Neither it nor its tasks can be queued again while it is deleted.
    await expectProblem(q.enqueue(queue.id, { ticketId: ticket.id }), 400, "validation_failed");
    await expectProblem(q.enqueue(queue.id, { taskId: waiting.id }), 400, "validation_failed");
  });

  it("refuses to delete a task an agent works on (409, nothing changed), and deletes it with its items otherwise", async () => {
    const { teamId, projectId } = await freshProject();
    const m = as(member);
    const ticket = await m.create(projectId, { title: "Busy" });
    const task = await m.addTask(ticket.id, { content: "In the works" });
    const bot = await api.agent(teamId);
    const queue = await queueing(owner).create(projectId, "work");
    const item = await queueing(member).enqueue(queue.id, { taskId: task.id });
    await queueing(bot).claim(queue.id);

    const refused = await expectProblem(m.deleteTask(task.id), 409, "conflict");
    expect(refused.problem.detail).toContain(item.id);
    expect(await api.db.repo(tasks).exists(task.id)).toBe(true);
    expect((await actions(teamId)).filter((a) => a === "task.deleted")).toHaveLength(0);
    // The agent finishes its work as usual.
    expect((await queueing(bot).complete(item.id)).status).toBe("completed");
    expect(await m.deleteTask(task.id)).toBeUndefined();
    expect(await api.db.repo(queueItems).exists(item.id)).toBe(false);
    expect((await actions(teamId)).filter((a) => a === "queue_item.deleted" || a === "task.deleted")).toEqual([
      "queue_item.deleted",
      "task.deleted",
    ]);

    // A cancelled item is no obstacle.
    const other = await m.addTask(ticket.id, { content: "Given up" });
    const second = await queueing(member).enqueue(queue.id, { taskId: other.id });
    await queueing(bot).claim(queue.id);
    await queueing(member).cancel(second.id);
    expect(await m.deleteTask(other.id)).toBeUndefined();

    // However many times the task was worked on before, the item in progress now is found.
    const worn = await m.addTask(ticket.id, { content: "Done many times" });
    const done = { queueId: queue.id, taskId: worn.id, status: "completed" as const, attempts: 1 };
    await api.db.repo(queueItems).createMany(Array.from({ length: 10_050 }, () => done));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const current = await queueing(member).enqueue(queue.id, { taskId: worn.id });
    await queueing(bot).claim(queue.id);
    const busy = await expectProblem(m.deleteTask(worn.id), 409, "conflict");
    expect(busy.problem.detail).toContain(current.id);
  });

  it("refuses dependency cycles, repeated dependencies and a task depending on itself, on create and change", async () => {
    const { teamId, projectId } = await freshProject();
    const m = as(member);
    const ticket = await m.create(projectId, { title: "Plan" });
    const a = await m.addTask(ticket.id, { content: "A" });
    const b = await m.addTask(ticket.id, { content: "B", dependencies: [a.id] });
    const c = await m.addTask(ticket.id, { content: "C", dependencies: [b.id] });
    const before = (await actions(teamId)).length;

    const direct = await expectProblem(m.patchTask(a.id, { dependencies: [b.id] }), 400, "validation_failed");
    expect(direct.problem.errors).toEqual([
      { path: "body.dependencies.0", message: `would make a dependency cycle: ${a.id} → ${b.id} → ${a.id}` },
    ]);
    const through = await expectProblem(m.patchTask(a.id, { dependencies: [c.id] }), 400, "validation_failed");
    expect(through.problem.errors?.[0]?.message).toBe(
      `would make a dependency cycle: ${a.id} → ${c.id} → ${b.id} → ${a.id}`,
    );
    const self = await expectProblem(m.patchTask(a.id, { dependencies: [a.id] }), 400, "validation_failed");
    expect(self.problem.errors?.[0]?.path).toBe("body.dependencies.0");
    const twice = await expectProblem(m.patchTask(c.id, { dependencies: [a.id, a.id] }), 400, "validation_failed");
    expect(twice.problem.errors?.[0]?.path).toBe("body.dependencies.1");
    await expectProblem(m.addTask(ticket.id, { content: "D", dependencies: [a.id, a.id] }), 400, "validation_failed");
    const inBatch = await expectProblem(
      m.addTasks(ticket.id, [{ content: "D" }, { content: "E", dependencies: [b.id, b.id] }]),
      400,
      "validation_failed",
    );
    expect(inBatch.problem.errors?.[0]?.path).toBe("body.1.dependencies.1");
    expect((await m.get(ticket.id, "tasks")).tasks?.map((t) => [t.content, t.dependencies])).toEqual([
      ["A", []],
      ["B", [a.id]],
      ["C", [b.id]],
    ]);
    expect((await actions(teamId)).length).toBe(before);

    // What is not a cycle is fine: two ways to the same task, and a chain turned around at its end.
    expect((await m.patchTask(c.id, { dependencies: [a.id, b.id] })).dependencies).toEqual([a.id, b.id]);
    await m.patchTask(b.id, { dependencies: [] });
    expect((await m.patchTask(a.id, { dependencies: [b.id] })).dependencies).toEqual([b.id]);
  });

  it("restores a deleted ticket (admins and owners), lists deleted tickets for them, and not in a deleted project", async () => {
    const { teamId, projectId } = await freshProject();
    const m = as(member);
    const ticket = await m.create(projectId, { title: "Back again" });
    const task = await m.addTask(ticket.id, { content: "Its task" });
    const live = await m.create(projectId, { title: "Never deleted" });
    await m.delete(ticket.id);

    expect((await as(owner).deletedTickets(projectId)).data.map((t) => t.id)).toEqual([ticket.id]);
    expect((await as(owner).tickets(projectId)).data.map((t) => t.id)).toEqual([live.id]);
    await expectProblem(m.deletedTickets(projectId), 403, "forbidden");
    await expectProblem(as(viewer).deletedTickets(projectId), 403, "forbidden");
    await expectProblem(as(outsider).deletedTickets(projectId), 404, "not_found");
    const bad = await owner.client.api.v1.projects[":id"].tickets.$get({
      param: { id: projectId },
      query: { deleted: "all" as "only" },
    });
    expect(bad.status).toBe(400);

    const before = await actions(teamId);
    await expectProblem(m.restore(ticket.id), 403, "forbidden");
    await expectProblem(as(outsider).restore(ticket.id), 404, "not_found");
    await expectProblem(as(owner).restore(crypto.randomUUID()), 404, "not_found");
    expect(await actions(teamId)).toEqual(before);

    const res = await owner.client.api.v1.tickets[":id"].restore.$post({ param: { id: ticket.id } });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBeTruthy();
    const restored = await res.json();
    expect(restored).toMatchObject({ id: ticket.id, number: ticket.number, title: "Back again" });
    expect(restored).not.toHaveProperty("deletedAt");
    expect((await m.get(ticket.id, "tasks")).tasks?.map((t) => t.id)).toEqual([task.id]);
    expect((await as(owner).deletedTickets(projectId)).data).toEqual([]);
    // Restoring a live ticket changes nothing.
    expect((await as(owner).restore(ticket.id)).version).toBe(restored.version);
    expect((await actions(teamId)).filter((a) => a === "ticket.restored")).toHaveLength(1);
    expect((await verbs(teamId)).filter((v) => v === "ticket:restored")).toHaveLength(1);

    // In a deleted project: the project comes back first.
    await m.delete(ticket.id);
    const project = owner.client.api.v1.projects[":id"];
    expect((await project.$delete({ param: { id: projectId } })).status).toBe(204);
    const conflict = await expectProblem(as(owner).restore(ticket.id), 409, "conflict");
    expect(conflict.problem.detail).toContain("project is deleted");
    expect((await project.restore.$post({ param: { id: projectId } })).status).toBe(200);
    expect((await as(owner).restore(ticket.id)).id).toBe(ticket.id);
  });

  it("lets a viewer read but not write (403, nothing recorded), and a member and an agent write", async () => {
    const { teamId, projectId } = await freshProject();
    const ticket = await as(member).create(projectId, { title: "Shared" });
    const task = await as(member).addTask(ticket.id, { content: "Task" });
    const v = as(viewer);
    expect((await v.tickets(projectId)).data.map((t) => t.id)).toEqual([ticket.id]);
    expect((await v.get(ticket.id, "tasks")).tasks?.map((t) => t.id)).toEqual([task.id]);
    expect((await v.tasks(ticket.id)).data).toHaveLength(1);

    const before = await actions(teamId);
    await expectProblem(v.create(projectId, { title: "Mine" }), 403, "forbidden");
    await expectProblem(v.patch(ticket.id, { title: "Mine" }), 403, "forbidden");
    await expectProblem(v.delete(ticket.id), 403, "forbidden");
    await expectProblem(v.addTask(ticket.id, { content: "Mine" }), 403, "forbidden");
    await expectProblem(v.reorder(ticket.id, [task.id]), 403, "forbidden");
    await expectProblem(v.patchTask(task.id, { done: true }), 403, "forbidden");
    await expectProblem(v.deleteTask(task.id), 403, "forbidden");
    expect(await actions(teamId)).toEqual(before);
    expect((await as(member).get(ticket.id)).version).toBe(1);

    const bot = await api.agent(teamId);
    expect((await as(bot).patchTask(task.id, { done: true })).status).toBe("completed");
    const [completed] = (
      await api.db.repo(activities).list({ where: { teamId, verb: "completed" }, sort: "createdAt", limit: 1 })
    ).data;
    expect(completed).toMatchObject({ actorType: "agent", actorId: bot.id, projectId, subjectId: task.id });
  });

  it("follows its project and team: gone with a deleted project or team, back with a restored project", async () => {
    const { teamId, projectId } = await freshProject();
    const ticket = await as(member).create(projectId, { title: "Lives with its project" });
    const task = await as(member).addTask(ticket.id, { content: "And its task" });
    const bot = await api.agent(teamId);
    const project = owner.client.api.v1.projects[":id"];

    expect((await project.$delete({ param: { id: projectId } })).status).toBe(204);
    for (const p of [owner, member, viewer, bot]) {
      await expectProblem(as(p).get(ticket.id), 404, "not_found");
      await expectProblem(as(p).get(ticket.id, "tasks"), 404, "not_found");
      await expectProblem(as(p).patchTask(task.id, { done: true }), 404, "not_found");
    }
    await expectProblem(as(owner).patch(ticket.id, { title: "Changed" }), 404, "not_found");

    expect((await project.restore.$post({ param: { id: projectId } })).status).toBe(200);
    expect((await as(viewer).get(ticket.id, "tasks")).tasks?.map((t) => t.id)).toEqual([task.id]);
    expect((await as(bot).get(ticket.id)).title).toBe("Lives with its project");

    const team = owner.client.api.v1.teams[":teamId"];
    expect((await team.$delete({ param: { teamId } })).status).toBe(204);
    for (const p of [owner, member, viewer]) await expectProblem(as(p).get(ticket.id), 404, "not_found");
    await expectProblem(as(owner).patch(ticket.id, { title: "Changed" }), 404, "not_found");
    expect((await api.db.repo(projects).get(projectId)).deletedAt).toBeNull();
  });

  it("lets a project's collaborators reach its tickets as their role allows, and no other project's", async () => {
    const { projectId } = await freshProject();
    const other = await api.teamProject(owner);
    const ticket = await as(owner).create(projectId, { title: "Shared with guests" });
    const hidden = await as(owner).create(other.projectId, { title: "Not shared" });
    const collaborators = owner.client.api.v1.projects[":id"].collaborators;
    for (const [person, role] of [
      [outsider, "viewer"],
      [viewer, "editor"],
    ] as const) {
      // The team's viewer stays a viewer: the team role comes first.
      const res = await collaborators.$post({ param: { id: projectId }, json: { userId: person.id, role } });
      expect(res.status, role).toBe(role === "viewer" ? 201 : 409);
    }
    expect((await as(outsider).get(ticket.id, "tasks")).id).toBe(ticket.id);
    await expectProblem(as(outsider).patch(ticket.id, { title: "Mine" }), 403, "forbidden");
    await expectProblem(as(outsider).get(hidden.id), 404, "not_found");
    const removed = await collaborators[":userId"].$delete({ param: { id: projectId, userId: outsider.id } });
    expect(removed.status).toBe(204);
    await expectProblem(as(outsider).get(ticket.id), 404, "not_found");
  });

  it("answers 404, never 403, for every ticket and task route from another team", async () => {
    const { teamId, projectId } = await freshProject();
    const ticket = await as(member).create(projectId, { title: "Private" });
    const task = await as(member).addTask(ticket.id, { content: "Private task" });
    const other = await freshProject();
    const foreignBot = await api.agent(other.teamId);
    const before = await actions(teamId);
    for (const stranger of [outsider, foreignBot]) {
      const s = as(stranger);
      const calls: [string, () => Promise<unknown>][] = [
        ["list tickets", () => s.tickets(projectId)],
        ["create ticket", () => s.create(projectId, { title: "Intruder" })],
        ["get ticket", () => s.get(ticket.id, "tasks")],
        ["patch ticket", () => s.patch(ticket.id, { title: "Taken" })],
        ["delete ticket", () => s.delete(ticket.id)],
        ["list tasks", () => s.tasks(ticket.id)],
        ["create task", () => s.addTask(ticket.id, { content: "Intruder" })],
        ["reorder", () => s.reorder(ticket.id, [task.id])],
        ["patch task", () => s.patchTask(task.id, { done: true })],
        ["delete task", () => s.deleteTask(task.id)],
      ];
      for (const [label, call] of calls) {
        const error = await call().then(
          () => undefined,
          (e) => e,
        );
        expect(error, label).toBeInstanceOf(ApiError);
        expect((error as ApiError).status, label).toBe(404);
      }
    }
    // Unknown and malformed ids are as absent.
    await expectProblem(as(owner).get(crypto.randomUUID()), 404, "not_found");
    await expectProblem(as(owner).tickets(crypto.randomUUID()), 404, "not_found");
    await expectProblem(as(owner).patchTask(crypto.randomUUID(), { done: true }), 404, "not_found");
    expect(await actions(teamId)).toEqual(before);
    expect((await as(member).get(ticket.id, "tasks")).tasks?.[0]?.done).toBe(false);
  });
});
