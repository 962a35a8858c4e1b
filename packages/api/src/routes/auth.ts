import { loginInput, refreshInput, signupInput, userSchemas } from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { anonymousContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { publicRoute } from "../middleware/auth.js";
import { jsonBody, problems } from "../openapi.js";
import { router } from "../router.js";
import { named } from "../schemas.js";

export const UserSchema = named(userSchemas.select.omit({ passwordHash: true, deletedAt: true }), "User");
const TokenPairSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().openapi({ description: "seconds until the access token expires" }),
  })
  .openapi("TokenPair");
const SessionSchema = z.object({ user: UserSchema }).extend(TokenPairSchema.shape).openapi("Session");

const signup = createRoute({
  method: "post",
  path: "/auth/signup",
  tags: ["auth"],
  middleware: [publicRoute] as const,
  summary: "Create an account and sign in",
  request: { body: jsonBody(named(signupInput, "SignupRequest")) },
  responses: {
    201: { description: "Signed up", content: { "application/json": { schema: SessionSchema } } },
    ...problems("conflict"),
  },
});
const login = createRoute({
  method: "post",
  path: "/auth/login",
  tags: ["auth"],
  middleware: [publicRoute] as const,
  summary: "Sign in with email and password",
  request: { body: jsonBody(named(loginInput, "LoginRequest")) },
  responses: {
    200: { description: "Signed in", content: { "application/json": { schema: SessionSchema } } },
    ...problems("unauthenticated", "rate_limited"),
  },
});
const refresh = createRoute({
  method: "post",
  path: "/auth/refresh",
  tags: ["auth"],
  middleware: [publicRoute] as const,
  summary: "Trade a refresh token for a new token pair (the old one stops working)",
  request: { body: jsonBody(named(refreshInput, "RefreshRequest")) },
  responses: {
    200: { description: "New tokens", content: { "application/json": { schema: TokenPairSchema } } },
    ...problems("unauthenticated"),
  },
});
const logout = createRoute({
  method: "post",
  path: "/auth/logout",
  tags: ["auth"],
  middleware: [publicRoute] as const,
  summary: "End the session the refresh token belongs to",
  request: { body: jsonBody(refreshInput) },
  responses: { 204: { description: "Signed out" }, ...problems() },
});

export function authRoutes(deps: AppDependencies) {
  return router()
    .openapi(signup, async (c) => c.json(await deps.auth.signup(anonymousContext(c, deps), c.req.valid("json")), 201))
    .openapi(login, async (c) => c.json(await deps.auth.login(anonymousContext(c, deps), c.req.valid("json")), 200))
    .openapi(refresh, async (c) => c.json(await deps.auth.refresh(anonymousContext(c, deps), c.req.valid("json")), 200))
    .openapi(logout, async (c) => {
      await deps.auth.logout(anonymousContext(c, deps), c.req.valid("json"));
      return c.body(null, 204);
    });
}
