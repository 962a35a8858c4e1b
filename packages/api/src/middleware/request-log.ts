import { createMiddleware } from "hono/factory";
import type { Logger } from "pino";
import type { AppEnv } from "../env.js";

/** One structured log line per request, tagged with its request id; a child logger for the handlers. */
export function requestLog(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const log = logger.child({ requestId: c.get("requestId") });
    c.set("logger", log);
    await next();
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      },
      "request",
    );
  });
}
