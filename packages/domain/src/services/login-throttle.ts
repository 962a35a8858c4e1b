import { RateLimitedError } from "../errors.js";

/**
 * Counts failed logins per email and per address over a sliding window, in this process. Past the
 * limit, logins for that email (or from that address) answer 429 until the window has moved on.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws RateLimitedError when `email` or `ip` has failed too often lately. */
  check(email: string, ip: string | undefined): void {
    for (const key of this.keys(email, ip)) {
      const recent = this.recent(key);
      if (recent.length >= this.limitOf(key)) {
        const oldest = recent[0] ?? this.now();
        throw new RateLimitedError(Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000)));
      }
    }
  }

  fail(email: string, ip: string | undefined): void {
    for (const key of this.keys(email, ip)) this.failures.set(key, [...this.recent(key), this.now()]);
    if (this.failures.size > 100_000) this.prune();
  }

  succeed(email: string): void {
    this.failures.delete(`email:${email}`);
  }

  private keys(email: string, ip: string | undefined): string[] {
    return ip ? [`email:${email}`, `ip:${ip}`] : [`email:${email}`];
  }

  // An address gets more room than one account: several people may share it.
  private limitOf(key: string): number {
    return key.startsWith("ip:") ? this.limit * 4 : this.limit;
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > since).slice(-this.limitOf(key));
  }

  private prune(): void {
    for (const key of [...this.failures.keys()]) if (this.recent(key).length === 0) this.failures.delete(key);
  }
}
