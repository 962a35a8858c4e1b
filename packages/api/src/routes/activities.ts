import type { AppDependencies } from "../env.js";
import { router } from "../router.js";

export function activitiesRoutes(_deps: AppDependencies) {
  return router();
}
