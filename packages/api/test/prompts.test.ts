import { type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { agents, auditLogs, projectCollaborators } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type Person, startTestApi, type TestApi } from "./harness.js";

type PromptBody = {
  title: string;
  content: string;
  description?: string | null;
  tags?: string[];
  projectId?: string | null;
};
type ListQuery = { limit?: string; cursor?: string; count?: "true"; sort?: string; tag?: string };

describe.each(testDialects())("prompts over HTTP on $name", (dialect) => {
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
      team: (teamId: string, query: ListQuery = {}) =>
        unwrap(v1.teams[":teamId"].prompts.$get({ param: { teamId }, query })),
      create: (teamId: string, json: PromptBody) =>
        unwrap(v1.teams[":teamId"].prompts.$post({ param: { teamId }, json })),
      project: (id: string, query: ListQuery = {}) => unwrap(v1.projects[":id"].prompts.$get({ param: { id }, query })),
      get: (id: string) => unwrap(v1.prompts[":id"].$get({ param: { id } })),
      patch: (id: string, json: Partial<PromptBody>) => unwrap(v1.prompts[":id"].$patch({ param: { id }, json })),
      delete: (id: string) => unwrap(v1.prompts[":id"].$delete({ param: { id } })),
    };
  };

  const freshTeam = () =>
    api.teamProject(owner, [
      [member, "member"],
      [viewer, "viewer"],
    ]);

  const actions = async (teamId: string) =>
    (await api.db.repo(auditLogs).list({ where: { teamId }, sort: "createdAt", limit: 1000 })).data
      .map((row) => row.action)
      .filter((a) => a.startsWith("prompt."));

  it("creates team and project prompts, lists, changes and deletes them, with audit rows", async () => {
    const { teamId, projectId } = await freshTeam();
    const res = await member.client.api.v1.teams[":teamId"].prompts.$post({
      param: { teamId },
      json: { title: " Reviewer ", content: "Review this diff.", tags: ["review"], description: "for PRs" },
    });
    expect(res.status).toBe(201);
    const teamWide = await res.json();
    expect(teamWide).toMatchObject({
      teamId,
      projectId: null,
      title: "Reviewer",
      content: "Review this diff.",
      tags: ["review"],
      description: "for PRs",
    });
    const m = as(member);
    const scoped = await m.create(teamId, { title: "Planner", content: "Plan the sprint.", projectId });
    expect(scoped).toMatchObject({ projectId, tags: [], description: null });

    const v = as(viewer);
    expect((await v.team(teamId)).data.map((p) => p.title)).toEqual(["Planner", "Reviewer"]);
    expect((await v.team(teamId, { sort: "title", count: "true" })).total).toBe(2);
    expect((await v.project(projectId)).data.map((p) => p.id)).toEqual([scoped.id]);
    expect(await v.get(teamWide.id)).toEqual(teamWide);

    const changed = await m.patch(teamWide.id, { content: "Review carefully.", tags: ["review", "strict"] });
    expect(changed).toMatchObject({ title: "Reviewer", content: "Review carefully.", tags: ["review", "strict"] });
    expect((await v.team(teamId, { tag: "strict" })).data.map((p) => p.id)).toEqual([teamWide.id]);
    expect((await v.team(teamId, { tag: "nothing" })).data).toEqual([]);
    await m.patch(teamWide.id, { content: "Review carefully." }); // unchanged: not audited
    expect(await m.patch(scoped.id, { projectId: null })).toMatchObject({ projectId: null });
    expect((await v.project(projectId)).data).toEqual([]);
    expect(await m.delete(teamWide.id)).toBeUndefined();
    await expectProblem(m.get(teamWide.id), 404, "not_found");
    expect(await actions(teamId)).toEqual([
      "prompt.created",
      "prompt.created",
      "prompt.updated",
      "prompt.updated",
      "prompt.deleted",
    ]);
    const [update] = (
      await api.db.repo(auditLogs).list({ where: { teamId, action: "prompt.updated" }, sort: "createdAt", limit: 1 })
    ).data;
    expect(update?.changes).toEqual({
      before: { content: "Review this diff.", tags: ["review"] },
      after: { content: "Review carefully.", tags: ["review", "strict"] },
    });
  });

  it("pages prompts with a cursor and lets agents write their team's prompts", async () => {
    const { teamId } = await freshTeam();
    const agent = await api.db.repo(agents).create({ teamId, name: "Bot", provider: "test", model: "m" });
    const { token } = await api.server.auth.createApiToken(
      { db: api.db, principal: { kind: "user", userId: owner.id } },
      { name: "bot" },
      { agentId: agent.id },
    );
    const bot = as({ client: api.client(token) });
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await bot.create(teamId, { title: `P${i}`, content: "c" }));
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await as(viewer).team(teamId, { limit: "2", sort: "title", ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((p) => p.title));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["P0", "P1", "P2", "P3", "P4"]);
    await expectProblem(as(viewer).team(teamId, { sort: "content" }), 400, "validation_failed");
  });

  it("validates input and ties prompts only to projects of their own team", async () => {
    const { teamId } = await freshTeam();
    const other = await freshTeam();
    const m = as(member);
    const refused = await expectProblem(
      m.create(teamId, { title: "X", content: "y", projectId: other.projectId }),
      400,
      "validation_failed",
    );
    expect(refused.problem.errors?.map((e) => e.path)).toEqual(["body.projectId"]);
    await expectProblem(m.create(teamId, { title: "", content: "y" }), 400, "validation_failed");
    await expectProblem(m.create(teamId, { title: "X", content: "" }), 400, "validation_failed");
    await expectProblem(m.create(teamId, { title: "X", content: "y", tags: [""] }), 400, "validation_failed");
    const prompt = await m.create(teamId, { title: "X", content: "y" });
    await expectProblem(m.patch(prompt.id, { projectId: other.projectId }), 400, "validation_failed");
    await expectProblem(m.patch(prompt.id, { content: "" }), 400, "validation_failed");
  });

  it("lets viewers and collaborators read but not write, and hides prompts from other teams", async () => {
    const { teamId, projectId } = await freshTeam();
    const teamWide = await as(member).create(teamId, { title: "Team", content: "t" });
    const scoped = await as(member).create(teamId, { title: "Project", content: "p", projectId });
    const v = as(viewer);
    await expectProblem(v.create(teamId, { title: "No", content: "n" }), 403, "forbidden");
    await expectProblem(v.patch(teamWide.id, { title: "No" }), 403, "forbidden");
    await expectProblem(v.delete(scoped.id), 403, "forbidden");

    const o = as(outsider);
    await expectProblem(o.team(teamId), 404, "not_found");
    await expectProblem(o.create(teamId, { title: "No", content: "n" }), 404, "not_found");
    await expectProblem(o.project(projectId), 404, "not_found");
    for (const id of [teamWide.id, scoped.id]) {
      await expectProblem(o.get(id), 404, "not_found");
      await expectProblem(o.patch(id, { title: "No" }), 404, "not_found");
      await expectProblem(o.delete(id), 404, "not_found");
    }

    // A collaborator sees the project's prompts only, and changes none.
    await api.db.repo(projectCollaborators).create({ projectId, userId: outsider.id, role: "editor" });
    expect((await o.project(projectId)).data.map((p) => p.id)).toEqual([scoped.id]);
    expect((await o.get(scoped.id)).title).toBe("Project");
    await expectProblem(o.patch(scoped.id, { title: "No" }), 403, "forbidden");
    await expectProblem(o.get(teamWide.id), 404, "not_found");
    await expectProblem(o.team(teamId), 404, "not_found");
    expect((await as(member).get(teamWide.id)).title).toBe("Team");
  });
});
