import type { App, Problem, ProblemCode } from "@groundwork/api";
import { type ClientResponse, hc } from "hono/client";

export type { Problem, ProblemCode };

/** A failed call: the problem document the server answered with, and its stable `code`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly problem: Problem,
  ) {
    super(`${status} ${code}: ${problem.detail}`);
    this.name = "ApiError";
  }
}

export interface ClientOptions {
  /** A bearer token (access token or API token), or a function giving the current one. */
  token?: string | (() => string | undefined);
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/**
 * The typed client: `client.api.v1.teams.$post({ json: { name, slug } })`, with request and
 * response types inferred from the server's routes. Pass a response to `unwrap` for its body.
 */
export function createClient(baseUrl: string, options: ClientOptions = {}) {
  const token = () => (typeof options.token === "function" ? options.token() : options.token);
  return hc<App>(baseUrl, {
    fetch: options.fetch,
    headers: (): Record<string, string> => {
      const current = token();
      return current ? { Authorization: `Bearer ${current}` } : {};
    },
  });
}

export type Client = ReturnType<typeof createClient>;

type SuccessBody<R> =
  R extends ClientResponse<infer T, infer S, infer _F>
    ? S extends 200 | 201 | 202 | 203
      ? T
      : S extends 204
        ? undefined
        : never
    : never;

/** The body of a successful response (undefined for 204); an ApiError for any problem. */
export async function unwrap<R extends ClientResponse<unknown, number, string>>(
  response: R | Promise<R>,
): Promise<SuccessBody<R>> {
  const res = await response;
  if (res.ok) return (res.status === 204 ? undefined : await res.json()) as SuccessBody<R>;
  let body: Problem;
  try {
    body = (await res.json()) as Problem;
  } catch {
    body = { type: "about:blank", title: res.statusText, status: res.status, detail: res.statusText, code: "internal" };
  }
  throw new ApiError(res.status, body.code ?? "internal", body);
}
