import { unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { tickets, users } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, startTestApi, type TestApi } from "./harness.js";

describe.each(testDialects())("identity over HTTP on $name", (dialect) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(dialect);
  });
  afterAll(() => api?.close());

  it("signs up, answering 201 with the user and a token pair, never the password hash", async () => {
    const res = await api.client().api.v1.auth.signup.$post({
      json: { email: "  Ada@Example.COM ", password: "difference engine", name: "Ada" },
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.user).toMatchObject({ email: "ada@example.com", name: "Ada" });
    expect(body.user).not.toHaveProperty("passwordHash");
    expect(body.expiresIn).toBe(900);
    expect(new Date(body.user.createdAt).toISOString()).toBe(body.user.createdAt);
    const me = await unwrap(api.client(body.accessToken).api.v1.me.$get());
    expect(me.id).toBe(body.user.id);
  });

  it("refuses a duplicate email with 409 naming the field, and a short password with 400", async () => {
    const dup = await expectProblem(
      unwrap(
        api.client().api.v1.auth.signup.$post({ json: { email: "ada@example.com", password: "whatever!", name: "A" } }),
      ),
      409,
      "conflict",
    );
    expect(dup.problem.fields).toEqual(["email"]);
    const short = await expectProblem(
      unwrap(
        api.client().api.v1.auth.signup.$post({ json: { email: "new@example.com", password: "short", name: "B" } }),
      ),
      400,
      "validation_failed",
    );
    expect(short.problem.errors).toEqual([
      { path: "body.password", message: "a password needs at least 8 characters" },
    ]);
  });

  it("logs in, rotates refresh tokens, and revokes the whole family when a used one comes back", async () => {
    const { password, user } = await api.signUp("Rotator");
    const login = await unwrap(api.client().api.v1.auth.login.$post({ json: { email: user.email, password } }));
    const second = await unwrap(api.client().api.v1.auth.refresh.$post({ json: { refreshToken: login.refreshToken } }));
    expect(second.refreshToken).not.toBe(login.refreshToken);
    const third = await unwrap(api.client().api.v1.auth.refresh.$post({ json: { refreshToken: second.refreshToken } }));

    // The first token was already traded: someone else has it. Its family goes.
    await expectProblem(
      unwrap(api.client().api.v1.auth.refresh.$post({ json: { refreshToken: login.refreshToken } })),
      401,
      "unauthenticated",
    );
    await expectProblem(
      unwrap(api.client().api.v1.auth.refresh.$post({ json: { refreshToken: third.refreshToken } })),
      401,
      "unauthenticated",
    );
    // Another login (another family) is unaffected.
    const other = await unwrap(api.client().api.v1.auth.login.$post({ json: { email: user.email, password } }));
    await unwrap(api.client().api.v1.auth.refresh.$post({ json: { refreshToken: other.refreshToken } }));
  });

  it("logs out: the refresh token stops working", async () => {
    const { refreshToken } = await api.signUp("Leaver");
    expect((await api.client().api.v1.auth.logout.$post({ json: { refreshToken } })).status).toBe(204);
    await expectProblem(
      unwrap(api.client().api.v1.auth.refresh.$post({ json: { refreshToken } })),
      401,
      "unauthenticated",
    );
  });

  it("answers wrong passwords with 401 and, after repeated failures, 429 with Retry-After", async () => {
    const { user, password } = await api.signUp("Forgetful");
    for (let i = 0; i < 5; i++) {
      await expectProblem(
        unwrap(api.client().api.v1.auth.login.$post({ json: { email: user.email, password: "wrong password" } })),
        401,
        "unauthenticated",
      );
    }
    const res = await api.client().api.v1.auth.login.$post({ json: { email: user.email, password } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await res.json()) as unknown).toMatchObject({ code: "rate_limited", status: 429 });
  });

  it("updates the profile; changing the email needs the current password", async () => {
    const { client, password } = await api.signUp("Renamed");
    expect((await unwrap(client.api.v1.me.$patch({ json: { name: "New name" } }))).name).toBe("New name");
    await expectProblem(
      unwrap(client.api.v1.me.$patch({ json: { email: "moved@example.com" } })),
      400,
      "validation_failed",
    );
    const moved = await unwrap(
      client.api.v1.me.$patch({ json: { email: "Moved@Example.com", currentPassword: password } }),
    );
    expect(moved.email).toBe("moved@example.com");
  });

  it("keeps preferences of any JSON value per user", async () => {
    const { client } = await api.signUp("Prefs");
    const prefs = client.api.v1.me.preferences[":key"];
    await expectProblem(unwrap(prefs.$get({ param: { key: "theme" } })), 404, "not_found");
    await unwrap(prefs.$put({ param: { key: "theme" }, json: { value: { mode: "dark", contrast: 2 } } }));
    expect((await unwrap(prefs.$get({ param: { key: "theme" } }))).value).toEqual({ mode: "dark", contrast: 2 });
    await unwrap(prefs.$put({ param: { key: "theme" }, json: { value: "light" } }));
    expect((await unwrap(prefs.$get({ param: { key: "theme" } }))).value).toBe("light");
    // Another user does not see it.
    const other = await api.signUp("Other");
    await expectProblem(
      unwrap(other.client.api.v1.me.preferences[":key"].$get({ param: { key: "theme" } })),
      404,
      "not_found",
    );
    expect((await prefs.$delete({ param: { key: "theme" } })).status).toBe(204);
    await expectProblem(unwrap(prefs.$get({ param: { key: "theme" } })), 404, "not_found");
    await expectProblem(
      unwrap(prefs.$put({ param: { key: "bad key!" }, json: { value: 1 } })),
      400,
      "validation_failed",
    );
  });

  it("issues personal API tokens that are shown once, work as bearer tokens, and can be revoked", async () => {
    const { client, user } = await api.signUp("Scripter");
    const created = await unwrap(client.api.v1.me.tokens.$post({ json: { name: "ci" } }));
    expect(created.token).toMatch(/^gwt_/);
    const viaToken = api.client(created.token);
    expect((await unwrap(viaToken.api.v1.me.$get())).id).toBe(user.id);

    const listed = await unwrap(client.api.v1.me.tokens.$get());
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).not.toHaveProperty("token");
    expect(listed.data[0]).not.toHaveProperty("tokenHash");
    expect(listed.data[0]?.lastUsedAt).not.toBeNull();

    expect((await client.api.v1.me.tokens[":id"].$delete({ param: { id: created.id } })).status).toBe(204);
    await expectProblem(unwrap(viaToken.api.v1.me.$get()), 401, "unauthenticated");
    await expectProblem(
      unwrap(client.api.v1.me.tokens[":id"].$delete({ param: { id: created.id } })),
      404,
      "not_found",
    );

    await expectProblem(
      unwrap(
        client.api.v1.me.tokens.$post({ json: { name: "old", expiresAt: new Date(Date.now() - 1000).toISOString() } }),
      ),
      400,
      "validation_failed",
    );
  });

  it("stops honouring a deleted user's access token at once", async () => {
    const { client, user } = await api.signUp("Departed");
    await unwrap(client.api.v1.me.$get());
    await api.db.repo(users).delete(user.id);
    await expectProblem(unwrap(client.api.v1.me.$get()), 401, "unauthenticated");
  });

  it("answers a deleted user 401 on every kind of route, reads and writes, with nothing of what was read", async () => {
    const owner = await api.person("Leaving");
    const { teamId, projectId } = await api.teamProject(owner);
    const ticket = await unwrap(
      owner.client.api.v1.projects[":id"].tickets.$post({ param: { id: projectId }, json: { title: "Kept" } }),
    );
    await api.db.repo(users).delete(owner.id);
    const headers = { Authorization: `Bearer ${owner.accessToken}` };
    const reads = [
      `/api/v1/tickets/${ticket.id}`, // the user is read along with the project access
      `/api/v1/projects/${projectId}`,
      `/api/v1/teams/${teamId}`, // checked before the answer leaves
      "/api/v1/teams",
      `/api/v1/tickets/${crypto.randomUUID()}`, // a 404 in the making is a 401 too
    ];
    for (const path of reads) {
      const res = await fetch(`${api.url}${path}`, { headers });
      expect(res.status, path).toBe(401);
      expect(res.headers.get("etag"), path).toBeNull();
      expect(res.headers.get("www-authenticate"), path).toBe("Bearer");
      expect(res.headers.get("x-request-id"), path).toBeTruthy();
      const body = (await res.json()) as Record<string, unknown>;
      expect(body, path).toMatchObject({ code: "unauthenticated", detail: "this user no longer exists" });
      expect(JSON.stringify(body), path).not.toContain("Kept");
    }
    const head = await fetch(`${api.url}/api/v1/tickets/${ticket.id}`, { method: "HEAD", headers });
    expect(head.status).toBe(401);
    const write = await fetch(`${api.url}/api/v1/projects/${projectId}/tickets`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ title: "Never" }),
    });
    expect(write.status).toBe(401);
    const titles = (await api.db.repo(tickets).list({ where: { projectId } })).data.map((t) => t.title);
    expect(titles).toEqual(["Kept"]);
  });

  it("answers missing, malformed and forged credentials with 401 and WWW-Authenticate", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: "Basic abc" },
      { Authorization: "Bearer not.a.jwt" },
      { Authorization: "Bearer gwt_forged" },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${api.url}/api/v1/me`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      expect(await res.json()).toMatchObject({ code: "unauthenticated", status: 401, type: expect.any(String) });
    }
  });
});
