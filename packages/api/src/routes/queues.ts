import type { AppDependencies } from "../env.js";
import { router } from "../router.js";

export function queuesRoutes(_deps: AppDependencies) {
  return router();
}
