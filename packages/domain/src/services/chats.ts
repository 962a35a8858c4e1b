import { type Page, type Session, ValidationError } from "@groundwork/db";
import { z } from "zod";
import {
  type ProjectAccess,
  type ProjectNeed,
  requireAccessVia,
  requireProjectAccess,
} from "../access/project-access.js";
import { recordChange } from "../audit.js";
import type { ServiceContext } from "../context.js";
import { assertId } from "../ids.js";
import { chatMessageRoles, chatMessageSchemas, chatMessages, chatSchemas, chats, tickets } from "../schema/index.js";
import { parseInput } from "./input.js";
import type { PageQuery } from "./teams.js";

// ---------------------------------------------------------------- inputs

export const createChatInput = z
  .object({
    title: chatSchemas.insert.shape.title,
    ticketId: z.uuid().nullable().optional(),
  })
  .strict();
/** `ticketId: null` unlinks the chat from its ticket. */
export const updateChatInput = z
  .object({
    title: chatSchemas.insert.shape.title.optional(),
    ticketId: z.uuid().nullable().optional(),
  })
  .strict();
export const createMessageInput = z
  .object({
    role: z.enum(chatMessageRoles),
    content: z.string().min(1).max(1_000_000),
    metadata: chatMessageSchemas.insert.shape.metadata,
    inputTokens: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    outputTokens: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

// ---------------------------------------------------------------- results

export type Chat = typeof chats.pg.$inferSelect;
export type ChatMessage = typeof chatMessages.pg.$inferSelect;

function chatFields(chat: Chat) {
  return { title: chat.title, ticketId: chat.ticketId };
}

// ---------------------------------------------------------------- helpers

async function projectAccess(db: Session, ctx: ServiceContext, projectId: string, need: ProjectNeed) {
  assertId("projects", projectId);
  return requireProjectAccess(db, ctx.principal, projectId, need);
}

/** The chat and the caller's access to its project; a chat the caller cannot see does not exist. */
async function chatAccess(
  db: Session,
  ctx: ServiceContext,
  chatId: string,
  need: ProjectNeed,
): Promise<{ chat: Chat; access: ProjectAccess }> {
  assertId("chats", chatId);
  const { row: chat, access } = await requireAccessVia(db, ctx.principal, chats, chatId, need);
  return { chat, access };
}

/** A linked ticket is a live ticket of the chat's project. */
async function assertTicket(db: Session, projectId: string, ticketId: string | null | undefined): Promise<void> {
  if (!ticketId) return;
  if (!(await db.repo(tickets).exists({ id: ticketId, projectId }))) {
    throw new ValidationError([{ path: ["ticketId"], message: "must be a ticket of the chat's project" }]);
  }
}

// ---------------------------------------------------------------- chats

/** The project's chats, newest first. */
export async function listChats(
  ctx: ServiceContext,
  projectId: string,
  query: PageQuery<typeof chats> = {},
): Promise<Page<Chat>> {
  await projectAccess(ctx.db, ctx, projectId, "read");
  return ctx.db.repo(chats).list({
    where: { projectId },
    sort: query.sort ?? "-createdAt",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}

export async function createChat(ctx: ServiceContext, projectId: string, input: unknown): Promise<Chat> {
  const values = parseInput(createChatInput, input);
  return ctx.db.transaction(async (tx) => {
    const { project } = await projectAccess(tx, ctx, projectId, "write");
    await assertTicket(tx, projectId, values.ticketId);
    const chat = await tx.repo(chats).create({ projectId, title: values.title, ticketId: values.ticketId ?? null });
    recordChange(tx, ctx, {
      teamId: project.teamId,
      action: "chat.created",
      entity: "chat",
      entityId: chat.id,
      after: { projectId, ...chatFields(chat) },
    });
    return chat;
  });
}

export async function getChat(ctx: ServiceContext, chatId: string): Promise<Chat> {
  return (await chatAccess(ctx.db, ctx, chatId, "read")).chat;
}

/** Renames a chat, or links it to another ticket of its project (or none). */
export async function updateChat(ctx: ServiceContext, chatId: string, input: unknown): Promise<Chat> {
  const patch = parseInput(updateChatInput, input);
  return ctx.db.transaction(async (tx) => {
    const { access } = await chatAccess(tx, ctx, chatId, "write");
    const before = await tx.repo(chats).get(chatId, { forUpdate: true });
    await assertTicket(tx, before.projectId, patch.ticketId);
    const current = chatFields(before);
    const changed = (Object.keys(patch) as (keyof typeof patch)[]).some(
      (k) => patch[k] !== undefined && patch[k] !== current[k],
    );
    if (!changed) return before;
    const after = await tx.repo(chats).update(chatId, patch);
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "chat.updated",
      entity: "chat",
      entityId: chatId,
      before: current,
      after: chatFields(after),
    });
    return after;
  });
}

/** Deletes a chat for good, with its messages. */
export async function deleteChat(ctx: ServiceContext, chatId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { chat, access } = await chatAccess(tx, ctx, chatId, "write");
    await tx.repo(chats).delete(chatId);
    recordChange(tx, ctx, {
      teamId: access.teamId,
      action: "chat.deleted",
      entity: "chat",
      entityId: chatId,
      before: { projectId: chat.projectId, ...chatFields(chat) },
    });
  });
}

// ---------------------------------------------------------------- messages

/** The chat's messages, oldest first. */
export async function listMessages(
  ctx: ServiceContext,
  chatId: string,
  query: PageQuery<typeof chatMessages> = {},
): Promise<Page<ChatMessage>> {
  await chatAccess(ctx.db, ctx, chatId, "read");
  return ctx.db.repo(chatMessages).list({
    where: { chatId },
    sort: query.sort ?? "createdAt",
    limit: query.limit,
    cursor: query.cursor,
    count: query.count,
  });
}

/** Adds a message; messages are many and cheap, so they have no audit rows of their own. */
export async function createMessage(ctx: ServiceContext, chatId: string, input: unknown): Promise<ChatMessage> {
  const values = parseInput(createMessageInput, input);
  return ctx.db.transaction(async (tx) => {
    await chatAccess(tx, ctx, chatId, "write");
    const message = await tx.repo(chatMessages).create({
      chatId,
      role: values.role,
      content: values.content,
      metadata: values.metadata ?? {},
      inputTokens: values.inputTokens ?? 0,
      outputTokens: values.outputTokens ?? 0,
    });
    return message;
  });
}
