import type { AppDependencies } from "../env.js";
import { router } from "../router.js";

export function promptsRoutes(_deps: AppDependencies) {
  return router();
}
