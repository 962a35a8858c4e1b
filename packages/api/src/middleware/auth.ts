import type { Principal } from "@groundwork/domain";
import { isUserUnconfirmed, UnauthenticatedError, UserGoneError } from "@groundwork/domain";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppDependencies, AppEnv } from "../env.js";
import { toProblem } from "../problem.js";
import { sendProblem } from "../respond.js";
import { routedThrough } from "../router.js";

/** Methods that change nothing: what they read may be answered only once the caller is confirmed. */
const SAFE_METHODS = new Set(["GET", "HEAD"]);

/**
 * Marks a route as public (`createRoute({ middleware: [publicRoute] })`): its requests go on
 * anonymously whatever their Authorization header says. A client that sends its (perhaps expired)
 * token with every request still gets a share view, a login or a refresh.
 */
export const publicRoute = createMiddleware<AppEnv>((_c, next) => next());

/**
 * Resolves `Authorization: Bearer <token>` to a principal once per request. A request without the
 * header goes on anonymously; a header that is present but invalid answers 401, except on a route
 * marked `publicRoute`, where the header is not read at all.
 *
 * A deleted user's access tokens stop working at once. For a request that changes nothing, whether
 * the user still exists is read along with the project access the route checks (one statement for
 * both); where no access check settled it, it is checked before the answer leaves, and a user who is
 * gone gets 401 instead of what was read.
 */
export function resolvePrincipal(deps: AppDependencies) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    if (header === undefined || routedThrough(c, publicRoute)) return next();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new UnauthenticatedError("the Authorization header must be `Bearer <token>`");
    const deferUserCheck = SAFE_METHODS.has(c.req.method);
    const principal =
      (deferUserCheck && deps.auth.knownPrincipal(match[1])) ||
      (await deps.auth.authenticate(deps.db, match[1], { deferUserCheck }));
    c.set("principal", principal);
    await next();
    // An answer that is already a server failure reveals nothing, and the check would fail alike. Most
    // reads confirmed the user along with their access: no call, no await.
    if (
      deferUserCheck &&
      isUserUnconfirmed(principal) &&
      c.res.status < 500 &&
      !(await deps.auth.confirmUser(deps.db, principal))
    ) {
      const { code, init } = toProblem(new UserGoneError());
      // Emptied first: set over an answer, Hono would carry that answer's headers (its ETag) over.
      c.res = undefined as unknown as Response;
      c.res = sendProblem(c, code, init);
    }
  });
}

/** The caller; UnauthenticatedError on a public request. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new UnauthenticatedError();
  return principal;
}
