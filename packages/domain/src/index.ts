export { atLeast, requireTeamRole } from "./access/team-access.js";
export { type Change, changedFields, recordChange } from "./audit.js";
export { type AnonymousContext, actorOf, type Principal, type RequestInfo, type ServiceContext } from "./context.js";
export * from "./errors.js";
export { migrationsDir } from "./migrations.js";
export * from "./schema/index.js";
export * from "./services/auth.js";
export { LoginThrottle } from "./services/login-throttle.js";
export * as userService from "./services/users.js";
