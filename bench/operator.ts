// Benchmark of the simulation controller on the local stack (not a test):
//   eval "$(hack/stack/env.sh)" && node bench/operator.ts [--sims 500] [--cached 5000]
// Prints, from one run:
//   - the API server's raw write rate (ConfigMap creates) at the same client concurrency,
//   - simulations completed per second for N small simulations end to end, and the ratio;
//   - writes to montecarlosimulations per create->Succeeded, from the API server's /metrics,
//     and writes while idle afterwards;
//   - the operator's heap and resident memory with M simulations in its cache;
//   - database statements per second while W simulations wait for a slot (bench/waiters.ts);
//   - the writes of one long run against its budget, and its progress (bench/long-run.ts).
import { randomInt } from "node:crypto";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { createKubeRequester } from "../src/runtime/kube-request.ts";
import { assessmentSpec } from "../tests/fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  getJson,
  kubectlOk,
  type OperatorProcess,
  platform,
  simulation,
  stack,
  startOperator,
  unique,
  waitFor,
} from "../tests/integration/harness.ts";
import { measureLongRun } from "./long-run.ts";
import { measureWaiters } from "./waiters.ts";

const { values } = parseArgs({
  options: {
    sims: { type: "string", default: "500" },
    cached: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "16" },
    waiters: { type: "string", default: "1000" },
    "only-waiters": { type: "boolean", default: false },
    "only-long": { type: "boolean", default: false },
  },
});
const SIMS = Number(values.sims);
const CACHED = Number(values.cached);
const CONCURRENCY = Number(values.concurrency);

const kc = new KubeConfig();
kc.loadFromFile(stack.kubeconfig);
const request = createKubeRequester(kc);

async function inParallel<T>(items: T[], fn: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** Sum of apiserver_request_total for write verbs on montecarlosimulations, by subresource. */
async function simulationWrites(): Promise<Record<string, number>> {
  const text = await kubectlOk(["get", "--raw", "/metrics"]);
  const sums: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (
      !line.startsWith("apiserver_request_total{") ||
      !line.includes('resource="montecarlosimulations"')
    )
      continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? "";
    if (!["POST", "PUT", "PATCH", "DELETE", "APPLY"].includes(verb)) continue;
    const sub = /subresource="([^"]*)"/.exec(line)?.[1] || "object";
    const key = `${verb} ${sub}`;
    sums[key] = (sums[key] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sums;
}
const diff = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(
    Object.keys(b)
      .map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)])
      .filter(([, v]) => v !== 0),
  );
const total = (r: Record<string, number>) => Object.values(r).reduce((s, v) => s + v, 0);

async function rawWriteRate(ns: string): Promise<number> {
  const names = Array.from({ length: SIMS }, (_, i) => `cm-${i}`);
  const t0 = performance.now();
  await inParallel(names, (name) =>
    request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { metadata: { name }, data: { a: "b" } },
    }),
  );
  return SIMS / ((performance.now() - t0) / 1000);
}

async function endToEnd(ns: string, platformName: string) {
  const seed = randomInt(1, 2 ** 40);
  const names = Array.from({ length: SIMS }, (_, i) => `sim-${i}`);
  const before = await simulationWrites();
  const t0 = performance.now();
  await inParallel(names, (name, i = Number(name.slice(4))) =>
    request({
      method: "POST",
      path: `/apis/montecarlo.vatic.io/v1alpha1/namespaces/${ns}/montecarlosimulations`,
      body: simulation(ns, name, {
        ...assessmentSpec(),
        platformRef: { name: platformName },
        simulation: { paths: 1000, seed: seed + i },
      }),
    }),
  );
  await waitFor(
    `${SIMS} simulations Succeeded`,
    async () => {
      const list = await getJson(["get", "mcs", "-n", ns]);
      return (
        list.items.filter((s: { status?: { phase?: string } }) => s.status?.phase === "Succeeded")
          .length === SIMS
      );
    },
    900_000,
    500,
  );
  const seconds = (performance.now() - t0) / 1000;
  const writes = diff(before, await simulationWrites());
  return { seconds, rate: SIMS / seconds, writes };
}

/** Resident set and V8 heap in use, in MiB, from an operator's /metrics. */
async function memoryOf(operator: OperatorProcess) {
  const text = await operator.metrics();
  const mib = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1]) / 2 ** 20;
  return { rss: mib("process_resident_memory_bytes"), heap: mib("nodejs_heap_size_used_bytes") };
}

