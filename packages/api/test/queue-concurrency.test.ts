import { ApiError, type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { agents, auditLogs, costs, projects, queueItems, tasks, tickets } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness.js";

const AGENTS = 20;
const TICKET_ITEMS = 300;
const TASK_ITEMS = 200;
const MAX_PARALLEL = 4;
const MAX_ATTEMPTS = 3;
// The agents stop as soon as the queue is drained (a few seconds on SQLite or a PostgreSQL server);
// embedded PGlite runs every statement in this process and needs far longer on a busy 2-core machine.
const DEADLINE_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One successful claim, as the claiming agent saw it: a window inside the time it really held the item. */
interface Claim {
  itemId: string;
  agentId: string;
  attempt: number;
  /** When the claim's answer arrived (the item was held since before). */
  start: number;
  /** When the agent let go (sent complete or fail), or the lease's end for one it walked away from. */
  end: number;
  outcome: "completed" | "failed" | "walked" | "lost";
}

describe.each(testDialects())("concurrent claims on $name", (dialect) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(dialect);
  });
  afterAll(() => api?.close());

  it(
    `${AGENTS} agents drain ${TICKET_ITEMS + TASK_ITEMS} items: no item twice at once, never more than ${MAX_PARALLEL} in progress`,
    async () => {
      const { client: ownerClient, user } = await api.signUp("Owner");
      const team = await unwrap(
        ownerClient.api.v1.teams.$post({
          json: { name: "Swarm", slug: `swarm-${process.pid}-${dialect.name.length}` },
        }),
      );
      const project = await api.db.repo(projects).create({ teamId: team.id, name: "Swarm" });
      const queue = await unwrap(
        ownerClient.api.v1.projects[":id"].queues.$post({
          param: { id: project.id },
          json: { name: "work", maxParallel: MAX_PARALLEL, leaseSeconds: 1, maxAttempts: MAX_ATTEMPTS },
        }),
      );

      // The work, made directly for speed: tickets, one more ticket holding the tasks, and their items.
      const ticketRows = await api.db.repo(tickets).createMany(
        Array.from({ length: TICKET_ITEMS + 1 }, (_, i) => ({
          projectId: project.id,
          number: i + 1,
          title: `T${i}`,
        })),
      );
      const parent = ticketRows.pop();
      const taskRows = await api.db.repo(tasks).createMany(
        Array.from({ length: TASK_ITEMS }, (_, i) => ({
          ticketId: parent?.id as string,
          content: `S${i}`,
          orderIndex: i,
        })),
      );
      const items = await api.db
        .repo(queueItems)
        .createMany([
          ...ticketRows.map((t, i) => ({ queueId: queue.id, ticketId: t.id, priority: i % 11 })),
          ...taskRows.map((t, i) => ({ queueId: queue.id, taskId: t.id, priority: (i * 7) % 11 })),
        ]);
      // Every 40th item always fails: those must end dead after exactly MAX_ATTEMPTS claims.
      const poison = new Set(items.filter((_, i) => i % 40 === 0).map((item) => item.id));

      const bots = await api.db.repo(agents).createMany(
        Array.from({ length: AGENTS }, (_, i) => ({
          teamId: team.id,
          name: `Bot ${i}`,
          provider: "test",
          model: "m",
        })),
      );
      const clients: { id: string; client: Client }[] = [];
      for (const bot of bots) {
        const { token } = await api.server.auth.createApiToken(
          { db: api.db, principal: { kind: "user", userId: user.id } },
          { name: bot.name },
          { agentId: bot.id },
        );
        clients.push({ id: bot.id, client: api.client(token) });
      }

      const claims: Claim[] = [];
      const unexpected: string[] = [];
      let costsRecorded = 0;
      let running = true;
      const deadline = Date.now() + DEADLINE_MS;

      const drained = async () => {
        const live = await api.db
          .repo(queueItems)
          .count({ queueId: queue.id, status: { in: ["queued", "in_progress"] } });
        return live === 0;
      };

      const work = async ({ id, client }: { id: string; client: Client }) => {
        const v1 = client.api.v1;
        while (Date.now() < deadline) {
          const item = await unwrap(v1.queues[":id"].claim.$post({ param: { id: queue.id }, json: {} }));
          if (!item) {
            if (await drained()) return;
            await sleep(10 + Math.random() * 30);
            continue;
          }
          const claim: Claim = {
            itemId: item.id,
            agentId: id,
            attempt: item.attempts,
            start: Date.now(),
            end: Number.POSITIVE_INFINITY,
            outcome: "walked",
          };
          claims.push(claim);
          if (item.agentId !== id || item.status !== "in_progress") unexpected.push(`claim answered ${item.status}`);
          const leaseEnd = new Date(item.leaseExpiresAt ?? 0).getTime();
          await sleep(Math.random() * 8);
          const roll = Math.random();
          const param = { param: { id: item.id } };
          try {
            if (poison.has(item.id) || roll < 0.15) {
              claim.end = Math.min(Date.now(), leaseEnd);
              await unwrap(v1["queue-items"][":id"].fail.$post({ ...param, json: { error: "flaky" } }));
              claim.outcome = "failed";
            } else if (roll < 0.19) {
              // Walk away: the lease runs out and someone else claims it.
              claim.end = leaseEnd;
            } else {
              const withCosts = roll > 0.9;
              const json = withCosts
                ? {
                    result: { by: id },
                    costs: [{ provider: "test", model: "m", inputTokens: 10, outputTokens: 5, amountMicros: 7 }],
                  }
                : { result: { by: id } };
              claim.end = Math.min(Date.now(), leaseEnd);
              await unwrap(v1["queue-items"][":id"].complete.$post({ ...param, json }));
              claim.outcome = "completed";
              if (withCosts) costsRecorded++;
            }
          } catch (error) {
            // A slow round trip can outlive a one-second lease: the item went to someone else.
            if (error instanceof ApiError && error.status === 409) claim.outcome = "lost";
            else unexpected.push(String(error));
          }
        }
      };

      // Meanwhile, count items in progress with a live lease, a few hundred times.
      let maxSeen = 0;
      let polls = 0;
      const poll = async () => {
        while (running) {
          // A margin on "live": a claim may commit between taking the time and counting.
          const seen = await api.db.repo(queueItems).count({
            queueId: queue.id,
            status: "in_progress",
            leaseExpiresAt: { gt: new Date(Date.now() + 100) },
          });
          maxSeen = Math.max(maxSeen, seen);
          polls++;
          await sleep(15);
        }
      };

      const poller = poll();
      await Promise.all(clients.map(work));
      running = false;
      await poller;

      expect(unexpected).toEqual([]);
      expect(polls).toBeGreaterThan(100);
      expect(maxSeen).toBeLessThanOrEqual(MAX_PARALLEL);
      expect(maxSeen).toBeGreaterThan(0);

      // Every item ended completed or dead.
      const final = (await api.db.repo(queueItems).list({ where: { queueId: queue.id }, limit: 10_000 })).data;
      expect(final).toHaveLength(items.length);
      const byStatus = (status: string) => final.filter((item) => item.status === status);
      expect(final.filter((item) => item.status !== "completed" && item.status !== "dead")).toEqual([]);
      for (const item of byStatus("dead")) expect(item.attempts).toBe(MAX_ATTEMPTS);
      for (const id of poison) expect(final.find((item) => item.id === id)?.status).toBe("dead");

      // Claims per item: attempts 1, 2, … in order, as many as the item's attempts; one completion for completed items.
      const claimsOf = new Map<string, Claim[]>();
      for (const claim of claims) claimsOf.set(claim.itemId, [...(claimsOf.get(claim.itemId) ?? []), claim]);
      for (const item of final) {
        const mine = (claimsOf.get(item.id) ?? []).sort((a, b) => a.start - b.start);
        expect(mine.map((c) => c.attempt)).toEqual(Array.from({ length: item.attempts }, (_, i) => i + 1));
        expect(mine.filter((c) => c.outcome === "completed")).toHaveLength(item.status === "completed" ? 1 : 0);
        // Never held by two agents at once: each holder let go before the next claim came back.
        for (let i = 1; i < mine.length; i++) {
          expect((mine[i - 1] as Claim).end).toBeLessThanOrEqual((mine[i] as Claim).start);
        }
      }

      // Never more than maxParallel windows at once across the queue.
      const events = claims.flatMap((c) => [
        { at: c.start, delta: 1 },
        { at: c.end, delta: -1 },
      ]);
      events.sort((a, b) => a.at - b.at || a.delta - b.delta);
      let open = 0;
      let maxOpen = 0;
      for (const event of events) {
        open += event.delta;
        maxOpen = Math.max(maxOpen, open);
      }
      expect(maxOpen).toBeLessThanOrEqual(MAX_PARALLEL);

      // The work itself: closed tickets and completed tasks exactly for completed items, costs with their items.
      const completedIds = new Set(byStatus("completed").map((item) => item.ticketId ?? item.taskId));
      const closed = await api.db.repo(tickets).count({ projectId: project.id, status: "closed" });
      const done = await api.db.repo(tasks).count({ ticketId: parent?.id as string, done: true });
      expect(closed + done).toBe(completedIds.size);
      expect(await api.db.repo(costs).count({ projectId: project.id })).toBe(costsRecorded);
      const claimedAudits = await api.db.repo(auditLogs).count({ teamId: team.id, action: "queue_item.claimed" });
      expect(claimedAudits).toBe(claims.length);
      expect(claims.filter((c) => c.outcome === "walked").length).toBeGreaterThan(0);
    },
    DEADLINE_MS + 60_000,
  );
});
