export * from "./agents.js";
export * from "./common.js";
export * from "./teams.js";
export * from "./users.js";
