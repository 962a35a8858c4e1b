import { ApiError, type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import {
  activities,
  agents,
  auditLogs,
  costs,
  projectCollaborators,
  queueItems,
  tasks,
  teams,
  tickets,
} from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Person, startTestApi, type TestApi } from "./harness.js";

type QueueBody = {
  name: string;
  description?: string | null;
  maxParallel?: number;
  leaseSeconds?: number;
  maxAttempts?: number;
};
type CostBody = {
  agentId?: string | null;
  queueItemId?: string | null;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  amountMicros: number;
  currency?: string;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(testDialects())("queues over HTTP on $name", (dialect) => {
  let api: TestApi;
  let owner: Person;
  let admin: Person;
  let member: Person;
  let viewer: Person;
  let outsider: Person;

  beforeAll(async () => {
    api = await startTestApi(dialect);
    [owner, admin, member, viewer, outsider] = await Promise.all([
      api.person("Owner"),
      api.person("Admin"),
      api.person("Member"),
      api.person("Viewer"),
      api.person("Outsider"),
    ]);
  });
  afterAll(() => api?.close());

  const expectProblem = async (call: Promise<unknown>, status: number, code: string) => {
    const error = await call.then(
      () => undefined,
      (e) => e,
    );
    expect(error, `expected ${status} ${code}`).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(status);
    expect((error as ApiError).code).toBe(code);
    return error as ApiError;
  };

  const as = (p: { client: Client }) => {
    const v1 = p.client.api.v1;
    return {
      queues: (projectId: string) => unwrap(v1.projects[":id"].queues.$get({ param: { id: projectId }, query: {} })),
      create: (projectId: string, json: QueueBody) =>
        unwrap(v1.projects[":id"].queues.$post({ param: { id: projectId }, json })),
      get: (id: string) => unwrap(v1.queues[":id"].$get({ param: { id } })),
      patch: (id: string, json: Partial<QueueBody> & { status?: "active" | "paused" }) =>
        unwrap(v1.queues[":id"].$patch({ param: { id }, json })),
      delete: (id: string) => unwrap(v1.queues[":id"].$delete({ param: { id } })),
      stats: (id: string) => unwrap(v1.queues[":id"].stats.$get({ param: { id } })),
      items: (id: string, query: { status?: string; limit?: string; cursor?: string } = {}) =>
        unwrap(v1.queues[":id"].items.$get({ param: { id }, query })),
      enqueue: (id: string, json: { ticketId?: string; taskId?: string; priority?: number }) =>
        unwrap(v1.queues[":id"].items.$post({ param: { id }, json })),
      claim: (id: string, agentId?: string) =>
        unwrap(v1.queues[":id"].claim.$post({ param: { id }, json: agentId ? { agentId } : {} })),
      heartbeat: (id: string) => unwrap(v1["queue-items"][":id"].heartbeat.$post({ param: { id } })),
      complete: (id: string, json: { result?: unknown; costs?: CostBody[] } = {}) =>
        unwrap(
          v1["queue-items"][":id"].complete.$post({
            param: { id },
            json: json as { result?: string; costs?: CostBody[] },
          }),
        ),
      fail: (id: string, error: string) =>
        unwrap(v1["queue-items"][":id"].fail.$post({ param: { id }, json: { error } })),
      cancel: (id: string) => unwrap(v1["queue-items"][":id"].cancel.$post({ param: { id } })),
    };
  };

  /** A team owned by `owner` with an admin, a member and a viewer, and a project in it. */
  const freshProject = () =>
    api.teamProject(owner, [
      [admin, "admin"],
      [member, "member"],
      [viewer, "viewer"],
    ]);

  const agentOf = async (teamId: string, name = "Bot") => {
    const agent = await api.db.repo(agents).create({ teamId, name, provider: "test", model: "test-1" });
    const { token } = await api.server.auth.createApiToken(
      { db: api.db, principal: { kind: "user", userId: owner.id } },
      { name: "bot" },
      { agentId: agent.id },
    );
    return { id: agent.id, client: api.client(token) };
  };

  let ticketNumber = 0;
  const ticketIn = (projectId: string, title = "Ticket") =>
    api.db.repo(tickets).create({ projectId, number: ++ticketNumber + 1_000_000, title });

  const actions = async (teamId: string) =>
    (await api.db.repo(auditLogs).list({ where: { teamId }, sort: "createdAt", limit: 1000 })).data.map(
      (r) => r.action,
    );
  const verbs = async (teamId: string) =>
    (await api.db.repo(activities).list({ where: { teamId }, sort: "createdAt", limit: 1000 })).data
      .filter((r) => r.subjectType === "queue_item")
      .map((r) => r.verb);

  it("creates, lists, reads, pauses, and deletes queues; admins manage, members and viewers read", async () => {
    const { teamId, projectId } = await freshProject();
    const queue = await as(admin).create(projectId, { name: "  builds ", maxParallel: 2 });
    expect(queue).toMatchObject({
      projectId,
      name: "builds",
      status: "active",
      maxParallel: 2,
      leaseSeconds: 300,
      maxAttempts: 3,
    });
    await expectProblem(as(owner).create(projectId, { name: "builds" }), 409, "conflict");
    await expectProblem(as(member).create(projectId, { name: "mine" }), 403, "forbidden");
    await expectProblem(as(viewer).create(projectId, { name: "mine" }), 403, "forbidden");
    await expectProblem(as(outsider).create(projectId, { name: "mine" }), 404, "not_found");
    const bot = await agentOf(teamId);
    await expectProblem(as(bot).create(projectId, { name: "mine" }), 403, "forbidden");
    await expectProblem(as(owner).create(projectId, { name: "x", maxParallel: 0 }), 400, "validation_failed");

    expect((await as(viewer).queues(projectId)).data.map((q) => q.name)).toEqual(["builds"]);
    expect(await as(member).get(queue.id)).toEqual(queue);
    await expectProblem(as(outsider).get(queue.id), 404, "not_found");
    await expectProblem(as(outsider).queues(projectId), 404, "not_found");

    const paused = await as(admin).patch(queue.id, { status: "paused", leaseSeconds: 60 });
    expect(paused).toMatchObject({ status: "paused", leaseSeconds: 60 });
    await expectProblem(as(member).patch(queue.id, { status: "active" }), 403, "forbidden");
    await expectProblem(as(member).delete(queue.id), 403, "forbidden");
    await expectProblem(as(outsider).delete(queue.id), 404, "not_found");
    expect(await as(owner).delete(queue.id)).toBeUndefined();
    await expectProblem(as(owner).get(queue.id), 404, "not_found");
    expect((await actions(teamId)).filter((a) => a.startsWith("queue."))).toEqual([
      "queue.created",
      "queue.updated",
      "queue.deleted",
    ]);
  });

  it("enqueues tickets and tasks of the queue's project only, never twice live, again after completion", async () => {
    const { teamId, projectId } = await freshProject();
    const other = await freshProject();
    const queue = await as(owner).create(projectId, { name: "q" });
    const bot = await agentOf(teamId);
    const ticket = await ticketIn(projectId);
    const task = await api.db.repo(tasks).create({ ticketId: ticket.id, content: "step" });
    const foreignTicket = await ticketIn(other.projectId);
    const foreignTask = await api.db.repo(tasks).create({ ticketId: foreignTicket.id, content: "step" });

    const item = await as(member).enqueue(queue.id, { ticketId: ticket.id, priority: 3 });
    expect(item).toMatchObject({ queueId: queue.id, ticketId: ticket.id, taskId: null, priority: 3, status: "queued" });
    const taskItem = await as(bot).enqueue(queue.id, { taskId: task.id });
    expect(taskItem).toMatchObject({ taskId: task.id, ticketId: null, priority: 5 });

    const dup = await expectProblem(as(member).enqueue(queue.id, { ticketId: ticket.id }), 409, "conflict");
    expect(dup.problem).toMatchObject({ fields: ["ticketId"] });
    await expectProblem(as(member).enqueue(queue.id, { taskId: task.id }), 409, "conflict");
    await expectProblem(as(member).enqueue(queue.id, { ticketId: foreignTicket.id }), 400, "validation_failed");
    await expectProblem(as(member).enqueue(queue.id, { taskId: foreignTask.id }), 400, "validation_failed");
    await expectProblem(
      as(member).enqueue(queue.id, { ticketId: ticket.id, taskId: task.id }),
      400,
      "validation_failed",
    );
    await expectProblem(as(member).enqueue(queue.id, {}), 400, "validation_failed");
    await expectProblem(as(member).enqueue(queue.id, { ticketId: ticket.id, priority: 11 }), 400, "validation_failed");
    await expectProblem(as(viewer).enqueue(queue.id, { ticketId: ticket.id }), 403, "forbidden");
    await expectProblem(as(outsider).enqueue(queue.id, { ticketId: ticket.id }), 404, "not_found");

    // Completed, the ticket may come back.
    const claimed = await as(bot).claim(queue.id);
    expect(claimed?.id).toBe(item.id);
    await as(bot).complete(item.id);
    const again = await as(member).enqueue(queue.id, { ticketId: ticket.id });
    expect(again.id).not.toBe(item.id);

    expect((await as(viewer).items(queue.id)).data.map((i) => i.id)).toEqual([item.id, taskItem.id, again.id]);
    expect((await as(viewer).items(queue.id, { status: "completed" })).data.map((i) => i.id)).toEqual([item.id]);
    expect((await as(viewer).items(queue.id, { status: "queued,completed" })).data).toHaveLength(3);
    await expectProblem(as(viewer).items(queue.id, { status: "done" }), 400, "validation_failed");
    const first = await as(viewer).items(queue.id, { limit: "1" });
    const second = await as(viewer).items(queue.id, { limit: "1", cursor: first.nextCursor ?? "" });
    expect(second.data[0]?.id).toBe(taskItem.id);
  });

  it("hands out items by priority then enqueue time, nothing while paused or at maxParallel", async () => {
    const { teamId, projectId } = await freshProject();
    const queue = await as(owner).create(projectId, { name: "q", maxParallel: 2 });
    const bot = await agentOf(teamId);
    const ids: string[] = [];
    for (const priority of [5, 1, 5, 0]) {
      const ticket = await ticketIn(projectId);
      ids.push((await as(member).enqueue(queue.id, { ticketId: ticket.id, priority })).id);
      await sleep(3);
    }
    await as(owner).patch(queue.id, { status: "paused" });
    expect(await as(bot).claim(queue.id)).toBeUndefined();
    await as(owner).patch(queue.id, { status: "active" });

    const first = await as(bot).claim(queue.id);
    expect(first).toMatchObject({ id: ids[3], status: "in_progress", agentId: bot.id, attempts: 1 });
    expect(new Date(first?.leaseExpiresAt ?? 0).getTime()).toBeGreaterThan(Date.now() + 290_000);
    // A team admin claims on behalf of an agent of the team.
    const second = await as(admin).claim(queue.id, bot.id);
    expect(second?.id).toBe(ids[1]);
    expect(await as(bot).claim(queue.id)).toBeUndefined(); // at maxParallel
    await as(bot).complete(ids[3] as string);
    expect((await as(bot).claim(queue.id))?.id).toBe(ids[0]);
    await as(bot).complete(ids[1] as string);
    expect((await as(bot).claim(queue.id))?.id).toBe(ids[2]);
    await as(bot).complete(ids[0] as string);
    await as(bot).complete(ids[2] as string);
    expect(await as(bot).claim(queue.id)).toBeUndefined(); // empty

    await expectProblem(as(admin).claim(queue.id), 400, "validation_failed");
    const other = await freshProject();
    const foreignBot = await agentOf(other.teamId);
    await expectProblem(as(admin).claim(queue.id, foreignBot.id), 400, "validation_failed");
    await expectProblem(as(foreignBot).claim(queue.id), 404, "not_found");
    await expectProblem(as(viewer).claim(queue.id, bot.id), 403, "forbidden");
    expect(await verbs(teamId)).toEqual([
      "claimed",
      "claimed",
      "completed",
      "claimed",
      "completed",
      "claimed",
      "completed",
      "completed",
    ]);
  });

  it("lets members and editors enqueue but not claim for an agent: only its holder may finish an item", async () => {
    const { teamId, projectId } = await freshProject();
    const editor = await api.person("Editor");
    await api.db.repo(projectCollaborators).create({ projectId, userId: editor.id, role: "editor" });
    const queue = await as(owner).create(projectId, { name: "q" });
    const bot = await agentOf(teamId);
    const item = await as(editor).enqueue(queue.id, { ticketId: (await ticketIn(projectId)).id });
    const before = await actions(teamId);
    for (const p of [member, editor]) {
      const { problem } = await expectProblem(as(p).claim(queue.id, bot.id), 403, "forbidden");
      expect(problem.detail).toBe("claiming on behalf of an agent needs the admin role in the team");
      await expectProblem(as(p).claim(queue.id), 403, "forbidden");
    }
    expect(await api.db.repo(queueItems).get(item.id)).toMatchObject({ status: "queued", agentId: null, attempts: 0 });
    expect(await api.db.repo(agents).get(bot.id)).toMatchObject({ status: "idle", lastSeenAt: null });
    expect(await actions(teamId)).toEqual(before);
    // What an admin claims for the agent, the agent can finish.
    expect(await as(admin).claim(queue.id, bot.id)).toMatchObject({ id: item.id, agentId: bot.id });
    expect((await as(bot).complete(item.id)).status).toBe("completed");
  });

  it("keeps an agent's status and lastSeenAt in step with its claims, heartbeats, completions and failures", async () => {
    const { teamId, projectId } = await freshProject();
    const queue = await as(owner).create(projectId, { name: "q", maxParallel: 5, maxAttempts: 3 });
    const [bot, other] = [await agentOf(teamId, "A"), await agentOf(teamId, "B")];
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await as(member).enqueue(queue.id, { ticketId: (await ticketIn(projectId)).id })).id);
      await sleep(3);
    }
    const [one, two, three, four] = ids as [string, string, string, string];
    const agent = (id: string) => api.db.repo(agents).get(id);
    const seenAt = async (id: string) => (await agent(id)).lastSeenAt?.getTime() ?? 0;
    expect(await agent(bot.id)).toMatchObject({ status: "idle", lastSeenAt: null });

    expect((await as(bot).claim(queue.id))?.id).toBe(one);
    expect(await agent(bot.id)).toMatchObject({ status: "busy", lastSeenAt: expect.any(Date) });
    const claimedAt = await seenAt(bot.id);
    expect(claimedAt).toBeGreaterThan(Date.now() - 60_000);
    await sleep(5);
    await as(bot).heartbeat(one);
    expect(await seenAt(bot.id)).toBeGreaterThan(claimedAt);
    expect((await as(bot).claim(queue.id))?.id).toBe(two);
    // Busy while it holds another item; idle once it holds none.
    await as(bot).complete(one);
    expect((await agent(bot.id)).status).toBe("busy");
    await sleep(5);
    const beforeFail = await seenAt(bot.id);
    await as(bot).fail(two, "flaky");
    expect((await agent(bot.id)).status).toBe("idle");
    expect(await seenAt(bot.id)).toBeGreaterThan(beforeFail);

    // An admin claiming or completing for the agent moves its status, but has not seen it.
    const lastSeen = await seenAt(bot.id);
    expect((await as(admin).claim(queue.id, bot.id))?.id).toBe(two);
    expect((await agent(bot.id)).status).toBe("busy");
    await as(admin).complete(two);
    expect(await agent(bot.id)).toMatchObject({ status: "idle" });
    expect(await seenAt(bot.id)).toBe(lastSeen);

    // Offline and error are an admin's (or the agent's) word: queue work leaves them, and sees the agent.
    await api.db.repo(agents).update(other.id, { status: "offline" });
    expect((await as(other).claim(queue.id))?.id).toBe(three);
    expect(await agent(other.id)).toMatchObject({ status: "offline", lastSeenAt: expect.any(Date) });
    await as(other).complete(three);
    expect((await agent(other.id)).status).toBe("offline");
    await api.db.repo(agents).update(other.id, { status: "idle" });

    // A holder whose expired item is taken over holds nothing any more; cancelling frees the taker.
    expect((await as(bot).claim(queue.id))?.id).toBe(four);
    await api.db.repo(queueItems).update(four, { leaseExpiresAt: new Date(Date.now() - 1) });
    expect((await as(other).claim(queue.id))?.id).toBe(four);
    expect((await agent(bot.id)).status).toBe("idle");
    expect((await agent(other.id)).status).toBe("busy");
    await as(member).cancel(four);
    expect((await agent(other.id)).status).toBe("idle");
    // An agent asking for work is seen even when there is none.
    const idleSince = await seenAt(other.id);
    await sleep(5);
    expect(await as(other).claim(queue.id)).toBeUndefined();
    expect(await agent(other.id)).toMatchObject({ status: "idle" });
    expect(await seenAt(other.id)).toBeGreaterThan(idleSince);
  });

  it("makes an item whose lease expired claimable again, and refuses the old holder", async () => {
    const { teamId, projectId } = await freshProject();
    const queue = await as(owner).create(projectId, { name: "q", leaseSeconds: 1 });
    const [a, b] = [await agentOf(teamId, "A"), await agentOf(teamId, "B")];
    const ticket = await ticketIn(projectId);
    const item = await as(member).enqueue(queue.id, { ticketId: ticket.id });
    await as(a).claim(queue.id);
    expect(await as(b).claim(queue.id)).toBeUndefined();
    // Heartbeats keep it.
    const extended = await as(a).heartbeat(item.id);
    expect(new Date(extended.leaseExpiresAt ?? 0).getTime()).toBeGreaterThan(Date.now() + 500);
    await api.db.repo(queueItems).update(item.id, { leaseExpiresAt: new Date(Date.now() - 1) });
    const reclaimed = await as(b).claim(queue.id);
    expect(reclaimed).toMatchObject({ id: item.id, agentId: b.id, attempts: 2 });
    await expectProblem(as(a).heartbeat(item.id), 409, "conflict");
    await expectProblem(as(a).complete(item.id), 409, "conflict");
    await expectProblem(as(a).fail(item.id, "x"), 409, "conflict");

    // A lease of one second, really waited for.
    await sleep(1_100);
    const third = await as(a).claim(queue.id);
    expect(third).toMatchObject({ id: item.id, agentId: a.id, attempts: 3 });
    // The last attempt expires: it is dead, not handed out a fourth time.
    await api.db.repo(queueItems).update(item.id, { leaseExpiresAt: new Date(Date.now() - 1) });
    expect(await as(b).claim(queue.id)).toBeUndefined();
    expect(await api.db.repo(queueItems).get(item.id)).toMatchObject({ status: "dead", attempts: 3 });
    // The feed says the system let A's item die, not that B, whose claim found it, did.
    const dead = (await api.db.repo(activities).list({ where: { teamId, verb: "dead" } })).data;
    expect(dead).toEqual([
      expect.objectContaining({
        actorType: "system",
        actorId: null,
        subjectId: item.id,
        data: { queueId: queue.id, agentId: a.id, attempts: 3 },
      }),
    ]);
    expect((await api.db.repo(agents).get(a.id)).status).toBe("idle");
  });

  it("lets only the claiming agent or a team admin heartbeat, complete or fail; members cancel", async () => {
    const { teamId, projectId } = await freshProject();
    const queue = await as(owner).create(projectId, { name: "q", maxParallel: 5 });
    const [bot, otherBot] = [await agentOf(teamId, "A"), await agentOf(teamId, "B")];
    const items = [];
    for (let i = 0; i < 4; i++) {
      const ticket = await ticketIn(projectId);
      items.push(await as(member).enqueue(queue.id, { ticketId: ticket.id }));
    }
    const [one, two, three, four] = items.map((i) => i.id) as [string, string, string, string];
    await expectProblem(as(bot).heartbeat(one), 409, "conflict"); // not in progress yet
    await as(bot).claim(queue.id);
    await as(bot).claim(queue.id);
    await as(bot).claim(queue.id);
    for (const p of [member, viewer]) {
      await expectProblem(as(p).heartbeat(one), 403, "forbidden");
      await expectProblem(as(p).complete(one), 403, "forbidden");
      await expectProblem(as(p).fail(one, "no"), 403, "forbidden");
    }
    await expectProblem(as(outsider).heartbeat(one), 404, "not_found");
    await expectProblem(as(outsider).complete(one), 404, "not_found");
    await expectProblem(as(otherBot).complete(one), 409, "conflict");
    await expectProblem(as(bot).heartbeat("not-an-id"), 400, "validation_failed");
    await expectProblem(as(bot).heartbeat("01a1fd6d-0000-7000-8000-000000000000"), 404, "not_found");

    expect((await as(admin).heartbeat(one)).status).toBe("in_progress");
    expect((await as(admin).complete(one, { result: { ok: true } })).result).toEqual({ ok: true });
    expect((await as(bot).complete(two, { result: "done" })).status).toBe("completed");
    await expectProblem(as(bot).complete(two), 409, "conflict");

    await expectProblem(as(viewer).cancel(three), 403, "forbidden");
    expect((await as(member).cancel(three)).status).toBe("cancelled");
    expect((await as(bot).cancel(four)).status).toBe("cancelled");
    await expectProblem(as(member).cancel(four), 409, "conflict");
    await expectProblem(as(bot).heartbeat(three), 409, "conflict");
    expect((await actions(teamId)).filter((a) => a.startsWith("queue_item.")).sort()).toEqual(
      [
        ...Array(4).fill("queue_item.enqueued"),
        ...Array(3).fill("queue_item.claimed"),
        "queue_item.completed",
        "queue_item.completed",
        "queue_item.cancelled",
        "queue_item.cancelled",
      ].sort(),
    );
  });

  it("completes: closes the ticket or completes the task and records costs, all or nothing", async () => {
    const { teamId, projectId } = await freshProject();
    const other = await freshProject();
    const foreignBot = await agentOf(other.teamId);
    const queue = await as(owner).create(projectId, { name: "q", maxParallel: 2 });
    const bot = await agentOf(teamId);
    const otherBot = await agentOf(teamId, "Other");
    const ticket = await ticketIn(projectId);
    const task = await api.db.repo(tasks).create({ ticketId: ticket.id, content: "step" });
    const ticketItem = await as(member).enqueue(queue.id, { ticketId: ticket.id, priority: 1 });
    const taskItem = await as(member).enqueue(queue.id, { taskId: task.id, priority: 2 });
    await as(bot).claim(queue.id);
    await as(bot).claim(queue.id);

    const cost: CostBody = {
      provider: "openai",
      model: "gpt",
      inputTokens: 100,
      outputTokens: 20,
      amountMicros: 1_500,
    };
    const snapshot = async () => ({
      ticket: (await api.db.repo(tickets).get(ticket.id)).status,
      item: (await api.db.repo(queueItems).get(ticketItem.id)).status,
      costs: await api.db.repo(costs).count({ projectId }),
      audit: (await actions(teamId)).length,
    });
    const before = await snapshot();
    // A bad entry (schema or reference) changes nothing at all.
    await expectProblem(
      as(bot).complete(ticketItem.id, { costs: [cost, { ...cost, amountMicros: -1 }] }),
      400,
      "validation_failed",
    );
    await expectProblem(
      as(bot).complete(ticketItem.id, { costs: [cost, { ...cost, agentId: foreignBot.id }] }),
      400,
      "validation_failed",
    );
    await expectProblem(
      as(bot).complete(ticketItem.id, { costs: [{ ...cost, queueItemId: taskItem.id }] }),
      400,
      "validation_failed",
    );
    // The item's costs are its agent's, whoever completes it: another agent of the team is refused.
    for (const p of [bot, admin]) {
      const { problem } = await expectProblem(
        as(p).complete(ticketItem.id, { costs: [cost, { ...cost, agentId: otherBot.id }] }),
        400,
        "validation_failed",
      );
      expect(problem.errors?.map((e) => e.path)).toEqual(["body.costs.1.agentId"]);
    }
    expect(await snapshot()).toEqual(before);
    expect(before).toMatchObject({ ticket: "open", item: "in_progress", costs: 0 });

    const done = await as(bot).complete(ticketItem.id, {
      result: { summary: "fixed" },
      costs: [cost, { ...cost, agentId: bot.id }],
    });
    expect(done).toMatchObject({ status: "completed", result: { summary: "fixed" }, leaseExpiresAt: null });
    expect(done.completedAt).toBeTruthy();
    expect((await api.db.repo(tickets).get(ticket.id)).status).toBe("closed");
    const recorded = (await api.db.repo(costs).list({ where: { projectId }, limit: 10 })).data;
    expect(recorded).toHaveLength(2);
    for (const row of recorded)
      expect(row).toMatchObject({ queueItemId: ticketItem.id, agentId: bot.id, amountMicros: 1_500 });

    await as(bot).complete(taskItem.id);
    expect(await api.db.repo(tasks).get(task.id)).toMatchObject({ status: "completed", done: true });
    expect(await verbs(teamId)).toEqual(["claimed", "claimed", "completed", "completed"]);
    expect(await actions(teamId)).toEqual(
      expect.arrayContaining(["queue_item.completed", "ticket.updated", "task.updated", "costs.recorded"]),
    );
  });

  it("re-queues a failed item until maxAttempts, then marks it dead", async () => {
    const { teamId, projectId } = await freshProject();
    const queue = await as(owner).create(projectId, { name: "q", maxAttempts: 2 });
    const bot = await agentOf(teamId);
    const ticket = await ticketIn(projectId);
    const item = await as(member).enqueue(queue.id, { ticketId: ticket.id });
    await as(bot).claim(queue.id);
    await expectProblem(as(bot).fail(item.id, ""), 400, "validation_failed");
    const retried = await as(bot).fail(item.id, "flaky");
    expect(retried).toMatchObject({
      status: "queued",
      agentId: null,
      leaseExpiresAt: null,
      error: "flaky",
      attempts: 1,
    });
    expect(await as(bot).claim(queue.id)).toMatchObject({ id: item.id, attempts: 2 });
    const dead = await as(bot).fail(item.id, "broken");
    expect(dead).toMatchObject({ status: "dead", error: "broken", attempts: 2 });
    expect(await as(bot).claim(queue.id)).toBeUndefined();
    expect((await api.db.repo(tickets).get(ticket.id)).status).toBe("open");
    expect(await verbs(teamId)).toEqual(["claimed", "claimed", "dead"]);
    // Dead is not live: the ticket may be queued again.
    expect((await as(member).enqueue(queue.id, { ticketId: ticket.id })).status).toBe("queued");
  });

  it("reports counts by status, mean processing time and throughput", async () => {
    const { teamId, projectId } = await freshProject();
    const queue = await as(owner).create(projectId, { name: "q", maxParallel: 10, maxAttempts: 1 });
    const bot = await agentOf(teamId);
    for (let i = 0; i < 5; i++) await as(member).enqueue(queue.id, { ticketId: (await ticketIn(projectId)).id });
    const empty = await as(viewer).stats(queue.id);
    expect(empty).toEqual({
      queueId: queue.id,
      counts: { queued: 5, in_progress: 0, completed: 0, failed: 0, cancelled: 0, dead: 0 },
      meanProcessingMs: null,
      throughput: { lastHour: 0, last24Hours: 0 },
    });
    const claimed = [];
    for (let i = 0; i < 4; i++) claimed.push(await as(bot).claim(queue.id));
    const [a, b, c] = claimed.map((item) => item?.id as string);
    await as(bot).complete(a as string);
    await as(bot).complete(b as string);
    await as(bot).fail(c as string, "no");
    // One completed two hours ago, taking exactly 1.5 s.
    const old = (await api.db.repo(queueItems).list({ where: { queueId: queue.id, status: "queued" } })).data[0];
    const twoHoursAgo = Date.now() - 2 * 3_600_000;
    await api.db.repo(queueItems).update(old?.id as string, {
      status: "completed",
      startedAt: new Date(twoHoursAgo - 1_500),
      completedAt: new Date(twoHoursAgo),
    });
    const stats = await as(viewer).stats(queue.id);
    expect(stats.counts).toEqual({ queued: 0, in_progress: 1, completed: 3, failed: 0, cancelled: 0, dead: 1 });
    expect(stats.throughput).toEqual({ lastHour: 2, last24Hours: 3 });
    expect(stats.meanProcessingMs).toBeGreaterThanOrEqual(500);
    expect(stats.meanProcessingMs).toBeLessThan(1_500);
    await expectProblem(as(outsider).stats(queue.id), 404, "not_found");
  });

  it("deleting a team's queue cascades to its items", async () => {
    const { teamId, projectId } = await freshProject();
    const queue = await as(owner).create(projectId, { name: "q" });
    await as(member).enqueue(queue.id, { ticketId: (await ticketIn(projectId)).id });
    await as(owner).delete(queue.id);
    expect(await api.db.repo(queueItems).count({ queueId: queue.id })).toBe(0);
    expect(await api.db.repo(teams).exists(teamId)).toBe(true);
  });
});
