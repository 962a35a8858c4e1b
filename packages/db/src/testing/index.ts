export { describeSchema } from "./describe-schema.js";
export { type TestDatabase, type TestDialect, testDialects } from "./dialects.js";
export { hostileQueries } from "./hostile-queries.js";
export { createScratchDatabase, type ScratchDatabase } from "./scratch-database.js";
