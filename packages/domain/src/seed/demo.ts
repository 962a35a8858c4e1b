import { randomBytes } from "node:crypto";
import { type Database, type Session, UniqueViolationError } from "@groundwork/db";
import type { ServiceContext } from "../context.js";
import {
  activities,
  agents,
  auditLogs,
  chatMessages,
  chats,
  costs,
  fileAnalyses,
  files,
  projects,
  prompts,
  queueItems,
  queues,
  selectedFiles,
  tasks,
  teamMembers,
  teams,
  tickets,
  users,
} from "../schema/index.js";
import type { Auth } from "../services/auth.js";
import { hashPassword, verifyPassword } from "../services/passwords.js";

/** The sign-in of the demo workspace, printed by `groundwork serve` and `groundwork seed`. */
export const demoLogin = Object.freeze({ email: "demo@groundwork.dev", password: "groundwork-demo" });

export interface DemoSeedResult {
  /** False when the database already had users: nothing was written. */
  created: boolean;
  user: { email: string; password: string };
  /** The secret of the first agent's API token; it exists only in the answer of the run that created it. */
  agentToken?: string;
  /** The agent the token belongs to (when created). */
  agentName?: string;
  /** Rows written per table (when created). */
  counts?: Record<string, number>;
}

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/**
 * Fills an empty database with a demo workspace: two people in "Demo Team", a project with tickets
 * and tasks in every state, a work queue with items in several states, two agents with a week of
 * costs, an activity feed and audit rows, and an API token for the first agent. Everything is
 * written in one transaction, and only when the database has no users, so it runs at most once.
 */
export async function seedDemo(db: Database, auth: Auth): Promise<DemoSeedResult> {
  const notCreated: DemoSeedResult = { created: false, user: { ...demoLogin } };
  if ((await db.repo(users).count({}, { deleted: "include" })) > 0) return notCreated;
  // scrypt is slow on purpose: hash before the transaction so it holds the write lock briefly.
  const [demoHash, memberHash] = await Promise.all([
    hashPassword(demoLogin.password),
    hashPassword(randomBytes(24).toString("base64url")),
  ]);
  try {
    return await db.transaction(async (tx) => {
      // Checked again inside the transaction: another process may have seeded or signed up meanwhile.
      if ((await tx.repo(users).count({}, { deleted: "include" })) > 0) return notCreated;
      const written = await writeDemo(tx, auth, { demoHash, memberHash });
      return { created: true, user: { ...demoLogin }, ...written };
    });
  } catch (error) {
    // Two servers seeding one empty PostgreSQL database at once: the loser hits the unique email.
    if (error instanceof UniqueViolationError && error.table === "users") return notCreated;
    throw error;
  }
}

/** The demo sign-in when the demo user still exists and still has the demo password; null otherwise. */
export async function findDemoLogin(db: Database): Promise<{ email: string; password: string } | null> {
  const user = await db.repo(users).find({ email: demoLogin.email });
  if (!user || !(await verifyPassword(demoLogin.password, user.passwordHash))) return null;
  return { ...demoLogin };
}

