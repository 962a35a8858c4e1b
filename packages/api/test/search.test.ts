import { type Client, unwrap } from "@groundwork/client";
import { hostileQueries, testDialects } from "@groundwork/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type Person, startTestApi, type TestApi } from "./harness.js";

type SearchQuery = { q: string; teamId?: string; projectId?: string; types?: string; limit?: string };

let slugs = 0;
const slug = () => `search-${process.pid}-${++slugs}`;

describe.each(testDialects())("search over HTTP on $name", (dialect) => {
  let api: TestApi;
  let owner: Person;
  let member: Person;
  let collaborator: Person;
  let outsider: Person;
  let teamId: string;
  let alpha: string;
  let beta: string;
  let outsiderTeamId: string;
  const ids: Record<string, string> = {};

  const search = (p: { client: Client }, query: SearchQuery) => unwrap(p.client.api.v1.search.$get({ query }));
  const found = async (p: { client: Client }, query: SearchQuery) =>
    (await search(p, query)).data.map((hit) => `${hit.type}:${hit.title}`).sort();

  beforeAll(async () => {
    api = await startTestApi(dialect);
    [owner, member, collaborator, outsider] = await Promise.all([
      api.person("Owner"),
      api.person("Member"),
      api.person("Collaborator"),
      api.person("Outsider"),
    ]);
    const v1 = owner.client.api.v1;
    teamId = (await unwrap(v1.teams.$post({ json: { name: "Shop", slug: slug() } }))).id;
    await unwrap(v1.teams[":teamId"].members.$post({ param: { teamId }, json: { userId: member.id, role: "member" } }));
    const project = (name: string) => unwrap(v1.teams[":teamId"].projects.$post({ param: { teamId }, json: { name } }));
    alpha = (await project("Alpha")).id;
    beta = (await project("Beta")).id;
    await unwrap(
      v1.projects[":id"].collaborators.$post({
        param: { id: alpha },
        json: { userId: collaborator.id, role: "viewer" },
      }),
    );

    const ticket = await unwrap(
      v1.projects[":id"].tickets.$post({
        param: { id: alpha },
        json: { title: "Checkout latency regression", overview: "The p99 of the payment step doubled since Friday." },
      }),
    );
    ids.ticket = ticket.id;
    const task = await unwrap(
      v1.tickets[":id"].tasks.$post({
        param: { id: ticket.id },
        json: { content: "Profile the checkout handler", description: "Flame graph under load" },
      }),
    );
    ids.task = "id" in task ? task.id : "";
    ids.file = (
      await unwrap(
        v1.projects[":id"].files.$post({
          param: { id: alpha },
          json: { path: "src/checkout/handler.ts", checksum: "c1", summary: "Takes the payment and writes the order" },
        }),
      )
    ).id;
    const chat = await unwrap(
      v1.projects[":id"].chats.$post({ param: { id: alpha }, json: { title: "Latency hunt" } }),
    );
    ids.chat = chat.id;
    ids.message = (
      await unwrap(
        v1.chats[":id"].messages.$post({
          param: { id: chat.id },
          json: { role: "assistant", content: "Most of the checkout latency comes from the payment gateway." },
        }),
      )
    ).id;
    const prompts = v1.teams[":teamId"].prompts;
    ids.teamPrompt = (
      await unwrap(prompts.$post({ param: { teamId }, json: { title: "Checkout reviewer", content: "Review it." } }))
    ).id;
    ids.betaPrompt = (
      await unwrap(
        prompts.$post({
          param: { teamId },
          json: { title: "Beta checkout notes", content: "Notes.", projectId: beta },
        }),
      )
    ).id;
    await unwrap(v1.projects[":id"].tickets.$post({ param: { id: beta }, json: { title: "Checkout copy for beta" } }));

    // Another team with the same words, which nobody above may see.
    const other = outsider.client.api.v1;
    outsiderTeamId = (await unwrap(other.teams.$post({ json: { name: "Elsewhere", slug: slug() } }))).id;
    const elsewhere = await unwrap(
      other.teams[":teamId"].projects.$post({ param: { teamId: outsiderTeamId }, json: { name: "Elsewhere" } }),
    );
    await unwrap(
      other.projects[":id"].tickets.$post({ param: { id: elsewhere.id }, json: { title: "Checkout elsewhere" } }),
    );
  });
  afterAll(() => api?.close());

  it("finds tickets, tasks, prompts, files and chat messages, ranked, with where each lives", async () => {
    const { data } = await search(member, { q: "checkout" });
    expect(data.map((h) => `${h.type}:${h.title}`).sort()).toEqual([
      "file:src/checkout/handler.ts",
      "message:Latency hunt",
      "prompt:Beta checkout notes",
      "prompt:Checkout reviewer",
      "task:Profile the checkout handler",
      "ticket:Checkout copy for beta",
      "ticket:Checkout latency regression",
    ]);
    expect(data.map((h) => h.rank)).toEqual(data.map((h) => h.rank).sort((a, b) => b - a));
    const byId = new Map(data.map((h) => [h.id, h]));
    expect(byId.get(ids.task ?? "")).toMatchObject({ type: "task", projectId: alpha, ticketId: ids.ticket });
    expect(byId.get(ids.message ?? "")).toMatchObject({ type: "message", projectId: alpha, chatId: ids.chat });
    expect(byId.get(ids.teamPrompt ?? "")).toMatchObject({ type: "prompt", projectId: null });
    expect(byId.get(ids.message ?? "")?.snippet).toMatch(/checkout latency comes from the payment gateway/);
    expect(byId.get(ids.ticket ?? "")).not.toHaveProperty("chatId");
  });

  it("needs every word, matches word starts, and ranks a title match above a body match", async () => {
    expect(await found(member, { q: "checkout payment" })).toEqual([
      "file:src/checkout/handler.ts",
      "message:Latency hunt",
      "ticket:Checkout latency regression",
    ]);
    expect(await found(member, { q: "flame grap" })).toEqual(["task:Profile the checkout handler"]);
    const { data } = await search(member, { q: "latency", types: "ticket,message" });
    expect(data.map((h) => h.type)).toEqual(["ticket", "message"]);
    expect(await found(member, { q: "nothing-like-this" })).toEqual([]);
  });

  it("narrows by kind, team and project, and caps the answer at limit", async () => {
    expect(await found(member, { q: "checkout", types: "ticket,file" })).toEqual([
      "file:src/checkout/handler.ts",
      "ticket:Checkout copy for beta",
      "ticket:Checkout latency regression",
    ]);
    expect(await found(member, { q: "checkout", projectId: beta })).toEqual([
      "prompt:Beta checkout notes",
      "ticket:Checkout copy for beta",
    ]);
    expect(await found(member, { q: "checkout", teamId, types: "prompt" })).toEqual([
      "prompt:Beta checkout notes",
      "prompt:Checkout reviewer",
    ]);
    expect((await search(member, { q: "checkout", limit: "2" })).data).toHaveLength(2);
    await expectProblem(search(member, { q: "checkout", types: "ticket,nope" }), 400, "validation_failed");
    await expectProblem(search(member, { q: "checkout", limit: "0" }), 400, "validation_failed");
    await expectProblem(search(member, { q: "" }), 400, "validation_failed");
  });

  it("shows each caller only what they may see", async () => {
    expect(await found(outsider, { q: "checkout" })).toEqual(["ticket:Checkout elsewhere"]);
    await expectProblem(search(outsider, { q: "checkout", teamId }), 404, "not_found");
    await expectProblem(search(outsider, { q: "checkout", projectId: alpha }), 404, "not_found");
    await expectProblem(search(member, { q: "checkout", teamId: outsiderTeamId }), 404, "not_found");

    // A collaborator sees their project only: not its sibling, not the team's prompts.
    expect(await found(collaborator, { q: "checkout" })).toEqual([
      "file:src/checkout/handler.ts",
      "message:Latency hunt",
      "task:Profile the checkout handler",
      "ticket:Checkout latency regression",
    ]);
    expect(await found(collaborator, { q: "checkout", teamId })).toHaveLength(4);
    await expectProblem(search(collaborator, { q: "checkout", projectId: beta }), 404, "not_found");

    const agent = await api.agent(teamId);
    expect(await found(agent, { q: "checkout" })).toHaveLength(7);
    await expectProblem(search(agent, { q: "checkout", teamId: outsiderTeamId }), 404, "not_found");

    const anonymous = await fetch(`${api.url}/api/v1/search?q=checkout`);
    expect(anonymous.status).toBe(401);
  });

  it("follows edits and deletes, and hides soft-deleted tickets and projects", async () => {
    const v1 = owner.client.api.v1;
    const ticket = await unwrap(
      v1.projects[":id"].tickets.$post({ param: { id: alpha }, json: { title: "Quasar alignment" } }),
    );
    expect(await found(member, { q: "quasar" })).toEqual(["ticket:Quasar alignment"]);
    await unwrap(v1.tickets[":id"].$patch({ param: { id: ticket.id }, json: { title: "Pulsar alignment" } }));
    expect(await found(member, { q: "quasar" })).toEqual([]);
    expect(await found(member, { q: "pulsar" })).toEqual(["ticket:Pulsar alignment"]);
    await unwrap(v1.tickets[":id"].$delete({ param: { id: ticket.id } }));
    expect(await found(member, { q: "pulsar" })).toEqual([]);

    await unwrap(v1.projects[":id"].$delete({ param: { id: beta } }));
    expect(await found(member, { q: "beta" })).toEqual([]);
    await unwrap(v1.projects[":id"].restore.$post({ param: { id: beta } }));
    expect(await found(member, { q: "beta" })).toEqual(["prompt:Beta checkout notes", "ticket:Checkout copy for beta"]);
  });

  it("answers any text a user can type with results or a validation problem, never an error", async () => {
    // What a browser sends for a lone surrogate: U+FFFD.
    const wellFormedOf = (q: string) => q.replace(/\p{Cs}/gu, "\uFFFD");
    const url = (q: string) => `/api/v1/search?q=${encodeURIComponent(wellFormedOf(q))}`;
    const raw = ["%00", "%FF%FE", "%ED%A0%80", "%E2%28%A1", "%", "%25%27%22", "+", "%2B%2B", "a&q=b", "q=a%26b"];
    const requests = [
      ...hostileQueries.map((q) => ({ q, path: url(q) })),
      ...raw.map((q) => ({ q, path: `/api/v1/search?q=${q}` })),
    ];
    for (const { q, path } of requests) {
      const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${member.accessToken}` } });
      const body = (await res.json()) as { data?: unknown[]; code?: string };
      const wellFormed = wellFormedOf(q);
      // Refused: no words at all, too long, U+0000 (never storable, so refused everywhere), a repeated q.
      const expectedStatus =
        wellFormed.length === 0 || wellFormed.length > 2000 || q.includes("\u0000") || q === "%00" || q === "a&q=b"
          ? 400
          : 200;
      expect([q.slice(0, 40), res.status]).toEqual([q.slice(0, 40), expectedStatus]);
      if (res.status === 200) expect(Array.isArray(body.data)).toBe(true);
      else expect(body.code).toBe("validation_failed");
    }
    // Syntax around real words is ignored, and the words still count.
    expect(await found(member, { q: "\"checkout' AND (latency OR) NOT* -regression:" })).toEqual([]);
    expect(await found(member, { q: "\"checkout' (latency) regression*:" })).toEqual([
      "ticket:Checkout latency regression",
    ]);
  });
});
