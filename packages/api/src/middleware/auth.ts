import type { Principal } from "@groundwork/domain";
import { UnauthenticatedError } from "@groundwork/domain";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppDependencies, AppEnv } from "../env.js";

/**
 * Resolves `Authorization: Bearer <token>` to a principal once per request. A request without the
 * header goes on anonymously (public routes); a header that is present but invalid answers 401.
 */
export function resolvePrincipal(deps: AppDependencies) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match?.[1]) throw new UnauthenticatedError("the Authorization header must be `Bearer <token>`");
      c.set("principal", await deps.auth.authenticate(deps.db, match[1]));
    }
    await next();
  });
}

/** The caller; UnauthenticatedError on a public request. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new UnauthenticatedError();
  return principal;
}
