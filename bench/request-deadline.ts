// CPU per request of the simulator client's time limit (src/runtime/deadline.ts)
// against what it replaced, AbortSignal.any with AbortSignal.timeout, in one
// run: each request's limit is made, listened to, kept across an await and
// let go, in a loop, alternating the two ways three times.
//
//   node bench/request-deadline.ts [--requests 50000]
import { parseArgs } from "node:util";
import { deadline } from "../src/runtime/deadline.ts";

const { values } = parseArgs({ options: { requests: { type: "string", default: "50000" } } });
const REQUESTS = Number(values.requests);
const TIMEOUT_MS = 900_000; // SIMULATOR_TIMEOUT_SECONDS' default
const caller = new AbortController().signal;
const onAbort = () => {};

async function anyWithTimeout() {
  const signal = AbortSignal.any([caller, AbortSignal.timeout(TIMEOUT_MS)]);
  signal.addEventListener("abort", onAbort, { once: true });
  await null;
  signal.removeEventListener("abort", onAbort);
}

async function withDeadline() {
  const limit = deadline(caller, TIMEOUT_MS);
  limit.signal.addEventListener("abort", onAbort, { once: true });
  await null;
  limit.signal.removeEventListener("abort", onAbort);
  limit.dispose();
}

/** µs of this process's CPU per request; the event loop turns every 500. */
async function cpuPerRequest(request: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    await request();
    if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

for (let round = 1; round <= 3; round++) {
  const before = await cpuPerRequest(anyWithTimeout);
  const after = await cpuPerRequest(withDeadline);
  console.log(
    `round ${round}: AbortSignal.any + timeout ${before.toFixed(1)} µs, deadline ${after.toFixed(1)} µs per request: ratio ${(after / before).toFixed(2)}`,
  );
}
