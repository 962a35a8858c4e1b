/** Errors of the workspace's rules; each has a stable `code` that the HTTP layer maps to a status. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  override get name(): string {
    return this.constructor.name;
  }
}

/** No valid credentials were presented. */
export class UnauthenticatedError extends DomainError {
  readonly code = "unauthenticated";
  constructor(message = "a valid access token is required") {
    super(message);
  }
}

/** The token is sound, but the user it was issued to has been deleted since. */
export class UserGoneError extends UnauthenticatedError {
  constructor() {
    super("this user no longer exists");
  }
}

/** The caller may see the resource but not do this to it. */
export class ForbiddenError extends DomainError {
  readonly code = "forbidden";
}

/** The change contradicts the current state (the last owner leaving, a member added twice). */
export class ConflictError extends DomainError {
  readonly code = "conflict";
  constructor(
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

/** Too many attempts; try again after `retryAfterSeconds`. */
export class RateLimitedError extends DomainError {
  readonly code = "rate_limited";
  constructor(readonly retryAfterSeconds: number) {
    super(`too many attempts; try again in ${retryAfterSeconds} s`);
  }
}
