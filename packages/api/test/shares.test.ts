import { unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { tickets, users } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Person, startTestApi, type TestApi } from "./harness.js";

interface SharedView {
  id: string;
  tickets: { number: number }[];
  nextCursor: string | null;
}

describe.each(testDialects())("share links' public view on $name", (dialect) => {
  let api: TestApi;
  let owner: Person;
  /** A project of five tickets (#1 oldest, #5 newest) and the token of its share link. */
  let project: { id: string; token: string };

  beforeAll(async () => {
    api = await startTestApi(dialect);
    owner = await api.person("Sharer");
    const { projectId } = await api.teamProject(owner);
    for (let number = 1; number <= 5; number++) {
      await api.db.repo(tickets).create({
        projectId,
        number,
        title: `Ticket ${number}`,
        createdAt: new Date(Date.now() - (10 - number) * 1000),
      });
    }
    const share = await unwrap(
      owner.client.api.v1.projects[":id"].shares.$post({ param: { id: projectId }, json: {} }),
    );
    project = { id: projectId, token: share.token };
  });
  afterAll(() => api?.close());

  const shared = (query = "", headers: Record<string, string> = {}, token = project.token) =>
    fetch(`${api.url}/api/v1/shared/${encodeURIComponent(token)}${query}`, { headers });

  it("ignores an Authorization header it does not need, whatever it holds", async () => {
    const gone = await api.person("Gone");
    await api.db.repo(users).delete(gone.id);
    for (const headers of [
      { Authorization: "Bearer not.a.jwt" },
      { Authorization: "Basic abc" },
      { Authorization: "Bearer gwt_forged" },
      { Authorization: `Bearer ${gone.accessToken}` }, // a deleted user's token: signed, but no one's
      { Authorization: `Bearer ${owner.accessToken}` },
    ]) {
      const res = await shared("", headers);
      expect(res.status, headers.Authorization).toBe(200);
      expect(((await res.json()) as SharedView).id).toBe(project.id);
    }
    // An unknown link is still 404, not 401.
    expect((await shared("", { Authorization: "Bearer x" }, "gws_unknown")).status).toBe(404);
  });

  it("pages its tickets, newest first, with a cursor; one page of all of them by default", async () => {
    const whole = (await (await shared()).json()) as SharedView;
    expect(whole.tickets.map((t) => t.number)).toEqual([5, 4, 3, 2, 1]);
    expect(whole.nextCursor).toBeNull();

    const numbers: number[] = [];
    let query = "?limit=2";
    for (let pages = 0; pages < 5; pages++) {
      const page = (await (await shared(query)).json()) as SharedView;
      expect(page.tickets.length).toBeLessThanOrEqual(2);
      numbers.push(...page.tickets.map((t) => t.number));
      if (page.nextCursor === null) break;
      query = `?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`;
    }
    expect(numbers).toEqual([5, 4, 3, 2, 1]);
  });

  it("answers a bad page request with 400 at the query parameter", async () => {
    for (const [query, path] of [
      ["?limit=0", "query.limit"],
      ["?limit=201", "query.limit"],
      ["?limit=two", "query.limit"],
      ["?limit=0x2", "query.limit"],
      ["?limit=2e0", "query.limit"],
      ["?cursor=not-a-cursor", "query.cursor"],
    ] as const) {
      const res = await shared(query);
      expect(res.status, query).toBe(400);
      const problem = (await res.json()) as { code: string; errors: { path: string }[] };
      expect(problem.code, query).toBe("validation_failed");
      expect(
        problem.errors.map((e) => e.path),
        query,
      ).toEqual([path]);
    }
  });
});
