export { migrationsDir } from "./migrations.js";
export * from "./schema/index.js";
