import { type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { agents, auditLogs, costs, projects, queueItems, queues, tickets } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type Person, startTestApi, type TestApi } from "./harness.js";

interface Entry {
  agentId?: string | null;
  queueItemId?: string | null;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  amountMicros: number;
  currency?: string;
  occurredAt?: string;
}

interface Sums {
  key: string | null;
  currency: string;
  amountMicros: number;
  inputTokens: number;
  outputTokens: number;
  count: number;
}

let slugs = 0;
const slug = () => `costs-${process.pid}-${++slugs}`;
const DAY = 24 * 60 * 60 * 1000;
const BASE = Date.UTC(2024, 2, 10);

/** The expected summary: entries summed by `keyOf`, null keys last, then by key. */
function expectedSums<E extends Entry>(entries: E[], keyOf: (e: E) => string | null): Sums[] {
  const groups = new Map<string | null, Sums>();
  for (const e of entries) {
    const key = keyOf(e);
    const sums = groups.get(key) ?? {
      key,
      currency: "USD",
      amountMicros: 0,
      inputTokens: 0,
      outputTokens: 0,
      count: 0,
    };
    sums.amountMicros += e.amountMicros;
    sums.inputTokens += e.inputTokens;
    sums.outputTokens += e.outputTokens;
    sums.count += 1;
    groups.set(key, sums);
  }
  return [...groups.values()].sort((a, b) =>
    a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1,
  );
}

