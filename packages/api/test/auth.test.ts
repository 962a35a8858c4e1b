import { unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { apiTokens, refreshTokens, tickets, users } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, startTestApi, type TestApi } from "./harness.js";

describe.each(testDialects())("identity over HTTP on $name", (dialect) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(dialect);
  });
  afterAll(() => api?.close());

  /** A POST of any JSON, with any headers: what a client the types do not hold back could send. */
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api.url}/api/v1${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const refreshWith = (refreshToken: string) =>
    unwrap(api.client().api.v1.auth.refresh.$post({ json: { refreshToken } }));

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
    const reused = await expectProblem(refreshWith(login.refreshToken), 401, "unauthenticated");
    expect(reused.problem.detail).toBe(
      "this refresh token was already used; every session it belongs to has been signed out",
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

  it("logs out: the refresh token stops working, and says it was signed out, not reused", async () => {
    const { refreshToken, user, password } = await api.signUp("Leaver");
    const other = await unwrap(api.client().api.v1.auth.login.$post({ json: { email: user.email, password } }));
    expect((await api.client().api.v1.auth.logout.$post({ json: { refreshToken } })).status).toBe(204);
    const refused = await expectProblem(refreshWith(refreshToken), 401, "unauthenticated");
    expect(refused.problem.detail).toBe("this refresh token was signed out");
    // Presenting it again is no reuse: the other session (another family) goes on.
    await expectProblem(refreshWith(refreshToken), 401, "unauthenticated");
    await refreshWith(other.refreshToken);

    // A session traded once and then ended: its used token coming back is still reuse.
    const rotated = await unwrap(api.client().api.v1.auth.login.$post({ json: { email: user.email, password } }));
    const next = await refreshWith(rotated.refreshToken);
    expect((await api.client().api.v1.auth.logout.$post({ json: { refreshToken: next.refreshToken } })).status).toBe(
      204,
    );
    expect((await expectProblem(refreshWith(next.refreshToken), 401, "unauthenticated")).problem.detail).toBe(
      "this refresh token was signed out",
    );
    expect((await expectProblem(refreshWith(rotated.refreshToken), 401, "unauthenticated")).problem.detail).toContain(
      "already used",
    );
  });

  it("signs every session out when the password changes; API tokens and the access token in hand stay", async () => {
    const { client, user, password, refreshToken } = await api.signUp("Changer");
    const second = await unwrap(api.client().api.v1.auth.login.$post({ json: { email: user.email, password } }));
    const traded = await refreshWith(second.refreshToken);
    const apiToken = await unwrap(client.api.v1.me.tokens.$post({ json: { name: "script" } }));

    // Refused changes revoke nothing.
    await expectProblem(
      unwrap(client.api.v1.me.$patch({ json: { password: "newpassword1", currentPassword: "not my password" } })),
      400,
      "validation_failed",
    );
    await expectProblem(unwrap(client.api.v1.me.$patch({ json: { password: "short" } })), 400, "validation_failed");
    const kept = await refreshWith(refreshToken);

    const changed = await client.api.v1.me.$patch({ json: { password: "newpassword1", currentPassword: password } });
    expect(changed.status).toBe(200);
    const body = (await changed.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ id: user.id, email: user.email });
    expect(Object.keys(body).sort()).toEqual(["createdAt", "email", "id", "name", "updatedAt"]);

    // Every refresh token of every family, used or not, is signed out.
    for (const token of [kept.refreshToken, traded.refreshToken]) {
      const refused = await expectProblem(refreshWith(token), 401, "unauthenticated");
      expect(refused.problem.detail).toBe("this refresh token was signed out");
    }
    const live = await api.db.repo(refreshTokens).list({ where: { userId: user.id, revokedAt: null } });
    expect(live.data).toEqual([]);

    // The access token in hand runs out on its own; API tokens are separate credentials.
    expect((await unwrap(client.api.v1.me.$get())).id).toBe(user.id);
    expect((await unwrap(api.client(apiToken.token).api.v1.me.$get())).id).toBe(user.id);

    await expectProblem(
      unwrap(api.client().api.v1.auth.login.$post({ json: { email: user.email, password } })),
      401,
      "unauthenticated",
    );
    const again = await unwrap(
      api.client().api.v1.auth.login.$post({ json: { email: user.email, password: "newpassword1" } }),
    );
    await refreshWith(again.refreshToken);
  });

  it("leaves no session alive when refreshes race a password change", async () => {
    const { client, user, password } = await api.signUp("Racer");
    const logins = await Promise.all(
      Array.from({ length: 4 }, () =>
        unwrap(api.client().api.v1.auth.login.$post({ json: { email: user.email, password } })),
      ),
    );
    /** Keeps trading the session's refresh token until it is refused. */
    const keepRefreshing = async (refreshToken: string) => {
      for (let i = 0; i < 50; i++) {
        const res = await post("/auth/refresh", { refreshToken });
        if (res.status !== 200) return;
        refreshToken = ((await res.json()) as { refreshToken: string }).refreshToken;
      }
    };
    const change = unwrap(client.api.v1.me.$patch({ json: { password: "newpassword1", currentPassword: password } }));
    await Promise.all([...logins.map((login) => keepRefreshing(login.refreshToken)), change]);
    // Whichever refreshes got in before the change, the tokens they were given are signed out with the rest.
    const live = await api.db.repo(refreshTokens).list({ where: { userId: user.id, revokedAt: null } });
    expect(live.data).toEqual([]);
  });

  it("refuses unknown fields in auth and token bodies with 400, and takes nothing from them", async () => {
    const { client, user, password, refreshToken, accessToken } = await api.signUp("Strict");
    const bearer = { Authorization: `Bearer ${accessToken}` };
    const unknownField = async (res: Response, field: string) => {
      expect(res.status, field).toBe(400);
      const problem = (await res.json()) as { code: string; errors: unknown[] };
      expect(problem.code).toBe("validation_failed");
      expect(problem.errors).toEqual([{ path: `body.${field}`, message: "not a known field" }]);
    };

    await unknownField(await post("/me/tokens", { name: "x", scopes: ["admin"] }, bearer), "scopes");
    expect(await api.db.repo(apiTokens).count({ userId: user.id })).toBe(0);

    const owner = await api.person("Strict owner");
    const { teamId } = await api.teamProject(owner);
    const agent = await api.agent(teamId);
    const ownerBearer = { Authorization: `Bearer ${owner.accessToken}` };
    await unknownField(
      await post(`/agents/${agent.id}/tokens`, { name: "x", scopes: ["admin"] }, ownerBearer),
      "scopes",
    );
    expect(await api.db.repo(apiTokens).count({ agentId: agent.id })).toBe(1); // the one the harness made

    const email = `strict-${crypto.randomUUID()}@example.com`;
    await unknownField(await post("/auth/signup", { email, password, name: "S", role: "admin" }), "role");
    expect(await api.db.repo(users).find({ email })).toBeNull();
    await unknownField(await post("/auth/login", { email: user.email, password, remember: true }), "remember");
    await unknownField(await post("/auth/refresh", { refreshToken, scopes: ["admin"] }), "scopes");
    await unknownField(await post("/auth/logout", { refreshToken, everywhere: true }), "everywhere");
    // Neither the refused refresh nor the refused logout touched the token.
    await refreshWith(refreshToken);
    expect((await unwrap(client.api.v1.me.$get())).id).toBe(user.id);
  });

  it("ignores an Authorization header on the public auth routes: an expired token does not block a refresh", async () => {
    const { user, password, refreshToken } = await api.signUp("Stale");
    for (const headers of [
      { Authorization: "Bearer not.a.jwt" },
      { Authorization: "Basic abc" },
      { Authorization: "Bearer gwt_forged" },
    ]) {
      const login = await post("/auth/login", { email: user.email, password }, headers);
      expect(login.status, JSON.stringify(headers)).toBe(200);
    }
    const refreshed = await post("/auth/refresh", { refreshToken }, { Authorization: "Bearer expired.or.forged" });
    expect(refreshed.status).toBe(200);
    const { refreshToken: next } = (await refreshed.json()) as { refreshToken: string };
    expect((await post("/auth/logout", { refreshToken: next }, { Authorization: "Bearer x" })).status).toBe(204);
    const signup = await post(
      "/auth/signup",
      { email: `stale-${crypto.randomUUID()}@example.com`, password, name: "New" },
      { Authorization: "Bearer x" },
    );
    expect(signup.status).toBe(201);
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
    for (const json of [{ email: "moved@example.com" }, { password: "newpassword1" }]) {
      const refused = await expectProblem(unwrap(client.api.v1.me.$patch({ json })), 400, "validation_failed");
      // Located in the body like any other field of it, though the request left it out.
      expect(refused.problem.errors).toEqual([
        { path: "body.currentPassword", message: "give your current password to change email or password" },
      ]);
    }
    expect((await unwrap(client.api.v1.me.$get())).email).not.toBe("moved@example.com");
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
