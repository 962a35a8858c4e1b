import { type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { agents, auditLogs, projectCollaborators, projects } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type Person, startTestApi, type TestApi } from "./harness.js";

type ActivityBody = { verb: string; subjectType: string; subjectId?: string | null; data?: Record<string, unknown> };
type ListQuery = { verb?: string; limit?: string; cursor?: string; count?: "true"; sort?: string };

describe.each(testDialects())("activities over HTTP on $name", (dialect) => {
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
      feed: (projectId: string, query: ListQuery = {}) =>
        unwrap(v1.projects[":id"].activities.$get({ param: { id: projectId }, query })),
      post: (projectId: string, json: ActivityBody) =>
        unwrap(v1.projects[":id"].activities.$post({ param: { id: projectId }, json })),
      mine: (query: { verb?: string; limit?: string; cursor?: string } = {}) =>
        unwrap(v1.me.activities.$get({ query })),
    };
  };

  /** A team owned by `by` with member and viewer, and a project in it (made directly: not our routes). */
  const freshProject = (by: Person = owner) =>
    api.teamProject(
      by,
      by === owner
        ? [
            [member, "member"],
            [viewer, "viewer"],
          ]
        : [],
    );

  const agentOf = async (teamId: string, by: Person = owner) => {
    const agent = await api.db.repo(agents).create({ teamId, name: "Bot", provider: "test", model: "test-1" });
    const { token } = await api.server.auth.createApiToken(
      { db: api.db, principal: { kind: "user", userId: by.id } },
      { name: "bot" },
      { agentId: agent.id },
    );
    return { id: agent.id, client: api.client(token) };
  };

  it("posts custom entries as the caller and lists the project feed newest first, by verb and by cursor", async () => {
    const { teamId, projectId } = await freshProject();
    const bot = await agentOf(teamId);
    const m = as(member);
    const res = await member.client.api.v1.projects[":id"].activities.$post({
      param: { id: projectId },
      json: { verb: " deployed ", subjectType: "release", subjectId: "v1.2", data: { env: "staging" } },
    });
    expect(res.status).toBe(201);
    const first = await res.json();
    expect(first).toMatchObject({
      teamId,
      projectId,
      actorType: "user",
      actorId: member.id,
      verb: "deployed",
      subjectType: "release",
      subjectId: "v1.2",
      data: { env: "staging" },
    });
    const progress = await as(bot).post(projectId, { verb: "progressed", subjectType: "ticket", data: { pct: 50 } });
    expect(progress).toMatchObject({ actorType: "agent", actorId: bot.id, subjectId: null, data: { pct: 50 } });
    for (let i = 0; i < 3; i++) await m.post(projectId, { verb: "noted", subjectType: "note", data: { i } });

    const all = await as(viewer).feed(projectId, { count: "true" });
    expect(all.total).toBe(5);
    expect(all.data.map((a) => a.verb)).toEqual(["noted", "noted", "noted", "progressed", "deployed"]);
    expect((await m.feed(projectId, { verb: "noted" })).data.map((a) => a.data)).toEqual([
      { i: 2 },
      { i: 1 },
      { i: 0 },
    ]);

    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await m.feed(projectId, { limit: "2", ...(cursor ? { cursor } : {}) });
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.data.map((a) => a.id));

    // Feed entries are their own record: no audit rows.
    const audit = await api.db.repo(auditLogs).list({ where: { teamId }, limit: 100 });
    expect(audit.data.map((r) => r.action)).not.toContain("activity.created");
  });

  it("lets viewers read but not post, refuses bad input, and hides other teams' projects", async () => {
    const { projectId } = await freshProject();
    await expectProblem(as(viewer).post(projectId, { verb: "x", subjectType: "y" }), 403, "forbidden");
    expect((await as(viewer).feed(projectId)).data).toEqual([]);
    await expectProblem(as(outsider).feed(projectId), 404, "not_found");
    await expectProblem(as(outsider).post(projectId, { verb: "x", subjectType: "y" }), 404, "not_found");
    const stranger = await agentOf((await freshProject(outsider)).teamId, outsider);
    await expectProblem(as(stranger).feed(projectId), 404, "not_found");
    await expectProblem(as(stranger).post(projectId, { verb: "x", subjectType: "y" }), 404, "not_found");

    const m = as(member);
    await expectProblem(m.post(projectId, { verb: " ", subjectType: "y" }), 400, "validation_failed");
    await expectProblem(m.post(projectId, { verb: "x", subjectType: "" }), 400, "validation_failed");
    await expectProblem(
      m.post(projectId, { verb: "x", subjectType: "y", extra: 1 } as ActivityBody),
      400,
      "validation_failed",
    );
    await expectProblem(m.feed(projectId, { sort: "verb" }), 400, "validation_failed");
    await expectProblem(m.feed(projectId, { cursor: "nonsense" }), 400, "validation_failed");
  });

  it("shows each caller only the feeds they may see on /me/activities", async () => {
    const ours = await freshProject();
    const theirs = await freshProject(outsider);
    const shared = await freshProject(outsider);
    await as(member).post(ours.projectId, { verb: "ours", subjectType: "note" });
    await as(outsider).post(theirs.projectId, { verb: "theirs", subjectType: "note" });
    await as(outsider).post(shared.projectId, { verb: "shared", subjectType: "note" });

    const verbsOf = async (p: { client: Client }, query: { verb?: string; limit?: string } = {}) =>
      (await as(p).mine(query)).data.map((a) => `${a.verb}:${a.projectId ?? a.teamId}`);
    // Team-level entries (members added) are part of the team's feed.
    expect(await verbsOf(viewer)).toEqual(expect.arrayContaining([`ours:${ours.projectId}`, `added:${ours.teamId}`]));
    for (const p of [owner, member, viewer]) {
      const mine = await as(p).mine();
      expect(mine.data.every((a) => a.teamId !== theirs.teamId && a.teamId !== shared.teamId)).toBe(true);
    }
    expect(await verbsOf(outsider, { verb: "ours" })).toEqual([]);
    expect(await verbsOf(outsider, { verb: "theirs" })).toEqual([`theirs:${theirs.projectId}`]);

    // A collaborator sees the project's feed, not the rest of its team.
    await api.db.repo(projectCollaborators).create({ projectId: shared.projectId, userId: viewer.id, role: "viewer" });
    const seen = await verbsOf(viewer);
    expect(seen).toContain(`shared:${shared.projectId}`);
    expect(seen).not.toContain(`theirs:${theirs.projectId}`);
    expect(seen[0]).toBe(`shared:${shared.projectId}`);

    // An agent sees its own team's feed.
    const bot = await agentOf(ours.teamId);
    expect(await verbsOf(bot, { verb: "ours" })).toEqual([`ours:${ours.projectId}`]);
    expect(await verbsOf(bot, { verb: "theirs" })).toEqual([]);
  });

  it("hides a soft-deleted project's entries from /me/activities until it is restored", async () => {
    const { teamId, projectId } = await freshProject();
    const kept = await api.db.repo(projects).create({ teamId, name: "Kept" });
    await as(member).post(projectId, { verb: "gone-soon", subjectType: "note" });
    await as(member).post(kept.id, { verb: "stays", subjectType: "note" });
    const verbs = async (p: { client: Client }) =>
      (await as(p).mine({ limit: "200" })).data.filter((a) => a.teamId === teamId).map((a) => a.verb);
    expect(await verbs(member)).toEqual(expect.arrayContaining(["gone-soon", "stays", "added"]));

    const projectsApi = owner.client.api.v1.projects[":id"];
    await unwrap(projectsApi.$delete({ param: { id: projectId } }));
    const bot = await agentOf(teamId);
    for (const p of [owner, member, viewer, bot]) {
      const seen = await verbs(p);
      expect(seen).not.toContain("gone-soon");
      expect(seen).toEqual(expect.arrayContaining(["stays"]));
    }
    // Team-level entries (the members added) stay in the team's feed.
    expect(await verbs(viewer)).toContain("added");

    await unwrap(projectsApi.restore.$post({ param: { id: projectId } }));
    expect(await verbs(member)).toContain("gone-soon");
  });

  it("pages /me/activities newest first across teams and collaborations", async () => {
    const alice = await api.person("Alice");
    const a = await freshProject(alice);
    const b = await freshProject(alice);
    const foreign = await freshProject(outsider);
    await api.db.repo(projectCollaborators).create({ projectId: foreign.projectId, userId: alice.id, role: "editor" });
    const posted: string[] = [];
    for (let i = 0; i < 7; i++) {
      const projectId = [a.projectId, b.projectId, foreign.projectId][i % 3] as string;
      posted.push((await as(alice).post(projectId, { verb: "step", subjectType: "note", data: { i } })).id);
    }
    const all = await as(alice).mine({ verb: "step" });
    expect(all.data.map((x) => x.id)).toEqual([...posted].reverse());
    expect(all.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await as(alice).mine({ verb: "step", limit: "3", ...(cursor ? { cursor } : {}) });
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...posted].reverse());

    await expectProblem(as(alice).mine({ cursor: "garbage" }), 400, "validation_failed");
    await expectProblem(as(alice).mine({ limit: "0" }), 400, "validation_failed");
    // Digits only: what Number() would also read is refused, not taken as another number.
    for (const limit of ["0x10", "1e1", " 5", "5.0", "+5", ""]) {
      await expectProblem(as(alice).mine({ limit }), 400, "validation_failed");
    }
    expect((await as(alice).mine({ verb: "step", limit: "02" })).data).toHaveLength(2);
    const newcomer = await api.person("Newcomer");
    expect((await as(newcomer).mine()).data).toEqual([]);
  });
});
