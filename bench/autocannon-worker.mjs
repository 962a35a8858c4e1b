// Runs autocannon in its own thread, so the load generator does not share the servers' event loop.
// Inside a worker thread autocannon returns raw histograms: aggregateResult turns them into figures.
import { parentPort, workerData } from "node:worker_threads";
import autocannon from "autocannon";

const raw = await autocannon(workerData);
const result = autocannon.aggregateResult([raw], workerData);
parentPort.postMessage({
  requests: result.requests.total / result.duration,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors,
  total: result.requests.total,
});
