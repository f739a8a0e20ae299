// Benchmark of the simulation controller on the local stack (not a test):
//   eval "$(hack/stack/env.sh)" && node bench/operator.ts [--sims 500] [--cached 5000]
// Prints, from one run (docs/performance.md reads them):
//   - the API server's raw write rate (ConfigMap creates) at the same client concurrency,
//     simulations completed per second for N small simulations end to end, and the ratio;
//   - CPU per completed simulation of each component (operator, split into its main
//     thread and V8's worker threads; apiserver, etcd, PostgreSQL, Ray: replica, proxy,
//     the rest), from /proc, over the end-to-end run, after a warm-up of --warmup
//     simulations (default 200) in batches of --warmup-chunk, each printed apart;
//     the measured batch runs on a platform with a slot for each simulation, then the
//     same number again on one with --queue-slots (default 50), where most wait in line
//     (--skip-queue leaves that batch out);
//   - the operator's reconciles, database statements and GC pauses per simulation;
//   - whether anything was lost: N Succeeded, N completed rows, one per uid;
//   - writes to montecarlosimulations per create->Succeeded, from the API server's /metrics,
//     and writes while idle afterwards;
//   - the operator's heap and resident memory with M simulations cached, half of them with
//     10,000-entry histories, under the Deployment's NODE_OPTIONS;
//   - database statements per second while W simulations wait for a slot (bench/waiters.ts);
//   - the writes of one long run against its budget, and its progress (bench/long-run.ts).
// --cpu-prof DIR writes a V8 CPU profile of the end-to-end operator into DIR.
import { randomInt } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import type { SimulationObject } from "../src/api/objects.ts";
import { FINALIZER } from "../src/controllers/simulation/reasons.ts";
import { KubeConfig } from "../src/runtime/kube-config.ts";
import { createKubeRequester } from "../src/runtime/kube-request.ts";
import { assessmentSpec } from "../tests/fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  type OperatorProcess,
  platform,
  simulation,
  stack,
  startOperator,
  unique,
} from "../tests/integration/harness.ts";
import { inParallel as inParallelBy, measureCacheMemory, untilOrExit } from "./cache-memory.ts";
import { deploymentSettings } from "./deployment.ts";
import { measureLongRun } from "./long-run.ts";
import { rowsOf, watchPhases } from "./phases.ts";
import { cpuDelta, cpuSeconds, stackComponents } from "./proc-cpu.ts";
import { type Batch, type EndToEnd, printCache, printEndToEnd, printTargets } from "./report.ts";
import { measureWaiters, statementCalls } from "./waiters.ts";
import { diff, simulationWrites, total } from "./writes.ts";

const { values } = parseArgs({
  options: {
    sims: { type: "string", default: "500" },
    /** Run to completion before the measured batch, not counted in it. */
    warmup: { type: "string", default: "200" },
    /** The warm-up runs in chunks of this many, each one's operator CPU printed. */
    "warmup-chunk": { type: "string", default: "200" },
    cached: { type: "string", default: "5000" },
    "history-entries": { type: "string", default: "10000" },
    concurrency: { type: "string", default: "16" },
    /** maxConcurrentRuns of the second batch's platform (the first has a slot for each). */
    "queue-slots": { type: "string", default: "50" },
    "skip-queue": { type: "boolean", default: false },
    waiters: { type: "string", default: "1000" },
    "only-waiters": { type: "boolean", default: false },
    "only-long": { type: "boolean", default: false },
    "skip-long": { type: "boolean", default: false },
    "skip-cache": { type: "boolean", default: false },
    "skip-waiters": { type: "boolean", default: false },
    "only-cache": { type: "boolean", default: false },
    /** Instead of the Deployment's (to compare V8 flags). */
    "node-options": { type: "string" },
    "cpu-prof": { type: "string" },
  },
});
const SIMS = Number(values.sims);
const WARMUP = Number(values.warmup);
const CONCURRENCY = Number(values.concurrency);
// Enough creates for a steady rate; 10,000 ConfigMaps would add nothing.
const RAW_WRITES = Math.min(SIMS, 2000);

const kc = new KubeConfig();
kc.loadFromFile(stack.kubeconfig);
const request = createKubeRequester(kc);
const post = (path: string, body: object) => request({ method: "POST", path, body });
const deployment = deploymentSettings();
const settings =
  values["node-options"] === undefined
    ? deployment
    : { ...deployment, nodeOptions: values["node-options"] };