async function writeDemo(
  tx: Session,
  auth: Auth,
  hashes: { demoHash: string; memberHash: string },
): Promise<Required<Pick<DemoSeedResult, "agentToken" | "agentName" | "counts">>> {
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms);

  const [demo, sam] = await tx.repo(users).createMany([
    { email: demoLogin.email, name: "Demo User", passwordHash: hashes.demoHash },
    { email: "sam@groundwork.dev", name: "Sam Rivera", passwordHash: hashes.memberHash },
  ]);
  if (!demo || !sam) throw new Error("seed: users were not created");

  const team = await tx.repo(teams).create({ name: "Demo Team", slug: "demo" });
  await tx.repo(teamMembers).createMany([
    { teamId: team.id, userId: demo.id, role: "owner" },
    { teamId: team.id, userId: sam.id, role: "member" },
  ]);

  const [builder, reviewer] = await tx.repo(agents).createMany([
    {
      teamId: team.id,
      name: "builder",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      config: { temperature: 0.2, maxOutputTokens: 8192 },
      status: "busy",
      lastSeenAt: ago(20_000),
    },
    {
      teamId: team.id,
      name: "reviewer",
      provider: "openai",
      model: "gpt-4.1",
      config: { temperature: 0 },
      status: "idle",
      lastSeenAt: ago(3 * HOUR),
    },
  ]);
  if (!builder || !reviewer) throw new Error("seed: agents were not created");

  // ---------------------------------------------------------------- the project, its tickets and tasks

  const ticketSpecs = [
    {
      title: "Audit the content of the current site",
      overview: "List every page, who owns it, and whether it moves to the new site.",
      status: "closed",
      priority: "normal",
      tags: ["content"],
      assigneeUserId: sam.id,
      createdByUserId: demo.id,
      age: 6 * DAY,
    },
    {
      title: "Preview deployments for every pull request",
      overview: "Each pull request gets its own preview URL, posted on the pull request.",
      status: "closed",
      priority: "high",
      tags: ["infra"],
      assigneeAgentId: builder.id,
      createdByUserId: demo.id,
      age: 6 * DAY - 2 * HOUR,
    },
    {
      title: "Build the new landing page",
      overview: "Hero, feature grid and pricing table from the new design system.",
      status: "in_progress",
      priority: "high",
      tags: ["frontend", "design"],
      assigneeAgentId: builder.id,
      createdByUserId: demo.id,
      age: 5 * DAY,
    },
    {
      title: "Move the blog to the new CMS",
      overview: "Export the posts, keep authors and tags, and redirect every old URL.",
      status: "in_progress",
      priority: "normal",
      tags: ["content", "backend"],
      assigneeUserId: demo.id,
      createdByUserId: sam.id,
      age: 4 * DAY,
    },
    {
      title: "Fix form accessibility: labels, focus order, contrast",
      overview: "The signup and contact forms fail the accessibility audit.",
      status: "open",
      priority: "urgent",
      tags: ["a11y", "frontend"],
      createdByAgentId: reviewer.id,
      age: 2 * DAY,
    },
    {
      title: "Write the launch announcement",
      overview: "A short post and a newsletter for launch day.",
      status: "open",
      priority: "low",
      tags: ["marketing"],
      assigneeUserId: sam.id,
      createdByUserId: sam.id,
      age: DAY,
    },
  ] as const;

  // The numbers 1..n are handed out from the project's sequence, which ends at the highest one.
  const project = await tx.repo(projects).create({
    teamId: team.id,
    name: "Website relaunch",
    description: "Rebuild the marketing site on the new design system and move the blog to the new CMS.",
    settings: { defaultQueue: "default" },
    ticketSequence: ticketSpecs.length,
  });
  const ticketRows = await tx.repo(tickets).createMany(
    ticketSpecs.map(({ age, ...spec }, i) => ({
      ...spec,
      tags: [...spec.tags],
      projectId: project.id,
      number: i + 1,
      createdAt: ago(age),
    })),
  );
  const ticket = (n: number) => {
    const row = ticketRows[n - 1];
    if (!row) throw new Error(`seed: ticket #${n} was not created`);
    return row;
  };

  const taskSpecs: {
    ticket: number;
    content: string;
    status: "pending" | "in_progress" | "completed" | "cancelled";
    estimatedHours?: number;
    agent?: boolean;
  }[] = [
    { ticket: 1, content: "List every page and its owner", status: "completed", estimatedHours: 3 },
    { ticket: 1, content: "Mark each page keep, merge or drop", status: "completed", estimatedHours: 2 },
    { ticket: 2, content: "Add the preview workflow", status: "completed", estimatedHours: 2, agent: true },
    { ticket: 2, content: "Post the preview URL on the pull request", status: "completed", agent: true },
    { ticket: 3, content: "Hero section", status: "completed", estimatedHours: 4, agent: true },
    { ticket: 3, content: "Pricing table", status: "in_progress", estimatedHours: 3, agent: true },
    { ticket: 3, content: "Check every breakpoint on mobile", status: "pending", estimatedHours: 2 },
    { ticket: 4, content: "Export the posts from the old CMS", status: "completed", estimatedHours: 1 },
    { ticket: 4, content: "Map authors and tags", status: "in_progress", estimatedHours: 2 },
    { ticket: 4, content: "Redirect every old URL", status: "pending", estimatedHours: 2 },
    { ticket: 5, content: "Label every input", status: "pending", estimatedHours: 1 },
    { ticket: 5, content: "Fix the focus order of the signup form", status: "pending", estimatedHours: 2 },
    { ticket: 6, content: "Draft the announcement", status: "pending", estimatedHours: 2 },
    { ticket: 6, content: "Record a video walkthrough", status: "cancelled" },
  ];
  const orderIndex = new Map<number, number>();
  const taskRows = await tx.repo(tasks).createMany(
    taskSpecs.map((spec) => {
      const index = orderIndex.get(spec.ticket) ?? 0;
      orderIndex.set(spec.ticket, index + 1);
      return {
        ticketId: ticket(spec.ticket).id,
        content: spec.content,
        status: spec.status,
        done: spec.status === "completed",
        orderIndex: index,
        estimatedHours: spec.estimatedHours ?? null,
        assigneeAgentId: spec.agent ? builder.id : null,
      };
    }),
  );
  const task = (content: string) => {
    const row = taskRows.find((t) => t.content === content);
    if (!row) throw new Error(`seed: task "${content}" was not created`);
    return row;
  };
  // The mobile check waits for the two sections it checks.
  await tx.repo(tasks).update(task("Check every breakpoint on mobile").id, {
    dependencies: [task("Hero section").id, task("Pricing table").id],
  });

  // ---------------------------------------------------------------- the work queue

  const queue = await tx.repo(queues).create({
    projectId: project.id,
    name: "default",
    description: "Work for the team's agents.",
    maxParallel: 2,
    leaseSeconds: 300,
    maxAttempts: 3,
  });
  const lease = queue.leaseSeconds * 1000;
  const itemRows = await tx.repo(queueItems).createMany([
    {
      queueId: queue.id,
      ticketId: ticket(2).id,
      status: "completed",
      attempts: 1,
      agentId: builder.id,
      enqueuedAt: ago(5 * DAY + 6 * HOUR),
      startedAt: ago(5 * DAY + 5 * HOUR),
      completedAt: ago(5 * DAY + 4 * HOUR),
      result: { summary: "Preview deployments run on every pull request.", pullRequest: 42 },
    },
    {
      queueId: queue.id,
      taskId: task("Hero section").id,
      status: "completed",
      attempts: 1,
      agentId: builder.id,
      enqueuedAt: ago(3 * DAY),
      startedAt: ago(3 * DAY - HOUR),
      completedAt: ago(3 * DAY - 3 * HOUR),
      result: { summary: "Hero section built and reviewed.", pullRequest: 57 },
    },
    {
      queueId: queue.id,
      ticketId: ticket(1).id,
      status: "cancelled",
      attempts: 0,
      enqueuedAt: ago(6 * DAY),
      completedAt: ago(5 * DAY),
      error: "done by hand",
    },
    {
      queueId: queue.id,
      taskId: task("Fix the focus order of the signup form").id,
      status: "dead",
      attempts: 3,
      agentId: reviewer.id,
      enqueuedAt: ago(2 * DAY),
      startedAt: ago(DAY + 20 * HOUR),
      completedAt: ago(DAY + 18 * HOUR),
      error: "the focus trap in the signup modal keeps the end-to-end test failing",
    },
    {
      queueId: queue.id,
      ticketId: ticket(3).id,
      status: "in_progress",
      priority: 3,
      attempts: 1,
      agentId: builder.id,
      enqueuedAt: ago(5 * HOUR),
      startedAt: ago(4 * 60_000),
      leaseExpiresAt: new Date(now + lease),
    },
    {
      queueId: queue.id,
      ticketId: ticket(5).id,
      status: "queued",
      priority: 1,
      enqueuedAt: ago(2 * DAY - HOUR),
    },
    {
      queueId: queue.id,
      taskId: task("Redirect every old URL").id,
      status: "queued",
      priority: 5,
      attempts: 1,
      error: "the old sitemap was unreachable; retrying",
      enqueuedAt: ago(DAY),
    },
    {
      queueId: queue.id,
      ticketId: ticket(6).id,
      status: "queued",
      priority: 8,
      enqueuedAt: ago(12 * HOUR),
    },
  ]);
  const [previewItem, heroItem] = itemRows;

  // ---------------------------------------------------------------- a week of costs, in integer micro-units

  // Per-token prices in micros: 1 USD per million tokens is 1 micro per token.
  const prices = {
    [builder.id]: { input: 3, output: 15 },
    [reviewer.id]: { input: 2, output: 8 },
  };
  const costRows: (typeof costs.pg.$inferInsert)[] = [];
  for (let day = 6; day >= 0; day--) {
    // The two completed items carry their own cost.
    const runs = [
      { agent: builder, hour: 9, queueItemId: day === 5 ? previewItem?.id : undefined },
      { agent: builder, hour: 15, queueItemId: day === 3 ? heroItem?.id : undefined },
      { agent: reviewer, hour: 11, queueItemId: undefined },
    ];
    for (const [i, run] of runs.entries()) {
      const inputTokens = (run.agent === builder ? 18_000 : 9_000) + ((day * 7 + i * 3) % 10) * 1_700;
      const outputTokens = (run.agent === builder ? 4_000 : 1_200) + ((day * 5 + i) % 7) * 450;
      const price = prices[run.agent.id] ?? { input: 0, output: 0 };
      // Today's entries lie in the past too: the hour is counted back from now.
      const occurredAt = new Date(now - day * DAY - (24 - run.hour) * (HOUR / 4));
      costRows.push({
        projectId: project.id,
        agentId: run.agent.id,
        queueItemId: run.queueItemId ?? null,
        provider: run.agent.provider,
        model: run.agent.model,
        inputTokens,
        outputTokens,
        amountMicros: inputTokens * price.input + outputTokens * price.output,
        currency: "USD",
        occurredAt,
      });
    }
  }
  const costCount = (await tx.repo(costs).createMany(costRows)).length;

  // ---------------------------------------------------------------- the feed and the audit trail

  const inProject = { teamId: team.id, projectId: project.id };
  const feed = await tx.repo(activities).createMany([
    {
      ...inProject,
      actorType: "user",
      actorId: demo.id,
      verb: "created",
      subjectType: "project",
      subjectId: project.id,
      data: { name: project.name },
      createdAt: ago(6 * DAY + HOUR),
    },
    {
      ...inProject,
      actorType: "agent",
      actorId: builder.id,
      verb: "completed",
      subjectType: "ticket",
      subjectId: ticket(2).id,
      data: { number: 2, title: ticket(2).title },
      createdAt: ago(5 * DAY + 4 * HOUR),
    },
    {
      ...inProject,
      actorType: "user",
      actorId: sam.id,
      verb: "closed",
      subjectType: "ticket",
      subjectId: ticket(1).id,
      data: { number: 1, title: ticket(1).title },
      createdAt: ago(5 * DAY),
    },
    {
      ...inProject,
      actorType: "agent",
      actorId: reviewer.id,
      verb: "gave up on",
      subjectType: "task",
      subjectId: task("Fix the focus order of the signup form").id,
      data: { attempts: 3, error: "the focus trap in the signup modal keeps the end-to-end test failing" },
      createdAt: ago(DAY + 18 * HOUR),
    },
    {
      ...inProject,
      actorType: "agent",
      actorId: builder.id,
      verb: "claimed",
      subjectType: "ticket",
      subjectId: ticket(3).id,
      data: { number: 3, title: ticket(3).title, queue: queue.name },
      createdAt: ago(4 * 60_000),
    },
    {
      teamId: team.id,
      actorType: "system",
      actorId: null,
      verb: "created",
      subjectType: "team",
      subjectId: team.id,
      data: { name: team.name, demo: true },
    },
  ]);

  // ---------------------------------------------------------------- a chat, files with analyses, prompts
  const chat = await tx.repo(chats).create({
    projectId: project.id,
    title: "Planning the relaunch",
    ticketId: ticket(1).id,
  });
  const messages = await tx.repo(chatMessages).createMany([
    { chatId: chat.id, role: "system", content: "You help plan the website relaunch." },
    { chatId: chat.id, role: "user", content: "What should we ship first?" },
    {
      chatId: chat.id,
      role: "assistant",
      content: "Start with the landing page: it unblocks the copy review and the analytics setup.",
      inputTokens: 412,
      outputTokens: 96,
    },
  ]);
  const fileRows = await tx.repo(files).createMany([
    {
      projectId: project.id,
      path: "src/pages/index.tsx",
      name: "index.tsx",
      extension: "tsx",
      size: 1834,
      checksum: "sha256:4f1c2a",
      contentType: "text/typescript",
      summary: "The landing page: hero, feature grid and sign-up form.",
    },
    {
      projectId: project.id,
      path: "src/styles/theme.css",
      name: "theme.css",
      extension: "css",
      size: 912,
      checksum: "sha256:9b7e01",
      contentType: "text/css",
      summary: "Colours and type scale of the new design.",
    },
    {
      projectId: project.id,
      path: "README.md",
      name: "README.md",
      extension: "md",
      size: 420,
      checksum: "sha256:c0ffee",
      contentType: "text/markdown",
      content: "# Website relaunch\n\nThe new marketing site.\n",
    },
  ]);
  const [page, theme] = fileRows as [(typeof fileRows)[number], (typeof fileRows)[number]];
  const analyses = await tx.repo(fileAnalyses).createMany([
    {
      fileId: page.id,
      kind: "complexity",
      analysisVersion: 1,
      checksum: "sha256:4f1c2a",
      data: { score: 7, functions: 4 },
    },
    {
      fileId: page.id,
      kind: "dependencies",
      analysisVersion: 1,
      checksum: "sha256:4f1c2a",
      data: { imports: ["react"] },
    },
    // Computed for an older version of the file: a lookup misses it until it is computed again.
    { fileId: theme.id, kind: "complexity", analysisVersion: 1, checksum: "sha256:old", data: { score: 2 } },
  ]);
  await tx.repo(selectedFiles).create({
    projectId: project.id,
    fileId: page.id,
    reason: "the first thing to ship",
    selectedByUserId: demo.id,
  });
  const promptRows = await tx.repo(prompts).createMany([
    {
      teamId: team.id,
      title: "Code reviewer",
      content: "Review the diff for correctness first, then clarity. Quote the lines you comment on.",
      description: "Used by the reviewer agent",
      tags: ["review"],
    },
    {
      teamId: team.id,
      projectId: project.id,
      title: "Copy editor",
      content: "Tighten the marketing copy: short sentences, no jargon, one idea per paragraph.",
      tags: ["writing", "website"],
    },
  ]);

  // The audit trail tells the truth: the system wrote these rows, now.
  const audited = (action: string, entity: string, entityId: string, after: Record<string, unknown>) => ({
    teamId: team.id,
    actorType: "system" as const,
    actorId: null,
    action,
    entity,
    entityId,
    changes: { after },
  });
  const token = await auth.createApiToken(
    // createApiToken writes through ctx.db: handing it the transaction keeps the token in the same commit.
    { db: tx, principal: { kind: "user", userId: demo.id } } satisfies ServiceContext,
    { name: "demo token" },
    { agentId: builder.id },
  );
  const audit = await tx
    .repo(auditLogs)
    .createMany([
      audited("team.created", "team", team.id, { name: team.name, slug: team.slug }),
      audited("member.added", "member", demo.id, { userId: demo.id, role: "owner" }),
      audited("member.added", "member", sam.id, { userId: sam.id, role: "member" }),
      audited("agent.created", "agent", builder.id, { name: builder.name, provider: builder.provider }),
      audited("agent.created", "agent", reviewer.id, { name: reviewer.name, provider: reviewer.provider }),
      audited("project.created", "project", project.id, { name: project.name }),
      audited("queue.created", "queue", queue.id, { name: queue.name, maxParallel: queue.maxParallel }),
      audited("api_token.created", "api_token", token.id, { name: token.name, agentId: builder.id }),
    ]);

  return {
    agentToken: token.token,
    agentName: builder.name,
    counts: {
      users: 2,
      teams: 1,
      projects: 1,
      tickets: ticketRows.length,
      tasks: taskRows.length,
      queues: 1,
      queueItems: itemRows.length,
      agents: 2,
      costs: costCount,
      activities: feed.length,
      auditLogs: audit.length,
      apiTokens: 1,
      chats: 1,
      chatMessages: messages.length,
      files: fileRows.length,
      fileAnalyses: analyses.length,
      selectedFiles: 1,
      prompts: promptRows.length,
    },
  };
}
