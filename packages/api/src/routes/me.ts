import { activityService, apiTokenInput, apiTokenSchemas, ForbiddenError, userService } from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { principalOf } from "../middleware/auth.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { jsonPresentValue, named } from "../schemas.js";
import { ActivitySchema, verbQuery } from "./activities.js";
import { UserSchema } from "./auth.js";

const PreferenceSchema = z
  .object({ key: z.string(), value: jsonPresentValue, updatedAt: z.date() })
  .openapi("Preference");
const PreferenceRequest = z.object({ value: jsonPresentValue }).strict().openapi("PreferenceRequest");
export const ApiTokenSchema = named(apiTokenSchemas.select.omit({ tokenHash: true }), "ApiToken");
export const CreatedTokenSchema = z
  .object({ id: z.uuid(), name: z.string(), token: z.string(), expiresAt: z.date().nullable() })
  .openapi("CreatedToken", { description: "`token` is shown in this answer only" });
const keyParam = z.object({ key: userService.preferenceKey });
const idParam = z.object({ id: z.uuid() });

const getMe = createRoute({
  method: "get",
  path: "/me",
  tags: ["me"],
  summary: "The signed-in user",
  security: authenticated,
  responses: { 200: jsonResponse(UserSchema, "The user"), ...problems("unauthenticated") },
});
const patchMe = createRoute({
  method: "patch",
  path: "/me",
  tags: ["me"],
  summary: "Change name, email or password (email and password need currentPassword)",
  security: authenticated,
  request: { body: jsonBody(named(userService.updateMeInput, "UpdateMeRequest")) },
  responses: { 200: jsonResponse(UserSchema, "The user"), ...problems("unauthenticated", "conflict") },
});
const getPreference = createRoute({
  method: "get",
  path: "/me/preferences/{key}",
  tags: ["me"],
  summary: "One preference",
  security: authenticated,
  request: { params: keyParam },
  responses: { 200: jsonResponse(PreferenceSchema, "The preference"), ...problems("unauthenticated", "not_found") },
});
const putPreference = createRoute({
  method: "put",
  path: "/me/preferences/{key}",
  tags: ["me"],
  summary: "Set a preference to any JSON value",
  security: authenticated,
  request: { params: keyParam, body: jsonBody(PreferenceRequest) },
  responses: { 200: jsonResponse(PreferenceSchema, "The preference"), ...problems("unauthenticated") },
});
const deletePreference = createRoute({
  method: "delete",
  path: "/me/preferences/{key}",
  tags: ["me"],
  summary: "Remove a preference",
  security: authenticated,
  request: { params: keyParam },
  responses: { 204: { description: "Removed" }, ...problems("unauthenticated", "not_found") },
});
const listTokens = createRoute({
  method: "get",
  path: "/me/tokens",
  tags: ["me"],
  summary: "Your personal API tokens (never their secrets)",
  security: authenticated,
  responses: {
    200: jsonResponse(z.object({ data: z.array(ApiTokenSchema) }), "The tokens"),
    ...problems("unauthenticated"),
  },
});
const createToken = createRoute({
  method: "post",
  path: "/me/tokens",
  tags: ["me"],
  summary: "Create a personal API token; its secret is shown once",
  security: authenticated,
  request: { body: jsonBody(named(apiTokenInput, "CreateTokenRequest")) },
  responses: { 201: jsonResponse(CreatedTokenSchema, "The token, with its secret"), ...problems("unauthenticated") },
});
const revokeToken = createRoute({
  method: "delete",
  path: "/me/tokens/{id}",
  tags: ["me"],
  summary: "Revoke a personal API token",
  security: authenticated,
  request: { params: idParam },
  responses: { 204: { description: "Revoked" }, ...problems("unauthenticated", "not_found") },
});
const listMyActivities = createRoute({
  method: "get",
  path: "/me/activities",
  tags: ["me"],
  summary: "Recent activities across every team and project you can see, newest first (`?verb` filters)",
  security: authenticated,
  request: { query: listQuery.omit({ count: true, sort: true }).extend({ verb: verbQuery }) },
  responses: { 200: jsonResponse(pageOf(ActivitySchema), "A page of activities"), ...problems("unauthenticated") },
});

export function meRoutes(deps: AppDependencies) {
  return router()
    .openapi(getMe, async (c) => c.json(await userService.getMe(serviceContext(c, deps)), 200))
    .openapi(patchMe, async (c) =>
      c.json(await userService.updateMe(serviceContext(c, deps), c.req.valid("json")), 200),
    )
    .openapi(getPreference, async (c) =>
      c.json(await userService.getPreference(serviceContext(c, deps), c.req.valid("param").key), 200),
    )
    .openapi(putPreference, async (c) =>
      c.json(
        await userService.putPreference(serviceContext(c, deps), c.req.valid("param").key, c.req.valid("json")),
        200,
      ),
    )
    .openapi(deletePreference, async (c) => {
      await userService.deletePreference(serviceContext(c, deps), c.req.valid("param").key);
      return c.body(null, 204);
    })
    .openapi(listTokens, async (c) => c.json({ data: await userService.listMyTokens(serviceContext(c, deps)) }, 200))
    .openapi(createToken, async (c) => {
      const principal = principalOf(c);
      if (principal.kind !== "user") throw new ForbiddenError("agents get their tokens from a team admin");
      const ctx = serviceContext(c, deps);
      return c.json(await deps.auth.createApiToken(ctx, c.req.valid("json"), { userId: principal.userId }), 201);
    })
    .openapi(revokeToken, async (c) => {
      await userService.revokeMyToken(serviceContext(c, deps), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(listMyActivities, async (c) =>
      c.json(await activityService.listMyActivities(serviceContext(c, deps), c.req.valid("query")), 200),
    );
}
