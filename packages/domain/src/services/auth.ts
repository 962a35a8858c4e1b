import { createHash, randomBytes } from "node:crypto";
import { type Database, type Session, ValidationError } from "@groundwork/db";
import { sign, verify } from "hono/jwt";
import { uuidv7 } from "uuidv7";
import { z } from "zod";
import {
  type AnonymousContext,
  isUserUnconfirmed,
  leaveUserUnconfirmed,
  markUserConfirmed,
  type Principal,
  type ServiceContext,
} from "../context.js";
import { UnauthenticatedError, UserGoneError } from "../errors.js";
import {
  agents,
  apiTokens,
  dateTimeInput,
  instanceSettings,
  refreshTokens,
  teams,
  userSchemas,
  users,
} from "../schema/index.js";
import { parseInput } from "./input.js";
import { LoginThrottle } from "./login-throttle.js";
import { hashPassword, UNUSED_HASH, verifyPassword } from "./passwords.js";

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 60 * 60;
const API_TOKEN_PREFIX = "gwt_";
const REFRESH_TOKEN_PREFIX = "gwr_";
const SECRET_KEY = "auth.signing_secret";
// Enough for every active session of a busy server; past it the memory starts over, nothing breaks.
const VERIFIED_TOKENS = 10_000;

export const passwordSchema = z
  .string()
  .min(8, "a password needs at least 8 characters")
  .max(1024, "a password may have at most 1024 characters");
// Strict, as every body is: a field the server would ignore (`scopes` on a token) must not look taken.
export const signupInput = z
  .object({
    email: userSchemas.insert.shape.email,
    password: passwordSchema,
    name: userSchemas.insert.shape.name,
  })
  .strict();
export const loginInput = z
  .object({
    email: z.string().trim().toLowerCase().min(1).max(320),
    password: z.string().min(1).max(1024),
  })
  .strict();
export const refreshInput = z.object({ refreshToken: z.string().min(1).max(200) }).strict();
export const apiTokenInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    expiresAt: dateTimeInput.nullable().optional(),
  })
  .strict();

export type User = typeof users.pg.$inferSelect;
/** A user as others may see it: never the password hash. */
export type PublicUser = Omit<User, "passwordHash" | "deletedAt">;
export interface Session_ {
  user: PublicUser;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}
export interface CreatedApiToken {
  id: string;
  name: string;
  token: string;
  expiresAt: Date | null;
}

export function publicUser({ passwordHash: _hash, deletedAt: _deleted, ...user }: User): PublicUser {
  return user;
}

const REFRESH_REFUSALS = {
  reused: "this refresh token was already used; every session it belongs to has been signed out",
  signedOut: "this refresh token was signed out",
  expired: "the refresh token is not valid",
  unknown: "the refresh token is not valid",
} as const;

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
const newSecret = (prefix: string) => `${prefix}${randomBytes(32).toString("base64url")}`;

/** The principal of an access token's user, whose existence is still to be confirmed. */
function unconfirmedUser(userId: string): Principal {
  const principal: Principal = { kind: "user", userId };
  leaveUserUnconfirmed(principal);
  return principal;
}

/**
 * Sign-up, login, token rotation and the resolution of bearer tokens to principals. One instance
 * per process: it holds the signing secret (kept in the database, shared by every server) and the
 * failed-login counters.
 */
export class Auth {
  /** Access tokens whose signature was checked, until they expire. */
  private readonly verified = new Map<string, { userId: string; expiresAt: number }>();

  private constructor(
    private readonly secret: string,
    readonly throttle: LoginThrottle,
  ) {}

  static async create(db: Database, throttle = new LoginThrottle()): Promise<Auth> {
    const stored = await db.repo(instanceSettings).find(SECRET_KEY);
    if (stored) return new Auth(String(stored.value), throttle);
    const secret = randomBytes(48).toString("base64url");
    // Two servers starting at once: the first insert wins and both use it.
    await db.repo(instanceSettings).upsert({ key: SECRET_KEY, value: secret }, { target: ["key"], update: [] });
    const winner = await db.repo(instanceSettings).get(SECRET_KEY);
    return new Auth(String(winner.value), throttle);
  }

  async signup(ctx: AnonymousContext, input: unknown): Promise<Session_> {
    const { email, password, name } = parseInput(signupInput, input);
    const passwordHash = await hashPassword(password);
    return ctx.db.transaction(async (tx) => {
      const user = await tx.repo(users).create({ email, name, passwordHash });
      return { user: publicUser(user), ...(await this.issue(tx, user.id, uuidv7())) };
    });
  }