const inParallel = <T>(items: T[], fn: (item: T) => Promise<unknown>) =>
  inParallelBy(CONCURRENCY, items, fn);

async function rawWriteRate(ns: string): Promise<number> {
  const names = Array.from({ length: RAW_WRITES }, (_, i) => `cm-${i}`);
  const t0 = performance.now();
  await inParallel(names, (name) =>
    post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data: { a: "b" } }),
  );
  return RAW_WRITES / ((performance.now() - t0) / 1000);
}

/**
 * Creates `count` simulations named `${prefix}-${i}`, seeds from `seed`, 16 at
 * once; resolves to how many the API server created with the operator's
 * finalizer already set (the admission policy), which spares those a write.
 */
async function createSimulations(
  ns: string,
  platformName: string,
  prefix: string,
  count: number,
  seed: number,
): Promise<number> {
  let finalized = 0;
  await inParallel(
    Array.from({ length: count }, (_, i) => i),
    async (i) => {
      const created = await post(
        `/apis/montecarlo.vatic.io/v1alpha1/namespaces/${ns}/montecarlosimulations`,
        simulation(ns, `${prefix}-${i}`, {
          ...assessmentSpec(),
          platformRef: { name: platformName },
          simulation: { paths: 1000, seed: seed + i },
        }),
      );
      if ((created as SimulationObject).metadata.finalizers?.includes(FINALIZER)) finalized++;
    },
  );
  return finalized;
}

interface BatchContext {
  readonly ns: string;
  readonly operator: OperatorProcess;
  readonly db: pg.Client;
  readonly phases: Awaited<ReturnType<typeof watchPhases>>;
  readonly components: ReturnType<typeof stackComponents>;
}

/** Waits until `n` simulations of the namespace have Succeeded (or the operator exits). */
const succeeded = (c: BatchContext, n: number) =>
  untilOrExit(
    c.operator,
    c.phases.until("Succeeded", n, 3_600_000),
    () => `${c.phases.count("Succeeded")} of ${n} Succeeded`,
  );

/** Creates --sims simulations on `platformName` and measures them until all have Succeeded. */
async function measureBatch(
  c: BatchContext,
  platformName: string,
  prefix: string,
  seed: number,
): Promise<Batch> {
  const finishedBefore = c.phases.count("Succeeded");
  const waitedBefore = c.phases.ever("Pending");
  const publishedBefore = c.phases.ever("Running");
  const before = await simulationWrites();
  const cpuBefore = cpuSeconds(c.components);
  const countersBefore = counters(await c.operator.metrics());
  const statementsBefore = await statementCalls(c.db);
  const t0 = performance.now();
  const finalizedAtCreate = await createSimulations(c.ns, platformName, prefix, SIMS, seed);
  const done = await succeeded(c, finishedBefore + SIMS);
  const cpu = cpuDelta(cpuBefore, cpuSeconds(c.components));
  const seconds = (done - t0) / 1000;
  const writes = diff(before, await simulationWrites());
  const countersAfter = counters(await c.operator.metrics());
  const statements = (await statementCalls(c.db)) - statementsBefore;
  return {
    seconds,
    rate: SIMS / seconds,
    writes,
    cpu,
    succeeded: c.phases.count("Succeeded") - finishedBefore,
    waited: c.phases.ever("Pending") - waitedBefore,
    published: c.phases.ever("Running") - publishedBefore,
    finalizedAtCreate,
    reconciles: countersAfter.reconciles - countersBefore.reconciles,
    gcSeconds: countersAfter.gcSeconds - countersBefore.gcSeconds,
    statements,
    rows: await rowsOf(c.ns, `${prefix}-`),
  };
}

/**
 * --warmup simulations in chunks of --warmup-chunk, each run to completion,
 * and the operator's CPU seconds over each: how the cost falls as V8
 * optimizes the hot code, printed so a reader sees where it levels off.
 */
