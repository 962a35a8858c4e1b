export { API_BASE, type App, createApp } from "./app.js";
export type { AppDependencies, AppEnv } from "./env.js";
export { type Problem, type ProblemCode, ProblemSchema, problemStatus } from "./problem.js";
export { type RunningServer, startServer } from "./server.js";
