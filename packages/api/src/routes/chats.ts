import type { AppDependencies } from "../env.js";
import { router } from "../router.js";

export function chatsRoutes(_deps: AppDependencies) {
  return router();
}
