// What each write a simulation costs the API server, against the raw write
// that bench/operator.ts's ratio divides by (not a test):
//   eval "$(hack/stack/env.sh)" && node bench/api-writes.ts [--count 1000]
// With no operator running, `count` of each, 16 at once as the bench does:
// ConfigMap creates (the baseline), MonteCarloSimulation creates, the status
// patches a run makes (Running, then Succeeded with its result) and Events.
// Prints the CPU per write of the API server, etcd and this client, from
// /proc, each as a multiple of the baseline's, and the ceiling they put on
// completed simulations/s : raw writes/s: the ratio if the machine did nothing
// but a simulation's writes (no operator, no simulator, no watches).
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { KubeConfig } from "../src/runtime/kube-config.ts";
import { createKubeRequester } from "../src/runtime/kube-request.ts";
import { assessmentSpec } from "../tests/fixtures/simulations.ts";
import { createNamespace, simulation, stack } from "../tests/integration/harness.ts";
import { inParallel } from "./cache-memory.ts";
import { type ComponentSelector, cpuDelta, cpuSeconds, stackComponents } from "./proc-cpu.ts";

const { values } = parseArgs({ options: { count: { type: "string", default: "1000" } } });
const COUNT = Number(values.count);
const CONCURRENCY = 16;

const kc = new KubeConfig();
kc.loadFromFile(stack.kubeconfig);
const request = createKubeRequester(kc);
const { apiserver, etcd } = stackComponents(process.pid);
const components: Record<string, ComponentSelector> = {
  apiserver,
  etcd,
  client: { pid: process.pid },
};

interface Cost {
  readonly label: string;
  readonly perSecond: number;
  /** CPU ms per write, by component. */
  readonly ms: Record<string, number>;
  readonly total: number;
}

async function measure(label: string, write: (i: number) => Promise<unknown>): Promise<Cost> {
  const items = Array.from({ length: COUNT }, (_, i) => i);
  const before = cpuSeconds(components);
  const t0 = performance.now();
  await inParallel(CONCURRENCY, items, write);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuDelta(before, cpuSeconds(components));
  const ms = Object.fromEntries(
    Object.keys(components).map((c) => [c, ((cpu.get(c) ?? 0) * 1000) / COUNT]),
  );
  const total = Object.values(ms).reduce((a, b) => a + b, 0);
  return { label, perSecond: COUNT / seconds, ms, total };
}

const condition = (reason: string) => ({
  type: "Ready",
  status: "False",
  reason,
  message: "running on http://127.0.0.1:8000",
  observedGeneration: 1,
  lastTransitionTime: new Date().toISOString(),
});

// A result summary as the controller publishes it (status.result).
const result = {
  paths: 2000,
  passProbability: 0.36737,
  passInterval: { lower: 0.3464, upper: 0.38887 },
  unresolvedProbability: 0.0105,
  survivalProbability: 0.9617,
  survivalInterval: { lower: 0.95245, upper: 0.96914 },
  failureReasons: { maxLoss: 0.5983, dailyLoss: 0.0238, timeLimit: 0.0105 },
  daysToPass: { p50: 9, p90: 21 },
  finalBalance: { p5: 91234.5, p50: 99800, p95: 110400 },
  maxDrawdown: { p50: 3400, p95: 9100 },
  engineVersion: "bench",
};

async function simulationWrites(ns: string): Promise<Cost[]> {
  const base = `/apis/montecarlo.vatic.io/v1alpha1/namespaces/${ns}/montecarlosimulations`;
  const spec = (i: number) => ({
    ...assessmentSpec(),
    platformRef: { name: "bench-none" },
    simulation: { paths: 1000, seed: i },
  });
  const patch = (i: number, status: object) =>
    request({
      method: "PATCH",
      path: `${base}/sim-${i}/status`,
      contentType: "application/merge-patch+json",
      body: { status },
      ignoreResponse: true,
    });
  const now = new Date().toISOString();
  return [
    await measure("simulation create", (i) =>
      request({
        method: "POST",
        path: base,
        body: simulation(ns, `sim-${i}`, spec(i)),
        ignoreResponse: true,
      }),
    ),
    await measure("status patch: Running", (i) =>
      patch(i, {
        observedGeneration: 1,
        phase: "Running",
        conditions: [condition("Running")],
        startTime: now,
      }),
    ),
    await measure("status patch: Succeeded", (i) =>
      patch(i, {
        phase: "Succeeded",
        conditions: [{ ...condition("Completed"), status: "True" }],
        completionTime: now,
        result,
      }),
    ),
    await measure("Event create", (i) =>
      request({
        method: "POST",
        path: `/api/v1/namespaces/${ns}/events`,
        body: {
          metadata: { name: `sim-${i}.bench` },
          involvedObject: { kind: "MonteCarloSimulation", name: `sim-${i}`, namespace: ns },
          type: "Normal",
          reason: "Completed",
          message: "the simulation completed",
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
        ignoreResponse: true,
      }),
    ),
  ];
}

function print(baseline: Cost, costs: Cost[]) {
  const row = (c: Cost) =>
    `${c.label.padEnd(24)} ${c.perSecond.toFixed(0).padStart(6)}/s  ` +
    Object.entries(c.ms)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join("  ") +
    `  total ${c.total.toFixed(2)} ms = ${(c.total / baseline.total).toFixed(2)} x baseline`;
  console.log(`CPU per write, ${COUNT} of each, ${CONCURRENCY} at once, no operator:`);
  for (const c of [baseline, ...costs]) console.log(`  ${row(c)}`);
  const [create, running, succeeded, event] = costs as [Cost, Cost, Cost, Cost];
  const cores = availableParallelism();
  for (const [what, writes] of [
    ["create, Running, Succeeded, Event", [create, running, succeeded, event]],
    ["create, Succeeded, Event (no Running write)", [create, succeeded, event]],
  ] as const) {
    const ms = writes.reduce((a, c) => a + c.total, 0);
    const ceiling = (cores * 1000) / ms / baseline.perSecond;
    console.log(
      `a simulation's writes (${what}): ${ms.toFixed(2)} ms of CPU; ${cores} cores doing nothing else complete ${((cores * 1000) / ms).toFixed(1)}/s, a ratio to the raw ${baseline.perSecond.toFixed(0)} writes/s of at most ${ceiling.toFixed(3)}`,
    );
  }
}

async function main() {
  const ns = await createNamespace("bench-writes");
  const baseline = await measure("ConfigMap create (raw)", (i) =>
    request({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { metadata: { name: `cm-${i}` }, data: { a: "b" } },
      ignoreResponse: true,
    }),
  );
  print(baseline, await simulationWrites(ns));
  await request({ method: "DELETE", path: `/api/v1/namespaces/${ns}`, ignoreResponse: true });
}

await main();
