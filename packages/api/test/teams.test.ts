import { ApiError, type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { activities, auditLogs, teamMembers } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type Person, startTestApi, type TestApi } from "./harness.js";

type Role = "owner" | "admin" | "member" | "viewer";

let slugs = 0;
const slug = (prefix = "team") => `${prefix}-${process.pid}-${++slugs}`;

describe.each(testDialects())("teams over HTTP on $name", (dialect) => {
  let api: TestApi;
  // People shared by every test; each test makes its own teams, so no test depends on another.
  let owner: Person;
  let admin: Person;
  let member: Person;
  let viewer: Person;
  let outsider: Person;
  let extra: Person;

  beforeAll(async () => {
    api = await startTestApi(dialect);
    [owner, admin, member, viewer, outsider, extra] = await Promise.all([
      api.person("Owner"),
      api.person("Admin"),
      api.person("Member"),
      api.person("Viewer"),
      api.person("Outsider"),
      api.person("Extra"),
    ]);
  });
  afterAll(() => api?.close());

  const teamApi = (client: Client, teamId: string) => {
    const team = client.api.v1.teams[":teamId"];
    return {
      get: () => unwrap(team.$get({ param: { teamId } })),
      patch: (json: { name?: string; slug?: string }) => unwrap(team.$patch({ param: { teamId }, json })),
      delete: () => unwrap(team.$delete({ param: { teamId } })),
      members: (query: { limit?: string; cursor?: string; count?: "true"; role?: Role; sort?: string } = {}) =>
        unwrap(team.members.$get({ param: { teamId }, query })),
      add: (json: { email?: string; userId?: string; role?: Role }) =>
        unwrap(team.members.$post({ param: { teamId }, json })),
      setRole: (userId: string, role: Role) =>
        unwrap(team.members[":userId"].$patch({ param: { teamId, userId }, json: { role } })),
      remove: (userId: string) => unwrap(team.members[":userId"].$delete({ param: { teamId, userId } })),
      setting: (key: string) => unwrap(team.settings[":key"].$get({ param: { teamId, key } })),
      putSetting: (key: string, value: unknown) =>
        unwrap(team.settings[":key"].$put({ param: { teamId, key }, json: { value: value as string } })),
      audit: (
        query: {
          entity?: string;
          action?: string;
          actor?: string;
          from?: string;
          to?: string;
          cursor?: string;
          limit?: string;
          count?: "true";
        } = {},
      ) => unwrap(team["audit-logs"].$get({ param: { teamId }, query })),
    };
  };

  /** A new team owned by `owner`, with admin, member and viewer in their roles. */
  const freshTeam = async () => {
    const team = await unwrap(owner.client.api.v1.teams.$post({ json: { name: "Team", slug: slug() } }));
    const as = (p: Person) => teamApi(p.client, team.id);
    await as(owner).add({ userId: admin.id, role: "admin" });
    await as(owner).add({ userId: member.id, role: "member" });
    await as(owner).add({ email: viewer.email, role: "viewer" });
    return { team, as };
  };

  const auditCount = (teamId: string) => api.db.repo(auditLogs).count({ teamId });
  const activityCount = (teamId: string) => api.db.repo(activities).count({ teamId });

  it("creates a team with the creator as owner, then reads, renames and deletes it", async () => {
    const res = await owner.client.api.v1.teams.$post({ json: { name: "  Analytical Engines ", slug: slug("ae") } });
    expect(res.status).toBe(201);
    const team = await res.json();
    expect(team).toMatchObject({ name: "Analytical Engines", role: "owner" });
    expect(team).not.toHaveProperty("deletedAt");
    expect(new Date(team.createdAt).toISOString()).toBe(team.createdAt);

    const mine = teamApi(owner.client, team.id);
    expect(await mine.get()).toMatchObject({ id: team.id, slug: team.slug, role: "owner" });
    const members = await mine.members();
    expect(members.data).toEqual([
      expect.objectContaining({ userId: owner.id, role: "owner", email: owner.email, name: "Owner" }),
    ]);

    const renamed = await mine.patch({ name: "Difference Engines", slug: slug("de") });
    expect(renamed).toMatchObject({ id: team.id, name: "Difference Engines", role: "owner" });
    expect((await mine.get()).slug).toBe(renamed.slug);

    const deleted = await owner.client.api.v1.teams[":teamId"].$delete({ param: { teamId: team.id } });
    expect(deleted.status).toBe(204);
    await expectProblem(mine.get(), 404, "not_found");
    await expectProblem(mine.members(), 404, "not_found");
    const listed = await unwrap(owner.client.api.v1.teams.$get({ query: {} }));
    expect(listed.data.map((t) => t.id)).not.toContain(team.id);

    // The slug of a deleted team can be taken again.
    const again = await unwrap(owner.client.api.v1.teams.$post({ json: { name: "Again", slug: renamed.slug } }));
    expect(again.slug).toBe(renamed.slug);
  });

  it("sends an ETag and honours If-Match on rename and delete: a stale one answers 412", async () => {
    const { team } = await freshTeam();
    const url = `${api.url}/api/v1/teams/${team.id}`;
    const headers = { Authorization: `Bearer ${owner.accessToken}`, "Content-Type": "application/json" };
    const first = await fetch(url, { headers });
    const etag = first.headers.get("etag");
    expect(etag).toBe('"1"');

    const renamed = await fetch(url, {
      method: "PATCH",
      headers: { ...headers, "If-Match": etag ?? "" },
      body: JSON.stringify({ name: "Renamed" }),
    });
    expect(renamed.status).toBe(200);
    expect(renamed.headers.get("etag")).toBe('"2"');

    // Someone else's view, from before the rename, is refused, and nothing changes.
    const stale = await fetch(url, {
      method: "PATCH",
      headers: { ...headers, "If-Match": etag ?? "" },
      body: JSON.stringify({ name: "Overwritten" }),
    });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ code: "version_conflict", status: 412 });
    expect((await teamApi(owner.client, team.id).get()).name).toBe("Renamed");

    for (const bad of ["3", '"abc"', "W/"]) {
      const res = await fetch(url, { method: "DELETE", headers: { ...headers, "If-Match": bad } });
      expect(res.status, bad).toBe(412);
    }
    expect((await fetch(url, { method: "DELETE", headers: { ...headers, "If-Match": '"1"' } })).status).toBe(412);
    expect((await fetch(url, { method: "DELETE", headers: { ...headers, "If-Match": '"2"' } })).status).toBe(204);
  });

  it("refuses a taken slug with 409 naming the field, and bad input with 400", async () => {
    const taken = slug("taken");
    await unwrap(owner.client.api.v1.teams.$post({ json: { name: "First", slug: taken } }));
    const dup = await expectProblem(
      unwrap(outsider.client.api.v1.teams.$post({ json: { name: "Second", slug: taken } })),
      409,
      "conflict",
    );
    expect(dup.problem.fields).toEqual(["slug"]);

    const bad = await expectProblem(
      unwrap(owner.client.api.v1.teams.$post({ json: { name: " ", slug: "Not A Slug" } })),
      400,
      "validation_failed",
    );
    expect(bad.problem.errors?.map((e) => e.path).sort()).toEqual(["body.name", "body.slug"]);
    // What a slug may be, in words rather than its pattern.
    expect(bad.problem.errors?.find((e) => e.path === "body.slug")?.message).toBe(
      "lower-case letters, digits and inner hyphens (up to 64)",
    );
    const unknownKeys = await fetch(`${api.url}/api/v1/teams`, {
      method: "POST",
      headers: { Authorization: `Bearer ${outsider.accessToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "x", slug: "ok", extra: 1, colour: "red" }),
    });
    expect(((await unknownKeys.json()) as { errors: unknown }).errors).toEqual([
      { path: "body.extra", message: "not a known field" },
      { path: "body.colour", message: "not a known field" },
    ]);
    for (const body of [{ name: "x" }, { name: "x", slug: "ok", extra: 1 }, [], "team"]) {
      const res = await fetch(`${api.url}/api/v1/teams`, {
        method: "POST",
        headers: { Authorization: `Bearer ${outsider.accessToken}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    await expectProblem(unwrap(api.client().api.v1.teams.$get({ query: {} })), 401, "unauthenticated");
  });

  it("lists only the caller's teams, with cursor pagination, sorting and a total", async () => {
    const lister = await api.person("Lister");
    const names = ["Charlie", "Alpha", "Bravo"];
    for (const name of names) {
      await unwrap(lister.client.api.v1.teams.$post({ json: { name, slug: slug(name.toLowerCase()) } }));
    }
    const teams = lister.client.api.v1.teams;
    const first = await unwrap(teams.$get({ query: { limit: "2", count: "true" } }));
    expect(first.data.map((t) => t.name)).toEqual(["Alpha", "Bravo"]);
    expect(first.total).toBe(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await unwrap(teams.$get({ query: { limit: "2", cursor: first.nextCursor ?? "" } }));
    expect(second.data.map((t) => t.name)).toEqual(["Charlie"]);
    expect(second.nextCursor).toBeNull();
    expect(second).not.toHaveProperty("total");

    const newest = await unwrap(teams.$get({ query: { sort: "-createdAt" } }));
    expect(newest.data.map((t) => t.name)).toEqual(["Bravo", "Alpha", "Charlie"]);
    await expectProblem(unwrap(teams.$get({ query: { sort: "deletedAt" } })), 400, "validation_failed");
    await expectProblem(unwrap(teams.$get({ query: { cursor: "garbage" } })), 400, "validation_failed");
    await expectProblem(unwrap(teams.$get({ query: { limit: "500" } })), 400, "validation_failed");

    // Someone in no team sees an empty list.
    const loner = await api.person("Loner");
    expect(await unwrap(loner.client.api.v1.teams.$get({ query: { count: "true" } }))).toEqual({
      data: [],
      nextCursor: null,
      total: 0,
    });
  });

  it("adds members by id or email, lists them with names and emails, and refuses duplicates and strangers", async () => {
    const { team, as } = await freshTeam();
    const page = await as(viewer).members({ count: "true" });
    expect(page.total).toBe(4);
    expect(page.data.map((m) => [m.userId, m.role, m.email])).toEqual([
      [owner.id, "owner", owner.email],
      [admin.id, "admin", admin.email],
      [member.id, "member", member.email],
      [viewer.id, "viewer", viewer.email],
    ]);
    const byRole = await as(member).members({ role: "admin" });
    expect(byRole.data.map((m) => m.userId)).toEqual([admin.id]);
    const firstTwo = await as(member).members({ limit: "2" });
    const rest = await as(member).members({ limit: "2", cursor: firstTwo.nextCursor ?? "" });
    expect([...firstTwo.data, ...rest.data].map((m) => m.userId)).toEqual(page.data.map((m) => m.userId));

    const res = await owner.client.api.v1.teams[":teamId"].members.$post({
      param: { teamId: team.id },
      json: { email: ` ${extra.email.toUpperCase()} ` },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ teamId: team.id, userId: extra.id, role: "member", name: "Extra" });

    const dupById = await expectProblem(as(admin).add({ userId: member.id, role: "viewer" }), 409, "conflict");
    expect(dupById.problem.fields).toEqual(["userId"]);
    const dupByEmail = await expectProblem(as(admin).add({ email: member.email }), 409, "conflict");
    expect(dupByEmail.problem.fields).toEqual(["email"]);
    await expectProblem(as(admin).add({ userId: "01890a5d-ac96-774b-bcce-b302099a8057" }), 404, "not_found");
    await expectProblem(as(admin).add({ email: "nobody@example.com" }), 404, "not_found");
    await expectProblem(as(admin).add({}), 400, "validation_failed");
    await expectProblem(as(admin).add({ email: outsider.email, userId: outsider.id }), 400, "validation_failed");
    await expectProblem(as(admin).add({ userId: outsider.id, role: "boss" as "admin" }), 400, "validation_failed");
    await expectProblem(as(admin).add({ userId: "not-a-uuid" }), 400, "validation_failed");
    await expectProblem(as(admin).setRole(outsider.id, "member"), 404, "not_found");
    await expectProblem(as(admin).remove(outsider.id), 404, "not_found");
  });

  it("lets each role do what it may, and refuses the rest with 403", async () => {
    const { team, as } = await freshTeam();
    await as(owner).putSetting("locale", "en");

    for (const reader of [viewer, member]) {
      const r = as(reader);
      expect((await r.get()).role).toBe(reader === viewer ? "viewer" : "member");
      expect((await r.members()).data).toHaveLength(4);
      expect((await r.setting("locale")).value).toBe("en");
      await expectProblem(r.patch({ name: "Mine now" }), 403, "forbidden");
      await expectProblem(r.delete(), 403, "forbidden");
      await expectProblem(r.add({ userId: outsider.id }), 403, "forbidden");
      await expectProblem(r.setRole(viewer.id, "member"), 403, "forbidden");
      await expectProblem(r.remove(reader === viewer ? member.id : viewer.id), 403, "forbidden");
      await expectProblem(r.putSetting("locale", "fr"), 403, "forbidden");
      await expectProblem(r.audit(), 403, "forbidden");
    }

    const a = as(admin);
    expect((await a.patch({ name: "Renamed by admin" })).name).toBe("Renamed by admin");
    expect((await a.putSetting("locale", "de")).value).toBe("de");
    expect((await a.audit()).data.length).toBeGreaterThan(0);
    expect((await a.add({ userId: outsider.id, role: "admin" })).role).toBe("admin");
    expect((await a.setRole(outsider.id, "viewer")).role).toBe("viewer");
    expect(await a.remove(outsider.id)).toBeUndefined();
    await expectProblem(a.add({ userId: extra.id, role: "owner" }), 403, "forbidden");
    await expectProblem(a.setRole(member.id, "owner"), 403, "forbidden");
    await expectProblem(a.setRole(owner.id, "admin"), 403, "forbidden");
    await expectProblem(a.remove(owner.id), 403, "forbidden");
    await expectProblem(a.delete(), 403, "forbidden");

    const o = as(owner);
    expect((await o.add({ userId: extra.id, role: "owner" })).role).toBe("owner");
    expect((await o.setRole(extra.id, "admin")).role).toBe("admin");
    expect((await o.setRole(extra.id, "owner")).role).toBe("owner");
    expect(await o.remove(extra.id)).toBeUndefined();
    expect((await o.setRole(admin.id, "member")).role).toBe("member");
    expect(await o.delete()).toBeUndefined();
    await expectProblem(as(admin).get(), 404, "not_found");
    expect(await api.db.repo(teamMembers).count({ teamId: team.id })).toBe(4);
  });

  it("lets an agent read its own team and members, but never manage members or settings", async () => {
    const { team, as } = await freshTeam();
    await as(owner).putSetting("model", { name: "m", temperature: 0.2 });
    const agent = await api.agent(team.id);
    const bot = teamApi(agent.client, team.id);

    const listed = await unwrap(agent.client.api.v1.teams.$get({ query: {} }));
    expect(listed.data.map((t) => [t.id, t.role])).toEqual([[team.id, "member"]]);
    expect((await bot.get()).id).toBe(team.id);
    expect((await bot.members()).data.map((m) => m.userId)).toContain(owner.id);
    expect((await bot.setting("model")).value).toEqual({ name: "m", temperature: 0.2 });

    await expectProblem(bot.add({ userId: outsider.id, role: "viewer" }), 403, "forbidden");
    await expectProblem(bot.setRole(viewer.id, "member"), 403, "forbidden");
    await expectProblem(bot.remove(viewer.id), 403, "forbidden");
    await expectProblem(bot.putSetting("model", "other"), 403, "forbidden");
    await expectProblem(bot.patch({ name: "Bots rule" }), 403, "forbidden");
    await expectProblem(bot.delete(), 403, "forbidden");
    await expectProblem(bot.audit(), 403, "forbidden");
    await expectProblem(
      unwrap(agent.client.api.v1.teams.$post({ json: { name: "Bot team", slug: slug("bot") } })),
      403,
      "forbidden",
    );

    // Another team is invisible to it.
    const other = await unwrap(outsider.client.api.v1.teams.$post({ json: { name: "Other", slug: slug() } }));
    await expectProblem(teamApi(agent.client, other.id).get(), 404, "not_found");
    await expectProblem(teamApi(agent.client, other.id).members(), 404, "not_found");
  });

  it("keeps the last owner: it cannot be demoted, leave or be removed; others may leave", async () => {
    const { as } = await freshTeam();
    const o = as(owner);
    const demote = await expectProblem(o.setRole(owner.id, "admin"), 409, "conflict");
    expect(demote.problem.fields).toEqual(["role"]);
    await expectProblem(o.remove(owner.id), 409, "conflict");

    // Anyone may leave.
    expect(await as(viewer).remove(viewer.id)).toBeUndefined();
    await expectProblem(as(viewer).get(), 404, "not_found");
    expect(await as(admin).remove(admin.id)).toBeUndefined();

    // Two owners stepping down at once: one of them stays an owner.
    await o.add({ userId: extra.id, role: "owner" });
    const results = await Promise.allSettled([o.setRole(owner.id, "admin"), as(extra).setRole(extra.id, "admin")]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const owners = await o.members({ role: "owner" });
    expect(owners.data).toHaveLength(1);
    if (owners.data[0]?.userId === extra.id) await as(extra).setRole(owner.id, "owner");
    await o.remove(extra.id);

    // With a second owner, the first may step down or leave; then the second is the last.
    await o.add({ userId: extra.id, role: "owner" });
    expect((await o.setRole(owner.id, "admin")).role).toBe("admin");
    await expectProblem(as(extra).setRole(extra.id, "member"), 409, "conflict");
    await as(extra).setRole(owner.id, "owner");
    expect(await as(extra).remove(owner.id)).toBeUndefined();
    await expectProblem(as(extra).remove(extra.id), 409, "conflict");
    const left = await as(extra).members();
    expect(left.data.map((m) => [m.userId, m.role])).toEqual([
      [member.id, "member"],
      [extra.id, "owner"],
    ]);
  });

  it("answers 404, never 403, for every route of a team the caller is not in", async () => {
    const { team } = await freshTeam();
    const stranger = teamApi(outsider.client, team.id);
    const calls: [string, () => Promise<unknown>][] = [
      ["get", () => stranger.get()],
      ["patch", () => stranger.patch({ name: "Taken over" })],
      ["delete", () => stranger.delete()],
      ["members", () => stranger.members()],
      ["add member", () => stranger.add({ userId: outsider.id, role: "owner" })],
      ["change member", () => stranger.setRole(member.id, "viewer")],
      ["remove member", () => stranger.remove(member.id)],
      ["leave", () => stranger.remove(outsider.id)],
      ["get setting", () => stranger.setting("locale")],
      ["put setting", () => stranger.putSetting("locale", "xx")],
      ["audit logs", () => stranger.audit()],
    ];
    const before = await auditCount(team.id);
    for (const [label, call] of calls) {
      const error = await call().then(
        () => undefined,
        (e) => e,
      );
      expect(error, label).toBeInstanceOf(ApiError);
      expect((error as ApiError).status, label).toBe(404);
      expect((error as ApiError).problem.detail, label).toBe("no such team");
    }
    // The same as a team that does not exist, and a malformed id is a 400.
    await expectProblem(teamApi(owner.client, "01890a5d-ac96-774b-bcce-b302099a8057").get(), 404, "not_found");
    await expectProblem(teamApi(owner.client, "not-a-uuid").get(), 400, "validation_failed");
    expect(await auditCount(team.id)).toBe(before);
    expect((await teamApi(owner.client, team.id).get()).name).toBe("Team");
  });

  it("keeps team settings of any JSON value, read by viewers and written by admins", async () => {
    const { as } = await freshTeam();
    await expectProblem(as(viewer).setting("theme"), 404, "not_found");
    const put = await as(admin).putSetting("theme", { mode: "dark", accents: ["blue", 2] });
    expect(put).toMatchObject({ key: "theme", value: { mode: "dark", accents: ["blue", 2] } });
    expect((await as(viewer).setting("theme")).value).toEqual({ mode: "dark", accents: ["blue", 2] });
    // Strings that read as JSON text stay strings, as written and as read.
    for (const value of ["light", 42, false, [], "123", "true", "[1]", '"quoted"']) {
      expect((await as(owner).putSetting("theme", value)).value).toEqual(value);
      expect((await as(viewer).setting("theme")).value).toEqual(value);
    }
    await expectProblem(as(admin).putSetting("theme", null), 400, "validation_failed");
    await expectProblem(as(admin).putSetting("bad key!", 1), 400, "validation_failed");
    await expectProblem(as(admin).setting("bad key!"), 400, "validation_failed");

    // Any nesting the validator and the driver can handle is kept; deeper is a 400, not a stack overflow.
    const nested = (depth: number) => `{"value":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    for (const [depth, status] of [
      [60, 200],
      [100, 400],
      [5000, 400],
    ] as const) {
      const res = await fetch(`${api.url}/api/v1/teams/${(await as(owner).get()).id}/settings/deep`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${owner.accessToken}`, "Content-Type": "application/json" },
        body: nested(depth),
      });
      expect(res.status, `depth ${depth}`).toBe(status);
    }
  });

  it("writes an audit row (and a feed entry for new members) with every change, and none for refused ones", async () => {
    const team = await unwrap(owner.client.api.v1.teams.$post({ json: { name: "Audited", slug: slug("audit") } }));
    const o = teamApi(owner.client, team.id);
    const renamed = await owner.client.api.v1.teams[":teamId"].$patch({
      param: { teamId: team.id },
      json: { name: "Audited Co" },
    });
    const requestId = renamed.headers.get("x-request-id");
    await o.add({ userId: admin.id, role: "admin" });
    await o.setRole(admin.id, "member");
    await o.putSetting("locale", "en");
    await o.putSetting("locale", "en"); // unchanged: nothing to record
    await o.patch({ name: "Audited Co" }); // unchanged too
    await o.remove(admin.id);

    const log = await o.audit({ count: "true" });
    expect(log.data.map((r) => r.action)).toEqual([
      "member.removed",
      "setting.updated",
      "member.updated",
      "member.added",
      "team.updated",
      "team.created",
    ]);
    expect(log.total).toBe(6);
    const byAction = Object.fromEntries(log.data.map((r) => [r.action, r]));
    expect(byAction["team.updated"]).toMatchObject({
      teamId: team.id,
      actorType: "user",
      actorId: owner.id,
      entity: "team",
      entityId: team.id,
      changes: { before: { name: "Audited" }, after: { name: "Audited Co" } },
      requestId,
      ip: expect.any(String),
    });
    expect(byAction["member.updated"]).toMatchObject({
      entity: "member",
      entityId: admin.id,
      changes: { before: { role: "admin" }, after: { role: "member" } },
    });
    expect(byAction["member.removed"]?.changes).toEqual({ before: { userId: admin.id, role: "member" } });
    expect(byAction["setting.updated"]).toMatchObject({ entity: "setting", entityId: "locale" });
    const feed = await api.db.repo(activities).list({ where: { teamId: team.id } });
    expect(feed.data.map((a) => [a.verb, a.subjectType, a.subjectId, a.actorId])).toEqual([
      ["added", "member", admin.id, owner.id],
    ]);

    // Refused and failed changes leave neither an audit row nor an activity.
    const audits = await auditCount(team.id);
    const feedCount = await activityCount(team.id);
    const taken = slug("taken");
    await unwrap(outsider.client.api.v1.teams.$post({ json: { name: "Taken", slug: taken } }));
    await expectProblem(o.patch({ name: "New name", slug: taken }), 409, "conflict");
    await expectProblem(o.setRole(owner.id, "viewer"), 409, "conflict");
    await expectProblem(o.remove(owner.id), 409, "conflict");
    await o.add({ userId: member.id });
    await expectProblem(o.add({ userId: member.id }), 409, "conflict");
    await expectProblem(teamApi(member.client, team.id).putSetting("locale", "fr"), 403, "forbidden");
    await expectProblem(teamApi(member.client, team.id).add({ userId: extra.id }), 403, "forbidden");
    expect(await auditCount(team.id)).toBe(audits + 1);
    expect(await activityCount(team.id)).toBe(feedCount + 1);
    expect((await o.get()).name).toBe("Audited Co");

    // The deletion is recorded too, though the team is gone from the API.
    await o.delete();
    const last = await api.db.repo(auditLogs).list({ where: { teamId: team.id }, sort: "-createdAt", limit: 1 });
    expect(last.data[0]).toMatchObject({ action: "team.deleted", actorId: owner.id, entityId: team.id });
  });

  it("filters the audit log by entity, action, actor and time, newest first, a cursor page at a time", async () => {
    const { as } = await freshTeam();
    await as(admin).putSetting("a", 1);
    await as(admin).setRole(member.id, "viewer");
    await as(owner).putSetting("b", 2);
    await as(admin).patch({ name: "Filtered" });
    await as(owner).setRole(member.id, "member");

    const all = await as(owner).audit({ limit: "200" });
    expect(all.data).toHaveLength(9);
    const times = all.data.map((r) => new Date(r.createdAt).getTime());
    expect([...times].sort((x, y) => y - x)).toEqual(times);

    const members = await as(owner).audit({ entity: "member" });
    expect(members.data.map((r) => r.action)).toEqual([
      "member.updated",
      "member.updated",
      "member.added",
      "member.added",
      "member.added",
    ]);
    const byAdmin = await as(owner).audit({ actor: admin.id, count: "true" });
    expect(byAdmin.total).toBe(3);
    expect(byAdmin.data.every((r) => r.actorId === admin.id)).toBe(true);
    const settingsByOwner = await as(owner).audit({ actor: owner.id, entity: "setting" });
    expect(settingsByOwner.data.map((r) => r.entityId)).toEqual(["b"]);
    const added = await as(owner).audit({ action: "member.added" });
    expect(added.data).toHaveLength(3);

    const pivot = all.data[4]?.createdAt ?? "";
    const fromPivot = await as(owner).audit({ from: pivot, limit: "200" });
    expect(fromPivot.data.map((r) => r.id)).toEqual(all.data.filter((r) => r.createdAt >= pivot).map((r) => r.id));
    const beforePivot = await as(owner).audit({ to: pivot, limit: "200" });
    expect(beforePivot.data.map((r) => r.id)).toEqual(all.data.filter((r) => r.createdAt < pivot).map((r) => r.id));
    expect(fromPivot.data.length + beforePivot.data.length).toBe(9);
    const future = await as(owner).audit({ from: new Date(Date.now() + 60_000).toISOString() });
    expect(future.data).toEqual([]);

    // Cursor pages join up to the whole log, in the same order, without repeats.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await as(admin).audit({ limit: "3", ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((r) => r.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(all.data.map((r) => r.id));
    // A filtered log pages too.
    const firstMembers = await as(owner).audit({ entity: "member", limit: "2" });
    const moreMembers = await as(owner).audit({ entity: "member", limit: "10", cursor: firstMembers.nextCursor ?? "" });
    expect([...firstMembers.data, ...moreMembers.data].map((r) => r.id)).toEqual(members.data.map((r) => r.id));

    await expectProblem(as(owner).audit({ actor: "someone" }), 400, "validation_failed");
    await expectProblem(as(owner).audit({ from: "last tuesday" }), 400, "validation_failed");
    await expectProblem(as(owner).audit({ cursor: "not a cursor" }), 400, "validation_failed");
    await expectProblem(as(owner).audit({ limit: "0" }), 400, "validation_failed");
  });
});
