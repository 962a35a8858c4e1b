import { chatMessageSchemas, type chatMessages, chatSchemas, chatService, type chats } from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { listOptions, listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { named } from "../schemas.js";

const ChatSchema = named(chatSchemas.select, "Chat", "A chat of a project, optionally about one ticket");
const ChatMessageSchema = named(chatMessageSchemas.select, "ChatMessage", "A message of a chat");

const idParam = z.object({ id: z.uuid() });
const tags = ["chats"];

const listChats = createRoute({
  method: "get",
  path: "/projects/{id}/chats",
  tags,
  summary: "The project's chats (`?sort` by createdAt, updatedAt, title; newest first)",
  security: authenticated,
  request: { params: idParam, query: listQuery },
  responses: { 200: jsonResponse(pageOf(ChatSchema), "A page of chats"), ...problems("unauthenticated", "not_found") },
});
const createChat = createRoute({
  method: "post",
  path: "/projects/{id}/chats",
  tags,
  summary: "Start a chat; ticketId links it to a ticket of the project",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(chatService.createChatInput, "CreateChatRequest")) },
  responses: { 201: jsonResponse(ChatSchema, "The chat"), ...problems("unauthenticated", "forbidden", "not_found") },
});
const getChat = createRoute({
  method: "get",
  path: "/chats/{id}",
  tags,
  summary: "One chat",
  security: authenticated,
  request: { params: idParam },
  responses: { 200: jsonResponse(ChatSchema, "The chat"), ...problems("unauthenticated", "not_found") },
});
const updateChat = createRoute({
  method: "patch",
  path: "/chats/{id}",
  tags,
  summary: "Rename a chat or change its ticket (`null` unlinks)",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(chatService.updateChatInput, "UpdateChatRequest")) },
  responses: { 200: jsonResponse(ChatSchema, "The chat"), ...problems("unauthenticated", "forbidden", "not_found") },
});
const deleteChat = createRoute({
  method: "delete",
  path: "/chats/{id}",
  tags,
  summary: "Delete a chat and its messages",
  security: authenticated,
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problems("unauthenticated", "forbidden", "not_found") },
});
const listMessages = createRoute({
  method: "get",
  path: "/chats/{id}/messages",
  tags,
  summary: "The chat's messages, oldest first",
  security: authenticated,
  request: { params: idParam, query: listQuery },
  responses: {
    200: jsonResponse(pageOf(ChatMessageSchema), "A page of messages"),
    ...problems("unauthenticated", "not_found"),
  },
});
const createMessage = createRoute({
  method: "post",
  path: "/chats/{id}/messages",
  tags,
  summary: "Add a message to a chat",
  security: authenticated,
  request: { params: idParam, body: jsonBody(named(chatService.createMessageInput, "CreateChatMessageRequest")) },
  responses: {
    201: jsonResponse(ChatMessageSchema, "The message"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});

export function chatsRoutes(deps: AppDependencies) {
  return router()
    .openapi(listChats, async (c) => {
      const options = listOptions<typeof chats>(
        c.req.valid("query"),
        ["createdAt", "updatedAt", "title"],
        "-createdAt",
      );
      return c.json(await chatService.listChats(serviceContext(c, deps), c.req.valid("param").id, options), 200);
    })
    .openapi(createChat, async (c) =>
      c.json(await chatService.createChat(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")), 201),
    )
    .openapi(getChat, async (c) =>
      c.json(await chatService.getChat(serviceContext(c, deps), c.req.valid("param").id), 200),
    )
    .openapi(updateChat, async (c) =>
      c.json(await chatService.updateChat(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")), 200),
    )
    .openapi(deleteChat, async (c) => {
      await chatService.deleteChat(serviceContext(c, deps), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(listMessages, async (c) => {
      const options = listOptions<typeof chatMessages>(c.req.valid("query"), ["createdAt"], "createdAt");
      return c.json(await chatService.listMessages(serviceContext(c, deps), c.req.valid("param").id, options), 200);
    })
    .openapi(createMessage, async (c) =>
      c.json(
        await chatService.createMessage(serviceContext(c, deps), c.req.valid("param").id, c.req.valid("json")),
        201,
      ),
    );
}
