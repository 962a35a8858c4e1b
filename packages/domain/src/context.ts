import type { Session } from "@groundwork/db";

/** Who is asking: a user (signed in, or through a personal API token) or an agent (through its token). */
export type Principal =
  | { kind: "user"; userId: string; tokenId?: string }
  | { kind: "agent"; agentId: string; teamId: string; tokenId: string };

/**
 * Marks a user principal whose user has not yet been seen to still exist (not deleted) during the
 * request. A request that changes nothing may leave that check to the statement that reads its
 * project access, which reads it along (see `access/`), rather than spend a statement of its own on it.
 * A property rather than a WeakSet: a weak entry for every request is work for the garbage collector
 * (with the answers' mark in the API, 5% of a GET's server time).
 */
const UNCONFIRMED = Symbol("user unconfirmed");
type Marked = { [UNCONFIRMED]?: boolean };

/** Marks a user principal as not yet checked; `Auth.confirmUser` or an access check settles it. */
export function leaveUserUnconfirmed(principal: Principal): void {
  (principal as Marked)[UNCONFIRMED] = true;
}

/** Whether the principal's user still has to be checked to exist. */
export function isUserUnconfirmed(principal: Principal): boolean {
  return (principal as Marked)[UNCONFIRMED] === true;
}

/** Records that the principal's user was seen to exist. */
export function markUserConfirmed(principal: Principal): void {
  if ((principal as Marked)[UNCONFIRMED]) (principal as Marked)[UNCONFIRMED] = false;
}

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
