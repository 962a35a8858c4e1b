import { NotFoundError, ValidationError } from "@groundwork/db";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { ForbiddenError, UserGoneError } from "../errors.js";
import { jsonPresentSchema, keyPattern, keyRule } from "../schema/common.js";
import { apiTokens, userPreferences, userSchemas, users } from "../schema/index.js";
import { type PublicUser, passwordSchema, publicUser, revokeSessionsOf } from "./auth.js";
import { parseInput } from "./input.js";
import { hashPassword, verifyPassword } from "./passwords.js";

export const updateMeInput = z
  .object({
    name: userSchemas.insert.shape.name.optional(),
    email: userSchemas.insert.shape.email.optional(),
    password: passwordSchema.optional(),
    /** Required to change the email or the password. */
    currentPassword: z.string().max(1024).optional(),
  })
  .strict();
export const preferenceKey = z.string().regex(keyPattern, keyRule);
export const preferenceInput = z.object({ value: jsonPresentSchema }).strict();

/** The signed-in user; agents have no "me" of this kind. */
function userIdOf(ctx: ServiceContext): string {
  if (ctx.principal.kind !== "user") throw new ForbiddenError("agents have no user profile");
  return ctx.principal.userId;
}

export async function getMe(ctx: ServiceContext): Promise<PublicUser> {
  const user = await ctx.db.repo(users).find(userIdOf(ctx));
  if (!user) throw new UserGoneError();
  return publicUser(user);
}

/**
 * Changes the caller's name, email or password. A new password revokes every refresh token of the
 * user; access tokens already issued (the caller's own too) work until they expire.
 */
export async function updateMe(ctx: ServiceContext, input: unknown): Promise<PublicUser> {
  const { name, email, password, currentPassword } = parseInput(updateMeInput, input);
  const userId = userIdOf(ctx);
  const user = await ctx.db.repo(users).get(userId);
  if ((email !== undefined && email !== user.email) || password !== undefined) {
    if (!currentPassword || !(await verifyPassword(currentPassword, user.passwordHash))) {
      throw new ValidationError([
        { path: ["currentPassword"], message: "give your current password to change email or password" },
      ]);
    }
  }
  const passwordHash = password !== undefined ? await hashPassword(password) : undefined;
  return ctx.db.transaction(async (tx) => {
    const updated = await tx.repo(users).update(userId, {
      ...(name !== undefined ? { name } : {}),
      ...(email !== undefined ? { email } : {}),
      ...(passwordHash !== undefined ? { passwordHash } : {}),
    });
    // A new password ends every session the old one opened: whoever else knew it is signed out.
    if (passwordHash !== undefined) await revokeSessionsOf(tx, userId);
    return publicUser(updated);
  });
}

export async function getPreference(ctx: ServiceContext, key: string) {
  const row = await ctx.db.repo(userPreferences).find({ userId: userIdOf(ctx), key: parseInput(preferenceKey, key) });
  if (!row) throw new NotFoundError("user_preferences", key);
  return { key: row.key, value: row.value, updatedAt: row.updatedAt };
}

export async function putPreference(ctx: ServiceContext, key: string, input: unknown) {
  const { value } = parseInput(preferenceInput, input);
  const row = await ctx.db
    .repo(userPreferences)
    .upsert({ userId: userIdOf(ctx), key: parseInput(preferenceKey, key), value }, { target: ["userId", "key"] });
  return { key: row.key, value: row.value, updatedAt: row.updatedAt };
}

export async function deletePreference(ctx: ServiceContext, key: string): Promise<void> {
  await ctx.db.repo(userPreferences).delete({ userId: userIdOf(ctx), key: parseInput(preferenceKey, key) });
}

/** The caller's personal API tokens, newest first, without their secrets. */
export async function listMyTokens(ctx: ServiceContext) {
  const page = await ctx.db.repo(apiTokens).list({ where: { userId: userIdOf(ctx) }, sort: "-createdAt", limit: 200 });
  return page.data.map(({ tokenHash: _secret, ...token }) => token);
}

export async function revokeMyToken(ctx: ServiceContext, id: string): Promise<void> {
  const token = await ctx.db.repo(apiTokens).find({ id, userId: userIdOf(ctx), revokedAt: null });
  if (!token) throw new NotFoundError("api_tokens", id);
  await ctx.db.repo(apiTokens).update(id, { revokedAt: new Date() });
}
