import { randomUUID } from "node:crypto";
import { auditLogs } from "@groundwork/domain";
import { createMiddleware } from "hono/factory";
import type { Logger } from "pino";
import type { AppEnv } from "../env.js";
import { carriesRequestId } from "../respond.js";

/**
 * A caller's own X-Request-Id is kept when it is plain and fits the audit trail's column, where every
 * change the request makes records it; otherwise the request gets a new one.
 */
const USABLE_REQUEST_ID = new RegExp(`^[\\w\\-=]{1,${auditLogs.info.columns.requestId?.length ?? ""}}$`);

/**
 * Gives the request its id (`X-Request-Id` on the answer, `requestId` in the context) and logs one
 * structured line per request with it. The id is a field of the line (and of the error handler's
 * lines), so no child logger is made per request.
 */
export function requestLog(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const requestId = given !== undefined && USABLE_REQUEST_ID.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    await next();
    // JSON answers and problem documents are built with the id; anything else gets it here.
    if (!carriesRequestId(c.res)) c.res.headers.set("X-Request-Id", requestId);
    if (!logger.isLevelEnabled("info")) return;
    logger.info(
      {
        requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      },
      "request",
    );
  });
}
