import { NotFoundError, type Page, type Session, ValidationError } from "@groundwork/db";
import { z } from "zod";
import { requireProjectAccess } from "../access/project-access.js";
import { requireTeamRole } from "../access/team-access.js";
import { recordChange } from "../audit.js";
import type { ServiceContext } from "../context.js";
import { ForbiddenError } from "../errors.js";
import { assertId } from "../ids.js";
import { projects, promptSchemas, prompts, tagsSchema } from "../schema/index.js";
import { parseInput } from "./input.js";
import type { PageQuery } from "./teams.js";

// ---------------------------------------------------------------- inputs

const promptFieldsInput = {
  title: promptSchemas.insert.shape.title,
  content: promptSchemas.insert.shape.content,
  description: z.string().max(10_000).nullable().optional(),
  tags: tagsSchema.optional(),
  /** Ties the prompt to one project of the team; `null` makes it team-wide. */
  projectId: z.uuid().nullable().optional(),
};

export const createPromptInput = z.object(promptFieldsInput).strict();
export const updatePromptInput = z
  .object({
    ...promptFieldsInput,
    title: promptFieldsInput.title.optional(),
    content: promptFieldsInput.content.optional(),
  })
  .strict();

// ---------------------------------------------------------------- results

export type Prompt = typeof prompts.pg.$inferSelect;

function promptFields(p: Prompt) {
  return { title: p.title, content: p.content, description: p.description, tags: p.tags, projectId: p.projectId };
}

// ---------------------------------------------------------------- helpers

/** A prompt's project is a live project of the prompt's team. */
async function assertProject(db: Session, teamId: string, projectId: string | null | undefined): Promise<void> {
  if (!projectId) return;
  if (!(await db.repo(projects).exists({ id: projectId, teamId }))) {
    throw new ValidationError([{ path: ["projectId"], message: "must be a project of the team" }]);
  }
}

/**
 * The prompt, if the caller may read it (team viewers; project collaborators for the project's
 * prompts) or write it (team members). One the caller cannot see answers NotFoundError.
 */
async function promptAccess(db: Session, ctx: ServiceContext, promptId: string, need: "read" | "write") {
  assertId("prompts", promptId);
  const prompt = await db.repo(prompts).find(promptId);
  if (!prompt) throw new NotFoundError("prompts", promptId);
  try {
    if (prompt.projectId) await requireProjectAccess(db, ctx.principal, prompt.projectId, "read");
    else await requireTeamRole(db, ctx.principal, prompt.teamId, "viewer");
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError("prompts", promptId);
    throw error;
  }
  if (need === "read") return prompt;
  try {
    await requireTeamRole(db, ctx.principal, prompt.teamId, "member");
  } catch (error) {
    // A collaborator sees the project's prompts, but only the team changes them.
    if (error instanceof NotFoundError) throw new ForbiddenError("only members of the team change its prompts");
    throw error;
  }
  return prompt;
}

// ---------------------------------------------------------------- prompts

/** List options, and `tag`: only prompts carrying it. */
export type PromptListQuery = PageQuery<typeof prompts> & { tag?: string };

const tagWhere = (tag: string | undefined) =>
  tag === undefined ? {} : { tags: { contains: parseInput(z.string().trim().min(1).max(64), tag) } };

/** The team's prompts (team-wide and project ones), newest first. */
export async function listTeamPrompts(
  ctx: ServiceContext,
  teamId: string,
  query: PromptListQuery = {},
): Promise<Page<Prompt>> {
  assertId("teams", teamId);
  await requireTeamRole(ctx.db, ctx.principal, teamId, "viewer");
  return ctx.db.repo(prompts).list({
    where: { teamId, ...tagWhere(query.tag) },
    sort: query.sort ?? "-createdAt",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}

/** The prompts tied to one project, newest first. */
export async function listProjectPrompts(
  ctx: ServiceContext,
  projectId: string,
  query: PromptListQuery = {},
): Promise<Page<Prompt>> {
  assertId("projects", projectId);
  await requireProjectAccess(ctx.db, ctx.principal, projectId, "read");
  return ctx.db.repo(prompts).list({
    where: { projectId, ...tagWhere(query.tag) },
    sort: query.sort ?? "-createdAt",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}

/** Creates a prompt of the team (members and up), optionally tied to one of its projects. */
export async function createPrompt(ctx: ServiceContext, teamId: string, input: unknown): Promise<Prompt> {
  const values = parseInput(createPromptInput, input);
  assertId("teams", teamId);
  return ctx.db.transaction(async (tx) => {
    await requireTeamRole(tx, ctx.principal, teamId, "member");
    await assertProject(tx, teamId, values.projectId);
    const prompt = await tx.repo(prompts).create({ ...values, teamId });
    recordChange(tx, ctx, {
      teamId,
      action: "prompt.created",
      entity: "prompt",
      entityId: prompt.id,
      after: promptFields(prompt),
    });
    return prompt;
  });
}

export async function getPrompt(ctx: ServiceContext, promptId: string): Promise<Prompt> {
  return promptAccess(ctx.db, ctx, promptId, "read");
}

export async function updatePrompt(ctx: ServiceContext, promptId: string, input: unknown): Promise<Prompt> {
  const patch = parseInput(updatePromptInput, input);
  return ctx.db.transaction(async (tx) => {
    await promptAccess(tx, ctx, promptId, "write");
    const before = await tx.repo(prompts).get(promptId, { forUpdate: true });
    await assertProject(tx, before.teamId, patch.projectId);
    const current = promptFields(before);
    const changed = (Object.keys(patch) as (keyof typeof patch)[]).some(
      (k) => patch[k] !== undefined && JSON.stringify(patch[k]) !== JSON.stringify(current[k]),
    );
    if (!changed) return before;
    const after = await tx.repo(prompts).update(promptId, patch);
    recordChange(tx, ctx, {
      teamId: before.teamId,
      action: "prompt.updated",
      entity: "prompt",
      entityId: promptId,
      before: current,
      after: promptFields(after),
    });
    return after;
  });
}

export async function deletePrompt(ctx: ServiceContext, promptId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const prompt = await promptAccess(tx, ctx, promptId, "write");
    await tx.repo(prompts).delete(promptId);
    recordChange(tx, ctx, {
      teamId: prompt.teamId,
      action: "prompt.deleted",
      entity: "prompt",
      entityId: promptId,
      before: promptFields(prompt),
    });
  });
}
