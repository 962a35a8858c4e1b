export { type TestDatabase, type TestDialect, testDialects } from "./dialects.js";
