export { type DemoSeedResult, demoLogin, findDemoLogin, seedDemo } from "./demo.js";