  async login(ctx: AnonymousContext, input: unknown): Promise<Session_> {
    const { email, password } = parseInput(loginInput, input);
    this.throttle.check(email, ctx.ip);
    const user = await ctx.db.repo(users).find({ email });
    const valid = await verifyPassword(password, user?.passwordHash ?? UNUSED_HASH);
    if (!user || !valid) {
      this.throttle.fail(email, ctx.ip);
      throw new UnauthenticatedError("wrong email or password");
    }
    this.throttle.succeed(email);
    return ctx.db.transaction(async (tx) => ({ user: publicUser(user), ...(await this.issue(tx, user.id, uuidv7())) }));
  }

  /**
   * Trades a refresh token for a new pair. A token that was already traded means it leaked: the
   * whole family (every token descended from the same login) is revoked. A token revoked without
   * being traded (by a logout or a password change) is merely signed out.
   */
  async refresh(ctx: AnonymousContext, input: unknown): Promise<TokenPair> {
    const { refreshToken } = parseInput(refreshInput, input);
    const outcome = await ctx.db.transaction(async (tx) => {
      const tokenHash = hashToken(refreshToken);
      const owner = (await tx.repo(refreshTokens).find({ tokenHash }))?.userId;
      // The user's row is locked first, as a password change locks it before revoking: a refresh racing
      // one either ends before it (and its new token is revoked with the rest) or finds its token revoked.
      if (!owner || !(await tx.repo(users).find(owner, { forUpdate: true }))) return { error: "unknown" as const };
      const row = await tx.repo(refreshTokens).find({ tokenHash }, { forUpdate: true });
      if (!row?.userId) return { error: "unknown" as const };
      if (row.revokedAt) {
        // Trading is the only use of a refresh token, and the only thing that sets lastUsedAt.
        if (!row.lastUsedAt) return { error: "signedOut" as const };
        await this.revokeFamily(tx, row.familyId);
        return { error: "reused" as const };
      }
      if (row.expiresAt.getTime() <= Date.now()) return { error: "expired" as const };
      await tx.repo(refreshTokens).update(row.id, { revokedAt: new Date(), lastUsedAt: new Date() });
      return { pair: await this.issue(tx, row.userId, row.familyId) };
    });
    if ("pair" in outcome && outcome.pair) return outcome.pair;
    throw new UnauthenticatedError(REFRESH_REFUSALS[outcome.error]);
  }

  /** Ends the session the refresh token belongs to. Unknown tokens are ignored: the result is the same. */
  async logout(ctx: AnonymousContext, input: unknown): Promise<void> {
    const { refreshToken } = parseInput(refreshInput, input);
    await ctx.db.transaction(async (tx) => {
      const row = await tx.repo(refreshTokens).find({ tokenHash: hashToken(refreshToken) });
      if (row) await this.revokeFamily(tx, row.familyId);
    });
  }

  /**
   * The principal a bearer token stands for; UnauthenticatedError when it stands for none. A deleted
   * user's tokens stop working at once, not when they expire: with `deferUserCheck` (for requests
   * that change nothing) an access token's user is left to be checked later, by the access check that
   * reads it along or by `confirmUser`, which the caller must then call before answering.
   */
  async authenticate(db: Session, bearer: string, options: { deferUserCheck?: boolean } = {}): Promise<Principal> {
    if (bearer.startsWith(API_TOKEN_PREFIX)) return this.authenticateApiToken(db, bearer);
    // Nearly every request sends a token seen before: it is taken without an await.
    const principal = this.knownPrincipal(bearer) ?? unconfirmedUser(await this.verifiedSubject(bearer));
    if (!options.deferUserCheck && !(await this.confirmUser(db, principal))) throw new UserGoneError();
    return principal;
  }

  /**
   * What `authenticate` with `deferUserCheck` answers for an access token verified before, without
   * a promise: the token a client sends with nearly every read. Undefined when `authenticate` must
   * decide (a token not seen yet, expired, or an API token).
   */
  knownPrincipal(bearer: string): Principal | undefined {
    const userId = bearer.startsWith(API_TOKEN_PREFIX) ? undefined : this.knownSubject(bearer);
    return userId === undefined ? undefined : unconfirmedUser(userId);
  }

  /** Whether the principal's user still exists, checked unless the request has seen it already. */
  async confirmUser(db: Session, principal: Principal): Promise<boolean> {
    if (principal.kind !== "user" || !isUserUnconfirmed(principal)) return true;
    if (!(await db.repo(users).exists(principal.userId))) return false;
    markUserConfirmed(principal);
    return true;
  }

  /** The user of an access token verified before that has not expired since. */
  private knownSubject(bearer: string): string | undefined {
    const known = this.verified.get(bearer);
    return known && known.expiresAt > Date.now() ? known.userId : undefined;
  }

