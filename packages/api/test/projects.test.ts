import { createHash } from "node:crypto";
import { type ApiError, type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { activities, auditLogs, projectShares, tickets } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type Person, startTestApi, type TestApi } from "./harness.js";

let slugs = 0;
const slug = () => `proj-${process.pid}-${++slugs}`;

describe.each(testDialects())("projects over HTTP on $name", (dialect) => {
  let api: TestApi;
  // People shared by every test; each test makes its own team, so no test depends on another.
  let owner: Person;
  let admin: Person;
  let member: Person;
  let viewer: Person;
  let editor: Person;
  let guest: Person;
  let outsider: Person;

  beforeAll(async () => {
    api = await startTestApi(dialect);
    [owner, admin, member, viewer, editor, guest, outsider] = await Promise.all([
      api.person("Owner"),
      api.person("Admin"),
      api.person("Member"),
      api.person("Viewer"),
      api.person("Editor"),
      api.person("Guest"),
      api.person("Outsider"),
    ]);
  });
  afterAll(() => api?.close());

  /** Every project route, as `client` calls it. */
  const projectApi = (client: Client, id: string) => {
    const project = client.api.v1.projects[":id"];
    return {
      get: () => unwrap(project.$get({ param: { id } })),
      patch: (json: { name?: string; description?: string | null; settings?: Record<string, unknown> }) =>
        unwrap(project.$patch({ param: { id }, json })),
      delete: () => unwrap(project.$delete({ param: { id } })),
      restore: () => unwrap(project.restore.$post({ param: { id } })),
      collaborators: () => unwrap(project.collaborators.$get({ param: { id }, query: {} })),
      addCollaborator: (json: { email?: string; userId?: string; role?: "editor" | "viewer" }) =>
        unwrap(project.collaborators.$post({ param: { id }, json })),
      removeCollaborator: (userId: string) =>
        unwrap(project.collaborators[":userId"].$delete({ param: { id, userId } })),
      share: (json: { expiresAt?: string } = {}) => unwrap(project.shares.$post({ param: { id }, json })),
      revokeShare: (shareId: string) => unwrap(client.api.v1.shares[":id"].$delete({ param: { id: shareId } })),
    };
  };
  const teamProjects = (client: Client, teamId: string) => ({
    list: (
      query: { name?: string; deleted?: "only"; sort?: string; limit?: string; cursor?: string; count?: "true" } = {},
    ) => unwrap(client.api.v1.teams[":teamId"].projects.$get({ param: { teamId }, query })),
    create: (json: { name: string; description?: string; settings?: Record<string, unknown> }) =>
      unwrap(client.api.v1.teams[":teamId"].projects.$post({ param: { teamId }, json })),
  });
  const shared = (token: string) => fetch(`${api.url}/api/v1/shared/${encodeURIComponent(token)}`);

  /** A new team owned by `owner` with admin, member and viewer, and one project in it. */
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
    const project = await teamProjects(owner.client, team.id).create({ name: "Engine", description: "Gears" });
    return { team, project, as: (p: Person, id = project.id) => projectApi(p.client, id) };
  };

  const auditCount = (teamId: string) => api.db.repo(auditLogs).count({ teamId });
  const actions = async (teamId: string) =>
    (await api.db.repo(auditLogs).list({ where: { teamId }, sort: "createdAt", limit: 200 })).data.map((r) => r.action);

  it("creates, lists, reads, changes, deletes and restores a project", async () => {
    const { team } = await freshTeam();
    const projects = teamProjects(admin.client, team.id);
    const res = await admin.client.api.v1.teams[":teamId"].projects.$post({
      param: { teamId: team.id },
      json: { name: "  Analytical ", settings: { lang: "en" } },
    });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({
      teamId: team.id,
      name: "Analytical",
      description: null,
      settings: { lang: "en" },
      version: 1,
    });
    expect(created).not.toHaveProperty("deletedAt");
    await projects.create({ name: "Difference" });

    expect((await projects.list()).data.map((p) => p.name)).toEqual(["Analytical", "Difference", "Engine"]);
    expect((await projects.list({ sort: "-name" })).data.map((p) => p.name)).toEqual([
      "Engine",
      "Difference",
      "Analytical",
    ]);
    expect((await projects.list({ name: "ENG" })).data.map((p) => p.name)).toEqual(["Engine"]);
    const first = await projects.list({ limit: "2", count: "true", sort: "createdAt" });
    expect(first).toMatchObject({ total: 3 });
    const rest = await projects.list({ limit: "2", sort: "createdAt", cursor: first.nextCursor ?? "" });
    expect(rest.data.map((p) => p.name)).toEqual(["Difference"]);
    await expectProblem(projects.list({ sort: "ticketSequence" }), 400, "validation_failed");

    const mine = projectApi(admin.client, created.id);
    expect(await mine.get()).toMatchObject({ id: created.id, name: "Analytical", version: 1 });
    const changed = await mine.patch({ name: "Analytical Engine", description: "Mill and store", settings: {} });
    expect(changed).toMatchObject({
      name: "Analytical Engine",
      description: "Mill and store",
      settings: {},
      version: 2,
    });
    expect(await mine.patch({ name: "Analytical Engine" })).toMatchObject({ version: 2 }); // no change, no new version

    const deleted = await admin.client.api.v1.projects[":id"].$delete({ param: { id: created.id } });
    expect(deleted.status).toBe(204);
    await expectProblem(mine.get(), 404, "not_found");
    await expectProblem(mine.patch({ name: "Ghost" }), 404, "not_found");
    expect((await projects.list()).data.map((p) => p.name)).toEqual(["Difference", "Engine"]);

    const restored = await mine.restore();
    expect(restored).toMatchObject({ id: created.id, name: "Analytical Engine" });
    expect(restored).not.toHaveProperty("deletedAt");
    expect((await mine.get()).id).toBe(created.id);
    expect((await projects.list()).data).toHaveLength(3);
    expect((await mine.restore()).version).toBe(restored.version); // restoring a live project changes nothing
    await expectProblem(projectApi(admin.client, crypto.randomUUID()).restore(), 404, "not_found");

    await expectProblem(projects.create({ name: " " }), 400, "validation_failed");
  });

  it("matches `%`, `_` and `\\` in ?name literally, as any other character, on both paths", async () => {
    const { team } = await freshTeam();
    const projects = teamProjects(admin.client, team.id);
    for (const name of ["100% done", "snake_case", "back\\slash", "Plain"]) await projects.create({ name });
    const names = async (name: string) => (await projects.list({ name })).data.map((p) => p.name);
    expect(await names("%")).toEqual(["100% done"]);
    expect(await names("_")).toEqual(["snake_case"]);
    expect(await names("\\")).toEqual(["back\\slash"]);
    expect(await names("E_C")).toEqual(["snake_case"]);
    expect(await names("0%")).toEqual(["100% done"]);
    expect(await names("a_%")).toEqual([]);
    expect(await names("plain")).toEqual(["Plain"]);
    // Another team's project of the same name is not found, and the page still counts and pages.
    const other = await freshTeam();
    await teamProjects(owner.client, other.team.id).create({ name: "50% off" });
    await projects.create({ name: "20% more" });
    const first = await projects.list({ name: "%", limit: "1", count: "true" });
    expect(first).toMatchObject({ total: 2 });
    const rest = await projects.list({ name: "%", limit: "1", cursor: first.nextCursor ?? "" });
    expect([...first.data, ...rest.data].map((p) => p.name)).toEqual(["100% done", "20% more"]);
  });

  it("lists deleted projects with ?deleted=only for admins and owners, to restore them", async () => {
    const { team, project, as } = await freshTeam();
    const kept = await teamProjects(admin.client, team.id).create({ name: "Kept" });
    await as(admin).delete();
    for (const p of [admin, owner]) {
      const deleted = await teamProjects(p.client, team.id).list({ deleted: "only" });
      expect(deleted.data.map((x) => x.id)).toEqual([project.id]);
      expect(deleted.data[0]).not.toHaveProperty("deletedAt");
    }
    expect((await teamProjects(admin.client, team.id).list({ deleted: "only", name: "eng" })).data).toHaveLength(1);
    expect((await teamProjects(admin.client, team.id).list({ deleted: "only", name: "kept" })).data).toEqual([]);
    expect((await teamProjects(admin.client, team.id).list()).data.map((x) => x.id)).toEqual([kept.id]);
    for (const p of [member, viewer]) {
      await expectProblem(teamProjects(p.client, team.id).list({ deleted: "only" }), 403, "forbidden");
    }
    await expectProblem(teamProjects(outsider.client, team.id).list({ deleted: "only" }), 404, "not_found");
    const bad = await admin.client.api.v1.teams[":teamId"].projects.$get({
      param: { teamId: team.id },
      query: { deleted: "include" as "only" },
    });
    expect(bad.status).toBe(400);
    await as(admin).restore();
    expect((await teamProjects(admin.client, team.id).list({ deleted: "only" })).data).toEqual([]);
  });

  it("lets viewers read, keeps members and viewers from managing, and lets admins and owners manage", async () => {
    const { team, project, as } = await freshTeam();
    for (const p of [viewer, member]) {
      expect((await as(p).get()).id).toBe(project.id);
      expect((await teamProjects(p.client, team.id).list()).data.map((x) => x.id)).toEqual([project.id]);
      expect((await as(p).collaborators()).data).toEqual([]);
      await expectProblem(teamProjects(p.client, team.id).create({ name: "Nope" }), 403, "forbidden");
      await expectProblem(as(p).patch({ name: "Nope" }), 403, "forbidden");
      await expectProblem(as(p).delete(), 403, "forbidden");
      await expectProblem(as(p).addCollaborator({ userId: guest.id }), 403, "forbidden");
      await expectProblem(as(p).share(), 403, "forbidden");
    }
    const share = await as(admin).share();
    await expectProblem(as(member).revokeShare(share.id), 403, "forbidden");
    await as(admin).delete();
    await expectProblem(as(member).restore(), 403, "forbidden");
    await as(owner).restore();
    expect((await as(owner).patch({ name: "By owner" })).name).toBe("By owner");
    expect((await as(admin).patch({ name: "By admin" })).name).toBe("By admin");
    expect((await as(viewer).get()).name).toBe("By admin");
  });

  it("adds collaborators from outside the team, who see and act on that project only", async () => {
    const { team, project, as } = await freshTeam();
    const other = await teamProjects(owner.client, team.id).create({ name: "Other" });

    const res = await owner.client.api.v1.projects[":id"].collaborators.$post({
      param: { id: project.id },
      json: { email: editor.email, role: "editor" },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      projectId: project.id,
      userId: editor.id,
      role: "editor",
      name: "Editor",
    });
    await as(admin).addCollaborator({ userId: guest.id });
    expect((await as(viewer).collaborators()).data).toEqual([
      expect.objectContaining({ userId: editor.id, role: "editor", email: editor.email }),
      expect.objectContaining({ userId: guest.id, role: "viewer", email: guest.email }),
    ]);

    // A team member cannot also be a collaborator, and nobody is added twice.
    const dup = await expectProblem(as(owner).addCollaborator({ userId: member.id }), 409, "conflict");
    expect(dup.problem.fields).toEqual(["userId"]);
    await expectProblem(as(owner).addCollaborator({ email: editor.email }), 409, "conflict");
    await expectProblem(as(owner).addCollaborator({ userId: crypto.randomUUID() }), 404, "not_found");
    await expectProblem(as(owner).addCollaborator({}), 400, "validation_failed");

    for (const p of [editor, guest]) {
      expect((await as(p).get()).id).toBe(project.id);
      expect((await as(p).collaborators()).data).toHaveLength(2);
      await expectProblem(as(p, other.id).get(), 404, "not_found");
      await expectProblem(teamProjects(p.client, team.id).list(), 404, "not_found");
      await expectProblem(as(p).patch({ name: "Mine" }), 403, "forbidden");
      await expectProblem(as(p).delete(), 403, "forbidden");
      await expectProblem(as(p).addCollaborator({ userId: outsider.id }), 403, "forbidden");
      await expectProblem(as(p).removeCollaborator(guest.id), 403, "forbidden");
      await expectProblem(as(p).share(), 403, "forbidden");
    }

    const removed = await owner.client.api.v1.projects[":id"].collaborators[":userId"].$delete({
      param: { id: project.id, userId: guest.id },
    });
    expect(removed.status).toBe(204);
    await expectProblem(as(guest).get(), 404, "not_found");
    await expectProblem(as(owner).removeCollaborator(guest.id), 404, "not_found");
    expect((await as(owner).collaborators()).data.map((c) => c.userId)).toEqual([editor.id]);
  });

  it("answers 404, never 403, for every project route to someone outside the team", async () => {
    const { team, project, as } = await freshTeam();
    const share = await as(owner).share();
    const before = await auditCount(team.id);
    const stranger = as(outsider);
    const calls: [string, () => Promise<unknown>][] = [
      ["list", () => teamProjects(outsider.client, team.id).list()],
      ["create", () => teamProjects(outsider.client, team.id).create({ name: "Mine" })],
      ["get", () => stranger.get()],
      ["patch", () => stranger.patch({ name: "Mine" })],
      ["delete", () => stranger.delete()],
      ["restore", () => stranger.restore()],
      ["collaborators", () => stranger.collaborators()],
      ["add collaborator", () => stranger.addCollaborator({ userId: outsider.id })],
      ["remove collaborator", () => stranger.removeCollaborator(owner.id)],
      ["share", () => stranger.share()],
      ["revoke share", () => stranger.revokeShare(share.id)],
    ];
    for (const [label, call] of calls) {
      const error = await call().then(
        () => undefined,
        (e) => e,
      );
      expect((error as ApiError).status, label).toBe(404);
    }
    expect(await auditCount(team.id)).toBe(before);
    expect((await as(owner).get()).name).toBe(project.name);
  });

  it("sends an ETag and honours If-Match on change and delete: a stale one answers 412", async () => {
    const { project } = await freshTeam();
    const url = `${api.url}/api/v1/projects/${project.id}`;
    const headers = { Authorization: `Bearer ${admin.accessToken}`, "Content-Type": "application/json" };
    const first = await fetch(url, { headers });
    const etag = first.headers.get("etag");
    expect(etag).toBe('"1"');

    const changed = await fetch(url, {
      method: "PATCH",
      headers: { ...headers, "If-Match": etag ?? "" },
      body: JSON.stringify({ name: "Renamed" }),
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).toBe('"2"');

    const stale = await fetch(url, {
      method: "PATCH",
      headers: { ...headers, "If-Match": etag ?? "" },
      body: JSON.stringify({ name: "Overwritten" }),
    });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ code: "version_conflict", status: 412 });
    const now = await fetch(url, { headers });
    expect(now.headers.get("etag")).toBe('"2"');
    expect(((await now.json()) as { name: string }).name).toBe("Renamed");

    // Compared strongly (RFC 9110): a weak tag never matches.
    for (const bad of ['"1"', '"3"', "garbage", 'W/"2"', '"1", W/"2"']) {
      expect((await fetch(url, { method: "DELETE", headers: { ...headers, "If-Match": bad } })).status, bad).toBe(412);
    }
    expect((await fetch(url, { headers })).status).toBe(200);
    // A list matches when one of its tags does; naming two versions is a mistake.
    const twoVersions = await fetch(url, { method: "DELETE", headers: { ...headers, "If-Match": '"1", "2"' } });
    expect(twoVersions.status).toBe(400);
    expect(await twoVersions.json()).toMatchObject({ errors: [{ path: "header.if-match" }] });
    const listed = await fetch(url, {
      method: "PATCH",
      headers: { ...headers, "If-Match": '"some-other-tag", "2"' },
      body: JSON.stringify({ name: "Listed" }),
    });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("etag")).toBe('"3"');
    expect((await fetch(url, { method: "DELETE", headers: { ...headers, "If-Match": '"3"' } })).status).toBe(204);
    expect((await fetch(url, { headers })).status).toBe(404);
  });

  it("serves a share link's read-only view without auth until it is revoked or expires", async () => {
    const { project, as } = await freshTeam();
    for (let number = 1; number <= 3; number++) {
      await api.db.repo(tickets).create({
        projectId: project.id,
        number,
        title: `Ticket ${number}`,
        tags: number === 2 ? ["gears"] : [],
        createdAt: new Date(Date.now() - (10 - number) * 1000),
      });
    }
    const res = await owner.client.api.v1.projects[":id"].shares.$post({ param: { id: project.id }, json: {} });
    expect(res.status).toBe(201);
    const share = await res.json();
    expect(share).toMatchObject({ projectId: project.id, expiresAt: null, url: `/api/v1/shared/${share.token}` });

    // Stored hashed, never in clear.
    const row = await api.db.repo(projectShares).get(share.id);
    expect(row.tokenHash).not.toBe(share.token);
    expect(row.tokenHash).toBe(createHash("sha256").update(share.token).digest("hex"));

    const view = await fetch(`${api.url}${share.url}`);
    expect(view.status).toBe(200);
    const body = (await view.json()) as { tickets: { number: number }[] };
    expect(body).toMatchObject({ id: project.id, name: "Engine", description: "Gears" });
    expect(body).not.toHaveProperty("teamId");
    expect(body.tickets.map((t) => t.number)).toEqual([3, 2, 1]);
    expect(body.tickets[1]).toEqual({
      id: expect.any(String),
      number: 2,
      title: "Ticket 2",
      status: "open",
      priority: "normal",
      tags: ["gears"],
      createdAt: expect.any(String),
    });

    expect((await shared("gws_unknown")).status).toBe(404);
    expect((await shared(row.tokenHash)).status).toBe(404);

    // Revoked: gone; revoking again changes nothing.
    const revoked = await owner.client.api.v1.shares[":id"].$delete({ param: { id: share.id } });
    expect(revoked.status).toBe(204);
    expect((await shared(share.token)).status).toBe(404);
    await as(admin).revokeShare(share.id);
    await expectProblem(as(admin).revokeShare(crypto.randomUUID()), 404, "not_found");

    // Expired: gone.
    const expiring = await as(admin).share({ expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await shared(expiring.token)).status).toBe(200);
    await api.db.repo(projectShares).update(expiring.id, { expiresAt: new Date(Date.now() - 1000) });
    expect((await shared(expiring.token)).status).toBe(404);
    await expectProblem(as(admin).share({ expiresAt: "2000-01-01T00:00:00Z" }), 400, "validation_failed");

    // A deleted project is not shared.
    const live = await as(admin).share();
    await as(admin).delete();
    const gone = await shared(live.token);
    expect(gone.status).toBe(404);
    expect(await gone.text()).not.toContain(live.token);
  });

  it("writes an audit row (and feed entries) with every change, and none for refused ones", async () => {
    const { team, project, as } = await freshTeam();
    expect(await actions(team.id)).toContain("project.created");
    const feed = await api.db.repo(activities).list({ where: { teamId: team.id, projectId: project.id }, limit: 10 });
    expect(feed.data).toEqual([expect.objectContaining({ verb: "created", subjectType: "project" })]);
    const start = (await actions(team.id)).length;

    // Refused: nothing written.
    await expectProblem(as(member).patch({ name: "No" }), 403, "forbidden");
    await expectProblem(as(viewer).delete(), 403, "forbidden");
    await expectProblem(as(owner).addCollaborator({ userId: member.id }), 409, "conflict");
    await expectProblem(as(member).share(), 403, "forbidden");
    await expectProblem(teamProjects(member.client, team.id).create({ name: "No" }), 403, "forbidden");
    expect(await auditCount(team.id)).toBe(start);

    await as(admin).patch({ description: "Changed" });
    await as(admin).addCollaborator({ userId: guest.id, role: "viewer" });
    await as(admin).removeCollaborator(guest.id);
    const share = await as(admin).share();
    await as(admin).revokeShare(share.id);
    await as(admin).delete();
    await as(admin).restore();
    const written = (await actions(team.id)).slice(start);
    expect(written).toEqual([
      "project.updated",
      "collaborator.added",
      "collaborator.removed",
      "share.created",
      "share.revoked",
      "project.deleted",
      "project.restored",
    ]);
    const updated = await api.db.repo(auditLogs).find({ teamId: team.id, action: "project.updated" });
    expect(updated).toMatchObject({ actorId: admin.id, entity: "project", entityId: project.id });
    expect(updated?.changes).toEqual({ before: { description: "Gears" }, after: { description: "Changed" } });
    const shareRow = await api.db.repo(auditLogs).find({ teamId: team.id, action: "share.created" });
    expect(JSON.stringify(shareRow)).not.toContain(share.token);
  });
});
