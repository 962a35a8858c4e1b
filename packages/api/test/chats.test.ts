import { type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { agents, auditLogs, chatMessages, tickets } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type Person, startTestApi, type TestApi } from "./harness.js";

type Role = "user" | "assistant" | "system" | "tool";
type MessageBody = {
  role: Role;
  content: string;
  metadata?: Record<string, unknown>;
  inputTokens?: number;
  outputTokens?: number;
};
type ListQuery = { limit?: string; cursor?: string; count?: "true"; sort?: string };

describe.each(testDialects())("chats over HTTP on $name", (dialect) => {
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

  const as = (p: { client: Client }) => {
    const v1 = p.client.api.v1;
    return {
      chats: (projectId: string, query: ListQuery = {}) =>
        unwrap(v1.projects[":id"].chats.$get({ param: { id: projectId }, query })),
      create: (projectId: string, json: { title: string; ticketId?: string | null }) =>
        unwrap(v1.projects[":id"].chats.$post({ param: { id: projectId }, json })),
      get: (id: string) => unwrap(v1.chats[":id"].$get({ param: { id } })),
      patch: (id: string, json: { title?: string; ticketId?: string | null }) =>
        unwrap(v1.chats[":id"].$patch({ param: { id }, json })),
      delete: (id: string) => unwrap(v1.chats[":id"].$delete({ param: { id } })),
      messages: (id: string, query: ListQuery = {}) => unwrap(v1.chats[":id"].messages.$get({ param: { id }, query })),
      say: (id: string, json: MessageBody) => unwrap(v1.chats[":id"].messages.$post({ param: { id }, json })),
    };
  };

  const freshProject = () =>
    api.teamProject(owner, [
      [member, "member"],
      [viewer, "viewer"],
    ]);

  const ticketIn = async (projectId: string, number: number) =>
    (await api.db.repo(tickets).create({ projectId, number, title: `Ticket ${number}`, createdByUserId: owner.id })).id;

  const actions = async (teamId: string) =>
    (await api.db.repo(auditLogs).list({ where: { teamId }, sort: "createdAt", limit: 1000 })).data
      .map((row) => row.action)
      .filter((a) => a.startsWith("chat."));

  it("creates, reads, renames, links, unlinks and deletes a chat, with audit rows", async () => {
    const { teamId, projectId } = await freshProject();
    const ticketId = await ticketIn(projectId, 1);
    const res = await member.client.api.v1.projects[":id"].chats.$post({
      param: { id: projectId },
      json: { title: "  Planning ", ticketId },
    });
    expect(res.status).toBe(201);
    const chat = await res.json();
    expect(chat).toMatchObject({ projectId, title: "Planning", ticketId });

    const m = as(member);
    expect(await as(viewer).get(chat.id)).toEqual(chat);
    const other = await m.create(projectId, { title: "Later" });
    expect(other.ticketId).toBeNull();
    expect((await as(viewer).chats(projectId)).data.map((c) => c.title)).toEqual(["Later", "Planning"]);
    expect((await m.chats(projectId, { sort: "title", count: "true" })).total).toBe(2);

    expect(await m.patch(chat.id, { title: "Roadmap" })).toMatchObject({ title: "Roadmap", ticketId });
    // An unchanged patch records nothing.
    await m.patch(chat.id, { title: "Roadmap" });
    expect(await m.patch(chat.id, { ticketId: null })).toMatchObject({ ticketId: null });
    await m.say(chat.id, { role: "user", content: "hello" });
    expect(await m.delete(chat.id)).toBeUndefined();
    await expectProblem(m.get(chat.id), 404, "not_found");
    await expectProblem(m.messages(chat.id), 404, "not_found");
    expect(await api.db.repo(chatMessages).count({ chatId: chat.id })).toBe(0);
    expect(await actions(teamId)).toEqual([
      "chat.created",
      "chat.created",
      "chat.updated",
      "chat.updated",
      "chat.deleted",
    ]);
  });

  it("links only tickets of the chat's own project", async () => {
    const { projectId } = await freshProject();
    const other = await freshProject();
    const foreignTicket = await ticketIn(other.projectId, 1);
    const m = as(member);
    const refused = await expectProblem(
      m.create(projectId, { title: "X", ticketId: foreignTicket }),
      400,
      "validation_failed",
    );
    expect(refused.problem.errors?.map((e) => e.path)).toEqual(["body.ticketId"]);
    const chat = await m.create(projectId, { title: "X" });
    await expectProblem(m.patch(chat.id, { ticketId: foreignTicket }), 400, "validation_failed");
    await expectProblem(m.create(projectId, { title: "  " }), 400, "validation_failed");
  });

  it("keeps messages oldest first and pages them with a cursor", async () => {
    const { teamId, projectId } = await freshProject();
    const chat = await as(owner).create(projectId, { title: "Talk" });
    const agent = await api.db.repo(agents).create({ teamId, name: "Bot", provider: "test", model: "m" });
    const { token } = await api.server.auth.createApiToken(
      { db: api.db, principal: { kind: "user", userId: owner.id } },
      { name: "bot" },
      { agentId: agent.id },
    );
    const bot = as({ client: api.client(token) });
    const m = as(member);
    const sent = [];
    for (let i = 0; i < 7; i++) {
      const say = i % 2 === 0 ? m : bot;
      sent.push(
        await say.say(chat.id, {
          role: i % 2 === 0 ? "user" : "assistant",
          content: `message ${i}`,
          ...(i % 2 === 1 ? { metadata: { model: "m" }, inputTokens: 10 * i, outputTokens: i } : {}),
        }),
      );
    }
    expect(sent[1]).toMatchObject({ chatId: chat.id, role: "assistant", metadata: { model: "m" }, inputTokens: 10 });
    expect(sent[0]).toMatchObject({ role: "user", metadata: {}, inputTokens: 0, outputTokens: 0 });

    const all = await as(viewer).messages(chat.id, { count: "true" });
    expect(all.total).toBe(7);
    expect(all.data.map((x) => x.content)).toEqual(sent.map((x) => x.content));
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await m.messages(chat.id, { limit: "3", ...(cursor ? { cursor } : {}) });
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(sent.map((x) => x.id));
    expect((await m.messages(chat.id, { sort: "-createdAt", limit: "1" })).data[0]?.id).toBe(sent[6]?.id);

    for (const body of [
      { role: "robot" as Role, content: "x" },
      { role: "user" as Role, content: "" },
      { role: "user" as Role, content: "x", inputTokens: -1 },
      { role: "user" as Role, content: "x", outputTokens: 1.5 },
    ]) {
      await expectProblem(m.say(chat.id, body), 400, "validation_failed");
    }
    await expectProblem(m.messages(chat.id, { sort: "role" }), 400, "validation_failed");
    // Messages carry no audit rows of their own.
    const audit = await api.db.repo(auditLogs).list({ where: { entityId: chat.id }, limit: 100 });
    expect(audit.data.map((r) => r.action)).toEqual(["chat.created"]);
  });

  it("lets viewers read but not write, and hides chats from other teams", async () => {
    const { projectId } = await freshProject();
    const chat = await as(member).create(projectId, { title: "Private" });
    await as(member).say(chat.id, { role: "user", content: "secret" });
    const v = as(viewer);
    expect((await v.messages(chat.id)).data).toHaveLength(1);
    await expectProblem(v.create(projectId, { title: "No" }), 403, "forbidden");
    await expectProblem(v.patch(chat.id, { title: "No" }), 403, "forbidden");
    await expectProblem(v.delete(chat.id), 403, "forbidden");
    await expectProblem(v.say(chat.id, { role: "user", content: "no" }), 403, "forbidden");

    const o = as(outsider);
    await expectProblem(o.chats(projectId), 404, "not_found");
    await expectProblem(o.create(projectId, { title: "No" }), 404, "not_found");
    await expectProblem(o.get(chat.id), 404, "not_found");
    await expectProblem(o.patch(chat.id, { title: "No" }), 404, "not_found");
    await expectProblem(o.delete(chat.id), 404, "not_found");
    await expectProblem(o.messages(chat.id), 404, "not_found");
    await expectProblem(o.say(chat.id, { role: "user", content: "no" }), 404, "not_found");
    expect((await as(member).get(chat.id)).title).toBe("Private");
  });
});
