import { ValidationError } from "@groundwork/db";
import { swaggerUI } from "@hono/swagger-ui";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { TrieRouter } from "hono/router/trie-router";
import type { AppDependencies } from "./env.js";
import { resolvePrincipal } from "./middleware/auth.js";
import { answerJson } from "./middleware/json-answers.js";
import { declaresBody, requireJsonBody, takesFileContent } from "./middleware/media-type.js";
import { requestLog } from "./middleware/request-log.js";
import { type ProblemCode, toProblem } from "./problem.js";
import { sendProblem } from "./respond.js";
import { locatedInRequest, routedThrough, router } from "./router.js";
import { activitiesRoutes } from "./routes/activities.js";
import { agentsRoutes } from "./routes/agents.js";
import { authRoutes } from "./routes/auth.js";
import { chatsRoutes } from "./routes/chats.js";
import { costsRoutes } from "./routes/costs.js";
import { filesRoutes } from "./routes/files.js";
import { meRoutes } from "./routes/me.js";
import { projectsRoutes } from "./routes/projects.js";
import { promptsRoutes } from "./routes/prompts.js";
import { queuesRoutes } from "./routes/queues.js";
import { searchRoutes } from "./routes/search.js";
import { systemRoutes } from "./routes/system.js";
import { teamsRoutes } from "./routes/teams.js";
import { ticketsRoutes } from "./routes/tickets.js";

export const API_BASE = "/api/v1";
const DEFAULT_BODY_LIMIT = 1024 * 1024;
/**
 * The body limit of the routes that write a file's content (up to `maxFileContentLength`, 1,048,576
 * characters): room for the longest content in any characters, each at most 6 bytes in JSON
 * (`\u0001`), with the file's other fields.
 */
const FILE_BODY_LIMIT = 8 * 1024 * 1024;

const statusCodes: Record<number, ProblemCode> = {
  400: "validation_failed",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** Refuses a body over `maxSize` bytes with a 413 problem document. */
function bodyLimitOf(maxSize: number) {
  return bodyLimit({
    maxSize,
    // The rest of the body is never read, so the connection cannot serve another request: say so,
    // or a client reusing it finds it closed under its next request.
    onError: (c) =>
      sendProblem(c, "payload_too_large", {
        detail: `the body may have at most ${maxSize} bytes`,
        headers: { Connection: "close" },
      }),
  });
}

/**
 * The HTTP application: every route under /api/v1, the OpenAPI document at /openapi.json and its
 * interactive reference at /docs, /health and /ready.
 */
export function createApp(deps: AppDependencies) {
  const api = router()
    .route("/", authRoutes(deps))
    .route("/", meRoutes(deps))
    .route("/", teamsRoutes(deps))
    .route("/", projectsRoutes(deps))
    .route("/", ticketsRoutes(deps))
    .route("/", agentsRoutes(deps))
    .route("/", costsRoutes(deps))
    .route("/", queuesRoutes(deps))
    .route("/", activitiesRoutes(deps))
    .route("/", chatsRoutes(deps))
    .route("/", filesRoutes(deps))
    .route("/", promptsRoutes(deps))
    .route("/", searchRoutes(deps));

  const app = router();
  const logRequest = requestLog(deps.logger);
  // Every request's first step: its JSON answers, then its id and log line. One middleware, not two:
  // each one a request passes through costs it.
  app.use((c, next) => {
    answerJson(c);
    return logRequest(c, next);
  });
  const limit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const limitBody = bodyLimitOf(limit);
  const limitFileBody = bodyLimitOf(Math.max(limit, FILE_BODY_LIMIT));
  // A body over the limit is refused whatever the method, before anything reads it; a request that
  // declares none skips the limit, which would ask the adapter for a body.
  app.use((c, next) => {
    if (!declaresBody(c)) return next();
    return (routedThrough(c, takesFileContent) ? limitFileBody : limitBody)(c, next);
  });
  // Only POST, PUT and PATCH routes read a body: other requests skip the media-type check (each
  // middleware a request passes through costs it).
  app.on(["POST", "PUT", "PATCH"], "*", requireJsonBody);
  app.use(`${API_BASE}/*`, resolvePrincipal(deps));
  // Chained, so the app's type carries every route for the typed client.
  const routes = app.route("/", systemRoutes(deps)).route(API_BASE, api);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An access token from /auth/login, or an API token (gwt_…)",
  });
  // Not app.doc31: it answers a failure to build the document with the error serialized as JSON,
  // unlogged; thrown, the failure becomes an `internal` problem and a log line like any other.
  app.get("/openapi.json", (c) =>
    c.json(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Groundwork API",
          version: "1.0.0",
          description: "Projects, tickets, tasks and work queues for teams and their AI agents.",
        },
        servers: [{ url: "/" }],
      }),
    ),
  );
  app.get("/docs", swaggerUI({ url: "/openapi.json", title: "Groundwork API" }));

  let allowedAt: ((path: string) => string[]) | undefined;
  app.notFound((c) => {
    // Built once every route is in, on the first request that matches none.
    allowedAt ??= allowedMethods(app.routes);
    const allowed = allowedAt(c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return sendProblem(c, "method_not_allowed", {
        detail: `${c.req.method} is not allowed on ${c.req.path}, which takes ${allowed.join(", ")}`,
        headers: { Allow: allowed.join(", ") },
      });
    }
    return sendProblem(c, "not_found", { detail: `no route ${c.req.method} ${c.req.path}` });
  });
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      const code = statusCodes[error.status] ?? "internal";
      if (code !== "validation_failed") return sendProblem(c, code, {});
      // As every validation problem, with its place: clients read `errors`.
      const message = "the body is not valid JSON";
      return sendProblem(c, code, { detail: message, errors: [{ path: "body", message }] });
    }
    const { code, init, expected } = toProblem(error instanceof ValidationError ? locatedInRequest(c, error) : error);
    const requestId = c.get("requestId");
    if (expected) deps.logger.debug({ requestId, code, err: error }, "request refused");
    else deps.logger.error({ requestId, err: error }, "request failed");
    return sendProblem(c, code, init);
  });
  return routes;
}

export type App = ReturnType<typeof createApp>;

/**
 * The methods routed at a path, for a 405's `Allow` (HEAD wherever GET is, as Hono answers it):
 * none for a path no route matches.
 */
function allowedMethods(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  const router = new TrieRouter<string>();
  // Middleware is registered for ALL methods or at a wildcard path; routes are neither.
  for (const { method, path } of routes) if (method !== "ALL" && !path.endsWith("*")) router.add("ALL", path, method);
  return (path) => {
    const methods = new Set(router.match("ALL", path)[0].map(([method]) => method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}
