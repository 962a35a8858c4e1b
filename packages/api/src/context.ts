import type { AnonymousContext, ServiceContext } from "@groundwork/domain";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { AppDependencies, AppEnv } from "./env.js";
import { principalOf } from "./middleware/auth.js";

function requestInfo(c: Context<AppEnv>) {
  let ip: string | undefined;
  try {
    ip = getConnInfo(c).remote.address;
  } catch {
    ip = undefined; // not served by the Node adapter (e.g. app.request in a script)
  }
  return { requestId: c.get("requestId"), ip, userAgent: c.req.header("user-agent")?.slice(0, 500) };
}

/** The service context of an authenticated request. */
export function serviceContext(c: Context<AppEnv>, deps: AppDependencies): ServiceContext {
  return { db: deps.db, principal: principalOf(c), ...requestInfo(c) };
}

/** The service context of a public request. */
export function anonymousContext(c: Context<AppEnv>, deps: AppDependencies): AnonymousContext {
  return { db: deps.db, ...requestInfo(c) };
}
