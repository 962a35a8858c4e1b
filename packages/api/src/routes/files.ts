import type { AppDependencies } from "../env.js";
import { router } from "../router.js";

export function filesRoutes(_deps: AppDependencies) {
  return router();
}