  /**
   * The user an access token was issued to. A client sends the same token with every request for its
   * 15 minutes, and verifying the signature costs two trips through WebCrypto, so a verified token is
   * remembered until it expires.
   */
  private async verifiedSubject(bearer: string): Promise<string> {
    let payload: { sub?: unknown; typ?: unknown; exp?: unknown };
    try {
      payload = (await verify(bearer, this.secret, "HS256")) as typeof payload;
    } catch {
      throw new UnauthenticatedError("the access token is invalid or has expired");
    }
    if (payload.typ !== "access" || typeof payload.sub !== "string" || typeof payload.exp !== "number") {
      throw new UnauthenticatedError();
    }
    if (this.verified.size >= VERIFIED_TOKENS) this.verified.clear();
    this.verified.set(bearer, { userId: payload.sub, expiresAt: payload.exp * 1000 });
    return payload.sub;
  }

  /** A personal API token for the caller (a user), or for an agent when `agentId` is given. Shown once. */
  async createApiToken(
    ctx: ServiceContext,
    input: unknown,
    owner: { userId: string } | { agentId: string },
  ): Promise<CreatedApiToken> {
    const { name, expiresAt } = parseInput(apiTokenInput, input);
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ValidationError([{ path: ["expiresAt"], message: "must be in the future" }]);
    }
    const token = newSecret(API_TOKEN_PREFIX);
    const row = await ctx.db.repo(apiTokens).create({
      ...("userId" in owner ? { userId: owner.userId } : { agentId: owner.agentId }),
      name,
      tokenHash: hashToken(token),
      expiresAt: expiresAt ?? null,
    });
    return { id: row.id, name: row.name, token, expiresAt: row.expiresAt };
  }

  private async authenticateApiToken(db: Session, bearer: string): Promise<Principal> {
    const token = await db.repo(apiTokens).find({ tokenHash: hashToken(bearer) });
    const now = Date.now();
    if (!token || token.revokedAt || (token.expiresAt && token.expiresAt.getTime() <= now)) {
      throw new UnauthenticatedError("the API token is invalid, revoked or expired");
    }
    // Written at most once a minute per token: a write on every request would cost more than the request.
    if (!token.lastUsedAt || now - token.lastUsedAt.getTime() > 60_000) {
      await db.repo(apiTokens).update(token.id, { lastUsedAt: new Date(now) });
    }
    if (token.userId) {
      if (!(await db.repo(users).exists(token.userId))) throw new UnauthenticatedError();
      return { kind: "user", userId: token.userId, tokenId: token.id };
    }
    const agent = token.agentId ? await db.repo(agents).find(token.agentId) : null;
    // An agent of a deleted team has nothing left to act on.
    if (!agent || !(await db.repo(teams).exists(agent.teamId))) throw new UnauthenticatedError();
    return { kind: "agent", agentId: agent.id, teamId: agent.teamId, tokenId: token.id };
  }

  private async issue(tx: Session, userId: string, familyId: string): Promise<TokenPair> {
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await sign(
      { sub: userId, typ: "access", iat: now, exp: now + ACCESS_TOKEN_SECONDS, jti: uuidv7() },
      this.secret,
      "HS256",
    );
    const refreshToken = newSecret(REFRESH_TOKEN_PREFIX);
    await tx.repo(refreshTokens).create({
      userId,
      familyId,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date((now + REFRESH_TOKEN_SECONDS) * 1000),
    });
    return { accessToken, refreshToken, expiresIn: ACCESS_TOKEN_SECONDS };
  }

  private async revokeFamily(tx: Session, familyId: string): Promise<void> {
    await revokeRefreshTokens(tx, { familyId });
  }
}

/**
 * Signs the user out everywhere: every refresh token of every family is revoked (inside the caller's
 * transaction). Access tokens already issued run out on their own, within ACCESS_TOKEN_SECONDS; API
 * tokens are separate credentials and stay.
 */
export async function revokeSessionsOf(tx: Session, userId: string): Promise<void> {
  await revokeRefreshTokens(tx, { userId });
}

async function revokeRefreshTokens(tx: Session, where: { familyId: string } | { userId: string }): Promise<void> {
  const revokedAt = new Date();
  // Revoked tokens leave the filter, so each batch reads the next live ones until none are left.
  for (;;) {
    const live = await tx.repo(refreshTokens).list({ where: { ...where, revokedAt: null }, limit: 500 });
    for (const token of live.data) await tx.repo(refreshTokens).update(token.id, { revokedAt });
    if (live.nextCursor === null) return;
  }
}