async function waitersReport() {
  const post = (path: string, body: object) => request({ method: "POST", path, body });
  const w = await measureWaiters(Number(values.waiters), 20, post, inParallel);
  console.log(
    `database statements while ${w.waiters} simulations wait for a slot (nothing finishing): ${w.perSecond.toFixed(2)}/s over ${w.windowS} s (target < 5); simulations Running with maxConcurrentRuns 1: ${w.running}`,
  );
}

async function longRunReport() {
  const run = await measureLongRun(simulationWrites, (a, b) => total(diff(a, b)));
  console.log(
    `long run: ${run.seconds.toFixed(1)} s, ${run.writes} operator writes to the object (budget 3 + ceil(s/10) = ${run.budget})`,
  );
  for (const line of run.samples) console.log(`  kubectl get mcs: ${line}`);
}

async function main() {
  if (values["only-waiters"]) return waitersReport();
  if (values["only-long"]) return longRunReport();
  const ns = await createNamespace("bench");
  const platformName = unique("bench");
  await apply(
    platform(platformName, {
      rayService: { namespace: ns, name: "rs" },
      endpoint: stack.rayUrl,
      limits: { maxConcurrentRuns: 50 },
    }),
  );
  const operator = await startOperator({
    POD_NAME: unique("bench-op"),
    WATCH_NAMESPACE: ns,
    LEADER_ELECTION_NAMESPACE: ns,
    CONTROLLERS: "simulation",
    LOG_LEVEL: "info",
    SIMULATION_WORKERS: "8",
  });
  try {
    const raw = await rawWriteRate(ns);
    const e2e = await endToEnd(ns, platformName);
    const idleBefore = await simulationWrites();
    await new Promise((r) => setTimeout(r, 15_000));
    const idle = total(diff(idleBefore, await simulationWrites()));
    const operatorWrites = total(e2e.writes) - (e2e.writes["POST object"] ?? 0);

    console.log(
      `API server raw writes (ConfigMap creates, ${CONCURRENCY} in parallel): ${raw.toFixed(1)}/s`,
    );
    console.log(
      `${SIMS} simulations end to end: ${e2e.seconds.toFixed(1)} s, ${e2e.rate.toFixed(2)} completed/s`,
    );
    console.log(`ratio completed-simulations/s : raw-writes/s = ${(e2e.rate / raw).toFixed(3)}`);
    console.log(`writes to montecarlosimulations during the run: ${JSON.stringify(e2e.writes)}`);
    console.log(
      `operator writes per create->Succeeded: ${(operatorWrites / SIMS).toFixed(2)} (target <= 3; plus the user's create)`,
    );
    console.log(`writes while idle for 15 s: ${idle}`);

    const cacheNs = await createNamespace("bench-cache");
    const cacheOperator = await startOperator({
      POD_NAME: unique("bench-cache-op"),
      // As the Deployment runs it (e.g. NODE_OPTIONS=--max-old-space-size=320).
      ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
      WATCH_NAMESPACE: cacheNs,
      LEADER_ELECTION_NAMESPACE: cacheNs,
      CONTROLLERS: "simulation",
      LOG_LEVEL: "warn",
    });
    const empty = await memoryOf(cacheOperator);
    // Objects that stay Pending (their platform does not exist): cached, never run.
    const names = Array.from({ length: CACHED }, (_, i) => `cached-${i}`);
    await inParallel(names, (name) =>
      request({
        method: "POST",
        path: `/apis/montecarlo.vatic.io/v1alpha1/namespaces/${cacheNs}/montecarlosimulations`,
        body: simulation(cacheNs, name, { ...assessmentSpec(), platformRef: { name: "absent" } }),
      }),
    );
    await waitFor(
      "the cache to hold every simulation",
      async () => {
        const list = await getJson(["get", "mcs", "-n", cacheNs]);
        return (
          list.items.filter((s: { status?: { phase?: string } }) => s.status?.phase === "Pending")
            .length === CACHED
        );
      },
      900_000,
      2000,
    );
    await new Promise((r) => setTimeout(r, 5000));
    const full = await memoryOf(cacheOperator);
    const perObject = (from: number, to: number) => (((to - from) * 1024) / CACHED).toFixed(1);
    console.log(
      `operator with ${CACHED} simulations cached: heap used ${empty.heap.toFixed(0)} -> ${full.heap.toFixed(0)} MiB (${perObject(empty.heap, full.heap)} KiB each), RSS ${empty.rss.toFixed(0)} -> ${full.rss.toFixed(0)} MiB`,
    );
    console.log(
      `bench operator RSS after the run: ${(await memoryOf(operator)).rss.toFixed(0)} MiB`,
    );
    await cacheOperator.stop();
    await waitersReport();
    await longRunReport();
  } finally {
    await operator.stop();
  }
}

await main();