describe.each(testDialects())("costs over HTTP on $name", (dialect) => {
  let api: TestApi;
  let owner: Person;
  let member: Person;
  let viewer: Person;
  let outsider: Person;

  beforeAll(async () => {
    api = await startTestApi(dialect);
    [owner, member, viewer, outsider] = (await Promise.all(
      ["Owner", "Member", "Viewer", "Outsider"].map((name) => api.person(name)),
    )) as [Person, Person, Person, Person];
  });
  afterAll(() => api?.close());

  /** A team with member and viewer, a project made directly in the database, and three agents. */
  const fresh = async (owned: Person = owner) => {
    const team = await unwrap(owned.client.api.v1.teams.$post({ json: { name: "Team", slug: slug() } }));
    if (owned === owner) {
      const members = owner.client.api.v1.teams[":teamId"].members;
      await unwrap(members.$post({ param: { teamId: team.id }, json: { userId: member.id, role: "member" } }));
      await unwrap(members.$post({ param: { teamId: team.id }, json: { userId: viewer.id, role: "viewer" } }));
    }
    const project = await api.db.repo(projects).create({ teamId: team.id, name: "Project" });
    const bots = await Promise.all(
      ["A", "B", "C"].map((name) => api.db.repo(agents).create({ teamId: team.id, name, provider: "p", model: "m" })),
    );
    return { team, project, agentIds: bots.map((b) => b.id).sort() };
  };

  const costsApi = (client: Client) => ({
    record: (id: string, json: Entry | Entry[]) =>
      unwrap(client.api.v1.projects[":id"].costs.$post({ param: { id }, json })),
    list: (
      id: string,
      query: {
        agentId?: string;
        model?: string;
        from?: string;
        to?: string;
        limit?: string;
        cursor?: string;
        sort?: string;
      } = {},
    ) => unwrap(client.api.v1.projects[":id"].costs.$get({ param: { id }, query })),
    summary: (id: string, query: { groupBy: "agent" | "model" | "day"; from?: string; to?: string }) =>
      unwrap(client.api.v1.projects[":id"].costs.summary.$get({ param: { id }, query })),
    teamSummary: (
      teamId: string,
      query: { groupBy: "project" | "agent" | "model" | "day"; from?: string; to?: string },
    ) => unwrap(client.api.v1.teams[":teamId"].costs.summary.$get({ param: { teamId }, query })),
  });

  /** `n` entries over five UTC days (some a millisecond before midnight), three agents and none, two models. */
  const entriesFor = (
    agentIds: string[],
    n: number,
    model: (i: number) => string = (i) => (i % 2 ? "opus" : "haiku"),
  ): Entry[] =>
    Array.from({ length: n }, (_, i) => ({
      agentId: i % 4 === 3 ? null : agentIds[i % 3],
      provider: "anthropic",
      model: model(i),
      inputTokens: (i * 7919) % 100_000,
      outputTokens: (i * 104_729) % 50_000,
      // Large enough that floating-point sums would drift; the total stays below 2^53.
      amountMicros: 1_000_000_007 + ((i * 2_654_435_761) % 9_000_000_000),
      occurredAt: new Date(BASE + (i % 5) * DAY + (i % 7 === 0 ? DAY - 1 : (i % 24) * 3_600_000)).toISOString(),
    }));

  const dayOf = (e: Entry) => (e.occurredAt as string).slice(0, 10);

  it("records one entry with defaults, and lists it newest first", async () => {
    const { project, agentIds } = await fresh();
    const as = costsApi(member.client);
    const res = await member.client.api.v1.projects[":id"].costs.$post({
      param: { id: project.id },
      json: {
        agentId: agentIds[0],
        provider: "openai",
        model: "gpt",
        inputTokens: 10,
        outputTokens: 20,
        amountMicros: 1500,
      },
    });
    expect(res.status).toBe(201);
    const one = await res.json();
    expect(one).toMatchObject({
      projectId: project.id,
      agentId: agentIds[0],
      queueItemId: null,
      currency: "USD",
      inputTokens: 10,
      outputTokens: 20,
      amountMicros: 1500,
    });
    expect(Array.isArray(one)).toBe(false);
    const older = await as.record(project.id, {
      provider: "openai",
      model: "gpt",
      inputTokens: 1,
      outputTokens: 1,
      amountMicros: 1,
      currency: "eur",
      occurredAt: "2020-01-01T00:00:00Z",
    });
    expect(older).toMatchObject({ currency: "EUR", occurredAt: "2020-01-01T00:00:00.000Z" });
    const times = [
      ["2020-01-02T03:04:05.678+02:00", "2020-01-02T01:04:05.678Z"],
      ["2020-01-02", "2020-01-02T00:00:00.000Z"],
      [Date.UTC(2020, 0, 3, 12), "2020-01-03T12:00:00.000Z"],
    ] as const;
    for (const [occurredAt, stored] of times) {
      const entry = { provider: "p", model: "m", inputTokens: 0, outputTokens: 0, amountMicros: 0 };
      expect(await as.record(project.id, { ...entry, occurredAt: occurredAt as string })).toMatchObject({
        occurredAt: stored,
      });
    }
    const listed = await costsApi(viewer.client).list(project.id, { from: "2020-01-01" });
    expect(listed.data.map((c) => c.amountMicros)).toEqual([1500, 0, 0, 0, 1]);

    const audit = await api.db
      .repo(auditLogs)
      .list({ where: { action: "costs.recorded", entityId: (one as { id: string }).id } });
    expect(audit.data[0]?.changes).toEqual({ after: { projectId: project.id, count: 1, amountMicros: { USD: 1500 } } });

    // Viewers read but do not record.
    await expectProblem(
      costsApi(viewer.client).record(project.id, {
        provider: "p",
        model: "m",
        inputTokens: 0,
        outputTokens: 0,
        amountMicros: 0,
      }),
      403,
      "forbidden",
    );
  });

  it("refuses floats, negatives, strings and foreign agents with 400, writing nothing", async () => {
    const { project } = await fresh();
    const other = await fresh(outsider);
    const as = costsApi(member.client);
    const base: Entry = { provider: "p", model: "m", inputTokens: 1, outputTokens: 1, amountMicros: 1 };
    for (const bad of [
      { amountMicros: 1.5 },
      { inputTokens: 2.5 },
      { outputTokens: -1 },
      { amountMicros: "100" as unknown as number },
      { amountMicros: 2 ** 60 },
      { currency: "dollars" },
      { agentId: other.agentIds[0] },
      { agentId: "01890a5d-ac96-774b-bcce-b302099a8057" },
      { queueItemId: "01890a5d-ac96-774b-bcce-b302099a8057" },
    ]) {
      const { problem } = await expectProblem(as.record(project.id, { ...base, ...bad }), 400, "validation_failed");
      // The error names the field, not just the entry (which is not an array of entries either),
      // where the route's validators find it and where the service does (a foreign agent).
      const field = Object.keys(bad)[0] as string;
      expect(new Set(problem.errors?.map((e) => e.path))).toEqual(new Set([`body.${field}`]));
    }
    // Times are ISO 8601 text or epoch milliseconds; what JavaScript's own parsing would make of
    // anything else (the year 2001 for "1" and "March 3", 1970 for true) is refused.
    const notATime =
      "must be a date and time with its offset, such as 2026-01-31T09:00:00Z, or a date, such as 2026-01-31, or epoch milliseconds";
    for (const occurredAt of ["1", "March 3", "yesterday", "2024-02-30", "2024-03-10T10:00", true, null, -1, 1.5]) {
      const refused = as.record(project.id, { ...base, occurredAt: occurredAt as string });
      const { problem } = await expectProblem(refused, 400, "validation_failed");
      expect(
        problem.errors?.map((e) => e.path),
        String(occurredAt),
      ).toEqual(["body.occurredAt"]);
      // A number is epoch milliseconds: what is wrong with it is said of it.
      if (typeof occurredAt !== "number") expect(problem.errors?.[0]?.message).toBe(notATime);
    }
    await expectProblem(as.record(project.id, []), 400, "validation_failed");
    await expectProblem(
      as.record(
        project.id,
        Array.from({ length: 1001 }, () => base),
      ),
      400,
      "validation_failed",
    );
    expect(await api.db.repo(costs).count({ projectId: project.id })).toBe(0);
  });

  it("records 1,000 entries at once, or none of them when one is bad", async () => {
    const { team, project, agentIds } = await fresh();
    const as = costsApi(member.client);
    const entries = entriesFor(agentIds, 1000);

    const badAmount = entries.map((e, i) => (i === 500 ? { ...e, amountMicros: 0.5 } : e));
    await expectProblem(as.record(project.id, badAmount), 400, "validation_failed");
    const other = await fresh(outsider);
    const badAgent = entries.map((e, i) => (i === 999 ? { ...e, agentId: other.agentIds[0] } : e));
    await expectProblem(as.record(project.id, badAgent), 400, "validation_failed");
    expect(await api.db.repo(costs).count({ projectId: project.id })).toBe(0);
    const audits = () => api.db.repo(auditLogs).count({ teamId: team.id, action: "costs.recorded" });
    expect(await audits()).toBe(0);

    const created = (await as.record(project.id, entries)) as { amountMicros: number; agentId: string | null }[];
    expect(created).toHaveLength(1000);
    expect(created.map((c) => c.amountMicros)).toEqual(entries.map((e) => e.amountMicros));
    expect(await api.db.repo(costs).count({ projectId: project.id })).toBe(1000);
    expect(await audits()).toBe(1);

    // Pages of the list walk every entry once, newest first.
    const seen: string[] = [];
    let cursor: string | undefined;
    let last = Number.POSITIVE_INFINITY;
    do {
      const page = await as.list(project.id, { limit: "200", ...(cursor ? { cursor } : {}) });
      for (const c of page.data) {
        expect(Date.parse(c.occurredAt)).toBeLessThanOrEqual(last);
        last = Date.parse(c.occurredAt);
        seen.push(c.id);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(1000);
  });

  it("sums exactly by agent, model and UTC day, filters by time, agent and model", async () => {
    const { project, agentIds } = await fresh();
    const entries = entriesFor(agentIds, 600);
    await costsApi(member.client).record(project.id, entries);
    const as = costsApi(viewer.client);

    expect((await as.summary(project.id, { groupBy: "agent" })).data).toEqual(
      expectedSums(entries, (e) => e.agentId ?? null),
    );
    expect((await as.summary(project.id, { groupBy: "model" })).data).toEqual(expectedSums(entries, (e) => e.model));
    const byDay = await as.summary(project.id, { groupBy: "day" });
    expect(byDay.data).toEqual(expectedSums(entries, dayOf));
    expect(byDay.data.map((d) => d.key)).toEqual([
      "2024-03-10",
      "2024-03-11",
      "2024-03-12",
      "2024-03-13",
      "2024-03-14",
    ]);

    // From inclusive, to exclusive: the middle three days.
    const from = new Date(BASE + DAY).toISOString();
    const to = new Date(BASE + 4 * DAY).toISOString();
    const inside = entries.filter((e) => (e.occurredAt as string) >= from && (e.occurredAt as string) < to);
    expect((await as.summary(project.id, { groupBy: "day", from, to })).data).toEqual(expectedSums(inside, dayOf));
    expect((await as.summary(project.id, { groupBy: "model", from, to })).data).toEqual(
      expectedSums(inside, (e) => e.model),
    );
    const listed = await as.list(project.id, { from, to, limit: "200", agentId: agentIds[0], model: "opus" });
    expect(listed.data.length).toBe(inside.filter((e) => e.agentId === agentIds[0] && e.model === "opus").length);
    expect(listed.data.every((c) => c.agentId === agentIds[0] && c.model === "opus")).toBe(true);

    await expectProblem(as.summary(project.id, { groupBy: "project" as "day" }), 400, "validation_failed");
    await expectProblem(as.list(project.id, { sort: "provider" }), 400, "validation_failed");
  });

  it("sums entries of the largest size past 64 bits without failing, as close as a number holds", async () => {
    const { team, project } = await fresh();
    const largest = { provider: "p", model: "m", inputTokens: 2 ** 53 - 1, outputTokens: 1, amountMicros: 2 ** 53 - 1 };
    const as = costsApi(member.client);
    await as.record(
      project.id,
      Array.from({ length: 1000 }, () => largest),
    );
    await as.record(
      project.id,
      Array.from({ length: 25 }, () => largest),
    );
    // 1,025 × (2^53 − 1) is past 2^63, where SQLite's integer sum() fails.
    const exact = Number(1025n * BigInt(2 ** 53 - 1));
    for (const summary of [
      await as.summary(project.id, { groupBy: "model" }),
      await as.teamSummary(team.id, { groupBy: "project" }),
    ]) {
      const [row] = summary.data;
      expect(summary.data).toHaveLength(1);
      expect(Math.abs((row?.amountMicros ?? 0) - exact) / exact).toBeLessThan(1e-12);
      expect(Math.abs((row?.inputTokens ?? 0) - exact) / exact).toBeLessThan(1e-12);
      expect(row).toMatchObject({ outputTokens: 1025, count: 1025 });
    }
  });

  it("sums a team's costs across its projects, and leaves other teams' out", async () => {
    const { team, project, agentIds } = await fresh();
    const second = await api.db.repo(projects).create({ teamId: team.id, name: "Second" });
    const first = entriesFor(agentIds, 300);
    const more = entriesFor(agentIds, 200, (i) => (i % 3 ? "sonnet" : "haiku"));
    await costsApi(member.client).record(project.id, first);
    await costsApi(member.client).record(second.id, more);
    const other = await fresh(outsider);
    await costsApi(outsider.client).record(other.project.id, entriesFor(other.agentIds, 50));

    const as = costsApi(viewer.client);
    const all = [
      ...first.map((e) => ({ ...e, projectId: project.id })),
      ...more.map((e) => ({ ...e, projectId: second.id })),
    ];
    expect((await as.teamSummary(team.id, { groupBy: "project" })).data).toEqual(expectedSums(all, (e) => e.projectId));
    expect((await as.teamSummary(team.id, { groupBy: "model" })).data).toEqual(expectedSums(all, (e) => e.model));
    expect((await as.teamSummary(team.id, { groupBy: "agent" })).data).toEqual(
      expectedSums(all, (e) => e.agentId ?? null),
    );
    const from = new Date(BASE + 2 * DAY).toISOString();
    expect((await as.teamSummary(team.id, { groupBy: "day", from })).data).toEqual(
      expectedSums(
        all.filter((e) => (e.occurredAt as string) >= from),
        dayOf,
      ),
    );
  });

  it("lets an agent record its own costs only, against items of the project; people record any agent's", async () => {
    const { team, project, agentIds } = await fresh();
    const [self, other] = agentIds as [string, string];
    const { token } = await api.server.auth.createApiToken(
      { db: api.db, principal: { kind: "user", userId: owner.id } },
      { name: "bot" },
      { agentId: self },
    );
    const bot = costsApi(api.client(token));
    const itemOf = async (projectId: string, number: number) => {
      const queue = await api.db.repo(queues).create({ projectId, name: `q${number}` });
      const ticket = await api.db.repo(tickets).create({ projectId, number, title: "T" });
      return api.db.repo(queueItems).create({ queueId: queue.id, ticketId: ticket.id });
    };
    const ours = await itemOf(project.id, 1);
    const elsewhere = await itemOf((await api.db.repo(projects).create({ teamId: team.id, name: "Other" })).id, 2);
    const base: Entry = { provider: "p", model: "m", inputTokens: 1, outputTokens: 1, amountMicros: 1 };

    for (const [bad, path] of [
      [{ ...base, agentId: other }, "body.agentId"],
      [[base, { ...base, agentId: other }], "body.1.agentId"],
      [{ ...base, queueItemId: elsewhere.id }, "body.queueItemId"],
    ] as const) {
      const { problem } = await expectProblem(bot.record(project.id, bad as Entry | Entry[]), 400, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toEqual([path]);
    }
    expect(await api.db.repo(costs).count({ projectId: project.id })).toBe(0);

    // Left out, or even null, the agent is the one recording; its own id is fine too.
    const recorded = (await bot.record(project.id, [
      base,
      { ...base, agentId: null },
      { ...base, agentId: self, queueItemId: ours.id },
    ])) as { agentId: string | null; queueItemId: string | null }[];
    expect(recorded.map((c) => c.agentId)).toEqual([self, self, self]);
    expect(recorded[2]?.queueItemId).toBe(ours.id);
    // People record costs for any agent of the team, or for none.
    expect(await costsApi(member.client).record(project.id, { ...base, agentId: other })).toMatchObject({
      agentId: other,
    });
    expect(await costsApi(member.client).record(project.id, base)).toMatchObject({ agentId: null });
  });

  it("refuses a time range that ends before it starts, at query.to", async () => {
    const { team, project, agentIds } = await fresh();
    await costsApi(member.client).record(project.id, entriesFor(agentIds, 10));
    const as = costsApi(viewer.client);
    const from = new Date(BASE + 2 * DAY).toISOString();
    const to = new Date(BASE + DAY).toISOString();
    for (const call of [
      () => as.list(project.id, { from, to }),
      () => as.summary(project.id, { groupBy: "day", from, to }),
      () => as.teamSummary(team.id, { groupBy: "agent", from, to }),
    ]) {
      const { problem } = await expectProblem(call(), 400, "validation_failed");
      expect(problem.errors).toEqual([{ path: "query.to", message: "must not be before from" }]);
    }
    // An empty range is a fair question, whose answer is nothing.
    expect((await as.list(project.id, { from, to: from })).data).toEqual([]);
    expect((await as.summary(project.id, { groupBy: "day", from, to: from })).data).toEqual([]);
  });

  it("answers 404 to every cost route from another team's user or agent", async () => {
    const { team, project, agentIds } = await fresh();
    await costsApi(member.client).record(project.id, entriesFor(agentIds, 3));
    const other = await fresh(outsider);
    const { token } = await api.server.auth.createApiToken(
      { db: api.db, principal: { kind: "user", userId: outsider.id } },
      { name: "spy" },
      { agentId: other.agentIds[0] as string },
    );
    for (const client of [outsider.client, api.client(token)]) {
      const o = costsApi(client);
      await expectProblem(o.list(project.id), 404, "not_found");
      await expectProblem(o.record(project.id, entriesFor(agentIds, 1)), 404, "not_found");
      await expectProblem(o.summary(project.id, { groupBy: "model" }), 404, "not_found");
      await expectProblem(o.teamSummary(team.id, { groupBy: "model" }), 404, "not_found");
    }
    expect(await api.db.repo(costs).count({ projectId: project.id })).toBe(3);
  });
});