async function warmUp(c: BatchContext, platformName: string, seed: number) {
  const chunk = Math.max(1, Number(values["warmup-chunk"]));
  const chunks: { sims: number; operatorSeconds: number }[] = [];
  for (let done = 0; done < WARMUP; done += chunk) {
    const sims = Math.min(chunk, WARMUP - done);
    const before = cpuSeconds(c.components);
    await createSimulations(c.ns, platformName, `warm${done}`, sims, seed + done);
    await succeeded(c, done + sims);
    const operatorSeconds = cpuDelta(before, cpuSeconds(c.components)).get("operator") ?? 0;
    chunks.push({ sims, operatorSeconds });
  }
  return chunks;
}

/**
 * The warm-up batch first (the first simulations after start also pay for
 * V8 compiling the operator's hot code), then the measured batch on a
 * platform with a slot for each, then (unless skipped) the same number on a
 * platform with --queue-slots slots, where most wait in line; the seeds
 * differ, so nothing is reused.
 */
async function endToEnd(
  ns: string,
  platforms: { open: string; queued?: string },
  operator: OperatorProcess,
): Promise<EndToEnd> {
  const seed = randomInt(1, 2 ** 40);
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  const phases = await watchPhases(kc, ns);
  const c: BatchContext = {
    ns,
    operator,
    db,
    phases,
    components: stackComponents(operator.child.pid ?? 0),
  };
  try {
    const warmup = await warmUp(c, platforms.open, seed + 2 * SIMS);
    const open = await measureBatch(c, platforms.open, "sim", seed);
    const queued =
      platforms.queued === undefined
        ? undefined
        : await measureBatch(c, platforms.queued, "queued", seed + SIMS);
    return { ...open, queued, warmup };
  } finally {
    await phases.stop();
    await db.end();
  }
}

/** The sum of one metric over every label set, from /metrics text. */
function sumOf(metrics: string, name: string): number {
  let total = 0;
  for (const line of metrics.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** Reconciles (every result) and garbage-collection pauses so far. */
const counters = (metrics: string) => ({
  reconciles: sumOf(metrics, "controller_runtime_reconcile_total"),
  gcSeconds: sumOf(metrics, "nodejs_gc_duration_seconds_sum"),
});

async function main() {
  if (values["only-waiters"]) return waitersReport();
  if (values["only-long"]) return longRunReport();
  if (values["only-cache"]) return void (await cacheReport());
  const ns = await createNamespace("bench");
  const platformOf = async (maxConcurrentRuns: number) => {
    const name = unique("bench");
    await apply(
      platform(name, {
        rayService: { namespace: ns, name: "rs" },
        endpoint: stack.rayUrl,
        limits: { maxConcurrentRuns },
      }),
    );
    return name;
  };
  const platforms = {
    open: await platformOf(Math.min(10_000, Math.max(SIMS, WARMUP))),
    queued: values["skip-queue"] ? undefined : await platformOf(Number(values["queue-slots"])),
  };
  const profile = values["cpu-prof"] ? ` --cpu-prof --cpu-prof-dir=${values["cpu-prof"]}` : "";
  const operator = await startOperator({
    POD_NAME: unique("bench-op"),
    NODE_OPTIONS: `${settings.nodeOptions}${profile}`,
    WATCH_NAMESPACE: ns,
    LEADER_ELECTION_NAMESPACE: ns,
    CONTROLLERS: "simulation",
    LOG_LEVEL: "info",
    SIMULATION_WORKERS: "8",
  });
  let e2e: EndToEnd;
  let idle: number;
  let raw: number;
  try {
    raw = await rawWriteRate(ns);
    e2e = await endToEnd(ns, platforms, operator);
    const idleBefore = await simulationWrites();
    await new Promise((r) => setTimeout(r, 15_000));
    idle = total(diff(idleBefore, await simulationWrites()));
    printEndToEnd({ sims: SIMS, concurrency: CONCURRENCY, settings, raw, e2e, idle });
  } finally {
    await operator.stop();
  }
  const cache = values["skip-cache"] ? undefined : await cacheReport();
  if (!values["skip-waiters"]) await waitersReport();
  if (!values["skip-long"]) await longRunReport();
  printTargets({ sims: SIMS, e2e, idle, cache, raw });
}

async function cacheReport() {
  const cached = Number(values.cached);
  const historyEntries = Number(values["history-entries"]);
  const result = await measureCacheMemory({
    cached,
    historyEntries,
    settings,
    kubeConfig: kc,
    post,
  });
  const figures = { cached, historyEntries, settings, ...result };
  printCache(figures);
  return figures;
}

async function waitersReport() {
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

await main();
