import { type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { activities, apiTokens, auditLogs, costs, projects, queueItems, queues, tickets } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type Person, startTestApi, type TestApi } from "./harness.js";

let slugs = 0;
const slug = () => `agents-${process.pid}-${++slugs}`;

describe.each(testDialects())("agents over HTTP on $name", (dialect) => {
  let api: TestApi;
  let owner: Person;
  let admin: Person;
  let member: Person;
  let viewer: Person;
  let outsider: Person;

  beforeAll(async () => {
    api = await startTestApi(dialect);
    [owner, admin, member, viewer, outsider] = (await Promise.all(
      ["Owner", "Admin", "Member", "Viewer", "Outsider"].map((name) => api.person(name)),
    )) as [Person, Person, Person, Person, Person];
  });
  afterAll(() => api?.close());

  const freshTeam = async () => {
    const team = await unwrap(owner.client.api.v1.teams.$post({ json: { name: "Team", slug: slug() } }));
    const members = owner.client.api.v1.teams[":teamId"].members;
    for (const [p, role] of [
      [admin, "admin"],
      [member, "member"],
      [viewer, "viewer"],
    ] as const) {
      await unwrap(members.$post({ param: { teamId: team.id }, json: { userId: p.id, role } }));
    }
    return team;
  };

  const agentsApi = (client: Client) => ({
    list: (
      teamId: string,
      query: { status?: "idle" | "busy" | "offline" | "error"; limit?: string; cursor?: string } = {},
    ) => unwrap(client.api.v1.teams[":teamId"].agents.$get({ param: { teamId }, query })),
    create: (
      teamId: string,
      json: { name: string; provider: string; model: string; config?: Record<string, unknown> },
    ) => unwrap(client.api.v1.teams[":teamId"].agents.$post({ param: { teamId }, json })),
    get: (id: string) => unwrap(client.api.v1.agents[":id"].$get({ param: { id } })),
    patch: (id: string, json: { name?: string; model?: string; status?: "idle" | "busy" | "offline" | "error" }) =>
      unwrap(client.api.v1.agents[":id"].$patch({ param: { id }, json })),
    delete: (id: string) => unwrap(client.api.v1.agents[":id"].$delete({ param: { id } })),
    token: (id: string, json: { name: string; expiresAt?: string }) =>
      unwrap(client.api.v1.agents[":id"].tokens.$post({ param: { id }, json })),
    tokens: (id: string) => unwrap(client.api.v1.agents[":id"].tokens.$get({ param: { id } })),
    revoke: (id: string, tokenId: string) =>
      unwrap(client.api.v1.agents[":id"].tokens[":tokenId"].$delete({ param: { id, tokenId } })),
  });

  it("creates, lists, reads, changes and deletes agents, with audit rows and an activity", async () => {
    const team = await freshTeam();
    const as = agentsApi(admin.client);
    const res = await admin.client.api.v1.teams[":teamId"].agents.$post({
      param: { teamId: team.id },
      json: { name: " Builder ", provider: "anthropic", model: "claude", config: { temperature: 0.2 } },
    });
    expect(res.status).toBe(201);
    const agent = await res.json();
    expect(agent).toMatchObject({
      teamId: team.id,
      name: "Builder",
      provider: "anthropic",
      model: "claude",
      config: { temperature: 0.2 },
      status: "idle",
      lastSeenAt: null,
    });
    const second = await as.create(team.id, { name: "Reviewer", provider: "openai", model: "gpt" });
    expect(second.config).toEqual({});

    const page = await agentsApi(viewer.client).list(team.id);
    expect(page.data.map((a) => a.name)).toEqual(["Builder", "Reviewer"]);
    expect((await agentsApi(viewer.client).get(agent.id)).id).toBe(agent.id);

    const changed = await as.patch(agent.id, { status: "busy", model: "claude-2" });
    expect(changed).toMatchObject({ status: "busy", model: "claude-2", name: "Builder" });
    expect((await as.list(team.id, { status: "busy" })).data.map((a) => a.id)).toEqual([agent.id]);
    await expectProblem(as.patch(agent.id, { status: "asleep" as "idle" }), 400, "validation_failed");
    await expectProblem(as.create(team.id, { name: " ", provider: "x", model: "y" }), 400, "validation_failed");

    // Its costs outlive it, without it.
    const project = await api.db.repo(projects).create({ teamId: team.id, name: "P" });
    const cost = await api.db
      .repo(costs)
      .create({ projectId: project.id, agentId: agent.id, provider: "anthropic", model: "claude", amountMicros: 5 });
    await as.token(agent.id, { name: "ci" });
    expect(await as.delete(agent.id)).toBeUndefined();
    await expectProblem(as.get(agent.id), 404, "not_found");
    expect(await api.db.repo(apiTokens).count({ agentId: agent.id })).toBe(0);
    expect((await api.db.repo(costs).get(cost.id)).agentId).toBeNull();

    const audit = await api.db.repo(auditLogs).list({ where: { teamId: team.id, entity: "agent" }, sort: "createdAt" });
    expect(audit.data.map((row) => row.action)).toEqual([
      "agent.created",
      "agent.created",
      "agent.updated",
      "agent.token_created",
      "agent.deleted",
    ]);
    expect(audit.data[2]?.changes).toEqual({
      before: { status: "idle", model: "claude" },
      after: { status: "busy", model: "claude-2" },
    });
    expect(JSON.stringify(audit.data)).not.toContain("gwt_");
    expect(await api.db.repo(activities).count({ teamId: team.id, subjectType: "agent", verb: "created" })).toBe(2);
  });

  it("lets viewers and members read, and only admins and owners manage (403 otherwise)", async () => {
    const team = await freshTeam();
    const agent = await agentsApi(owner.client).create(team.id, { name: "Bot", provider: "p", model: "m" });
    for (const reader of [viewer, member]) {
      const r = agentsApi(reader.client);
      expect((await r.list(team.id)).data).toHaveLength(1);
      expect((await r.get(agent.id)).name).toBe("Bot");
      await expectProblem(r.create(team.id, { name: "Mine", provider: "p", model: "m" }), 403, "forbidden");
      await expectProblem(r.patch(agent.id, { name: "Mine" }), 403, "forbidden");
      await expectProblem(r.delete(agent.id), 403, "forbidden");
      await expectProblem(r.token(agent.id, { name: "t" }), 403, "forbidden");
    }
    expect((await agentsApi(admin.client).patch(agent.id, { name: "Renamed" })).name).toBe("Renamed");
  });

  it("issues agent tokens shown once, with which the agent reads itself and sets only its status", async () => {
    const team = await freshTeam();
    const as = agentsApi(admin.client);
    const agent = await as.create(team.id, { name: "Bot", provider: "p", model: "m" });
    const other = await as.create(team.id, { name: "Other", provider: "p", model: "m" });
    const res = await admin.client.api.v1.agents[":id"].tokens.$post({ param: { id: agent.id }, json: { name: "ci" } });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({
      id: expect.any(String),
      name: "ci",
      token: expect.stringMatching(/^gwt_/),
      expiresAt: null,
    });
    await expectProblem(
      as.token(agent.id, { name: "old", expiresAt: "2000-01-01T00:00:00Z" }),
      400,
      "validation_failed",
    );

    const bot = agentsApi(api.client(created.token));
    const self = await api.client(created.token).api.v1.agents[":id"].$get({ param: { id: agent.id } });
    expect(self.status).toBe(200);
    expect((await self.json()).id).toBe(agent.id);
    expect((await bot.list(team.id)).data).toHaveLength(2);

    const beat = await bot.patch(agent.id, { status: "busy" });
    expect(beat.status).toBe("busy");
    expect(beat.lastSeenAt).toEqual(expect.any(String));
    await expectProblem(bot.patch(agent.id, { name: "Boss" }), 403, "forbidden");
    await expectProblem(bot.patch(other.id, { status: "busy" }), 403, "forbidden");
    await expectProblem(bot.create(team.id, { name: "Clone", provider: "p", model: "m" }), 403, "forbidden");
    await expectProblem(bot.token(agent.id, { name: "more" }), 403, "forbidden");
    await expectProblem(bot.delete(other.id), 403, "forbidden");

    // Admins see the agent's tokens, never their secrets, and revoking one ends it at once.
    const second = await as.token(agent.id, { name: "spare" });
    const listed = (await as.tokens(agent.id)).data;
    expect(listed.map((t) => t.name)).toEqual(["spare", "ci"]);
    expect(JSON.stringify(listed)).not.toMatch(/gwt_|tokenHash/);
    for (const p of [member, viewer]) {
      await expectProblem(agentsApi(p.client).tokens(agent.id), 403, "forbidden");
      await expectProblem(agentsApi(p.client).revoke(agent.id, second.id), 403, "forbidden");
    }
    await expectProblem(bot.revoke(agent.id, second.id), 403, "forbidden");
    await expectProblem(as.revoke(other.id, second.id), 404, "not_found");
    await as.revoke(agent.id, second.id);
    await expectProblem(agentsApi(api.client(second.token)).list(team.id), 401, "unauthenticated");
    await expectProblem(as.revoke(agent.id, second.id), 404, "not_found");
    expect((await as.tokens(agent.id)).data.find((t) => t.id === second.id)?.revokedAt).toEqual(expect.any(String));
    expect((await bot.list(team.id)).data).toHaveLength(2);
    const audit = await api.db.repo(auditLogs).list({ where: { entityId: agent.id, action: "agent.token_revoked" } });
    expect(audit.data).toHaveLength(1);

    // Deleting the agent ends its token at once.
    await as.delete(agent.id);
    await expectProblem(bot.list(team.id), 401, "unauthenticated");
  });

  it("puts the items a deleted agent held back in their queues, and lets a last attempt die", async () => {
    const team = await freshTeam();
    const project = await api.db.repo(projects).create({ teamId: team.id, name: "P" });
    const queue = await api.db.repo(queues).create({ projectId: project.id, name: "q", maxAttempts: 2 });
    const last = await api.db.repo(queues).create({ projectId: project.id, name: "last", maxAttempts: 1 });
    const itemIn = async (queueId: string, number: number) => {
      const ticket = await api.db.repo(tickets).create({ projectId: project.id, number, title: "T" });
      return api.db.repo(queueItems).create({ queueId, ticketId: ticket.id });
    };
    const [item, final, done] = [await itemIn(queue.id, 1), await itemIn(last.id, 2), await itemIn(queue.id, 3)];
    const [bot, heir] = [await api.agent(team.id, "Doomed"), await api.agent(team.id, "Heir")];
    const claim = (client: Client, id: string) =>
      unwrap(client.api.v1.queues[":id"].claim.$post({ param: { id }, json: {} }));
    expect(await claim(bot.client, queue.id)).toMatchObject({ id: item.id, attempts: 1 });
    expect(await claim(bot.client, last.id)).toMatchObject({ id: final.id, attempts: 1 });
    await api.db.repo(queueItems).update(done.id, { status: "completed", agentId: bot.id });
    expect(await claim(heir.client, queue.id)).toBeUndefined(); // at maxParallel

    // Refused, it changes nothing.
    await expectProblem(agentsApi(member.client).delete(bot.id), 403, "forbidden");
    expect(await api.db.repo(queueItems).get(item.id)).toMatchObject({ status: "in_progress", agentId: bot.id });

    await agentsApi(admin.client).delete(bot.id);
    expect(await api.db.repo(queueItems).get(item.id)).toMatchObject({
      status: "queued",
      agentId: null,
      attempts: 1,
      leaseExpiresAt: null,
      error: "its agent was deleted",
    });
    expect(await api.db.repo(queueItems).get(final.id)).toMatchObject({
      status: "dead",
      attempts: 1,
      leaseExpiresAt: null,
    });
    expect(await api.db.repo(queueItems).get(done.id)).toMatchObject({ status: "completed", agentId: null });
    // Its slot is free at once, not when the lease would have run out.
    expect(await claim(heir.client, queue.id)).toMatchObject({ id: item.id, agentId: heir.id, attempts: 2 });

    const audit = await api.db.repo(auditLogs).list({ where: { teamId: team.id }, limit: 100 });
    const actions = audit.data.map((row) => `${row.action} ${row.entityId}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        `queue_item.released ${item.id}`,
        `queue_item.dead ${final.id}`,
        `agent.deleted ${bot.id}`,
      ]),
    );
    const dead = (await api.db.repo(activities).list({ where: { teamId: team.id, verb: "dead" } })).data;
    expect(dead).toEqual([
      expect.objectContaining({
        actorType: "system",
        subjectId: final.id,
        data: expect.objectContaining({ agentId: bot.id }),
      }),
    ]);
  });

  it("answers 404 to every agent route from another team's user or agent", async () => {
    const team = await freshTeam();
    const agent = await agentsApi(admin.client).create(team.id, { name: "Bot", provider: "p", model: "m" });
    const otherTeam = await unwrap(outsider.client.api.v1.teams.$post({ json: { name: "Other", slug: slug() } }));
    const otherAgent = await agentsApi(outsider.client).create(otherTeam.id, {
      name: "Spy",
      provider: "p",
      model: "m",
    });
    const { token } = await agentsApi(outsider.client).token(otherAgent.id, { name: "spy" });
    for (const client of [outsider.client, api.client(token)]) {
      const o = agentsApi(client);
      await expectProblem(o.list(team.id), 404, "not_found");
      await expectProblem(o.create(team.id, { name: "X", provider: "p", model: "m" }), 404, "not_found");
      await expectProblem(o.get(agent.id), 404, "not_found");
      await expectProblem(o.patch(agent.id, { name: "X" }), 404, "not_found");
      await expectProblem(o.patch(agent.id, { status: "busy" }), 404, "not_found");
      await expectProblem(o.delete(agent.id), 404, "not_found");
      await expectProblem(o.token(agent.id, { name: "x" }), 404, "not_found");
      await expectProblem(o.tokens(agent.id), 404, "not_found");
      await expectProblem(o.revoke(agent.id, otherAgent.id), 404, "not_found");
    }
    await expectProblem(agentsApi(admin.client).get(otherAgent.id), 404, "not_found");
    expect((await agentsApi(admin.client).get(agent.id)).name).toBe("Bot");
  });
});
