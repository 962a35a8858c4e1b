import postgres from "postgres";
import { ipv6Hosts } from "./url.js";

/**
 * A postgres-js client for `url`, which may name its host by an IPv6 address (`[::1]:5432`): the
 * hosts and ports of such a URL go to postgres-js apart, as lists, which it takes though its
 * `Options` type says one of each.
 */
export function postgresClient(url: string, options: postgres.Options<Record<string, never>> = {}): postgres.Sql {
  return postgres(url, { ...(ipv6Hosts(url) as unknown as { host?: string; port?: number }), ...options });
}
