import type { Session } from "@groundwork/db";

/** Who is asking: a user (signed in, or through a personal API token) or an agent (through its token). */
export type Principal =
  | { kind: "user"; userId: string; tokenId?: string }
  | { kind: "agent"; agentId: string; teamId: string; tokenId: string };

/** Facts about the request that audit rows keep. */
export interface RequestInfo {
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

/** What every service call receives: the database, who is asking, and where the request came from. */
export interface ServiceContext extends RequestInfo {
  /** The database, or a transaction in progress: a service called with one joins it. */
  db: Session;
  principal: Principal;
}

/** A service call made before anyone is signed in (signup, login, refresh). */
export interface AnonymousContext extends RequestInfo {
  db: Session;
}

/** The actor columns of audit and activity rows for a principal. */
export function actorOf(principal: Principal): { actorType: "user" | "agent"; actorId: string } {
  return principal.kind === "user"
    ? { actorType: "user", actorId: principal.userId }
    : { actorType: "agent", actorId: principal.agentId };
}
