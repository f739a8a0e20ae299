// Heap and resident memory of an operator holding N simulations in its
// informer cache, half of them with a long trader history, under the
// Deployment's Node options. The simulations name a platform that does not
// exist: each is reconciled once (Pending PlatformNotFound) and then only
// cached.
import { assessmentSpec, historySpec } from "../tests/fixtures/simulations.ts";
import {
  createNamespace,
  type OperatorProcess,
  simulation,
  startOperator,
  unique,
} from "../tests/integration/harness.ts";
import type { DeploymentSettings } from "./deployment.ts";
import { watchPhases } from "./phases.ts";

export interface MemorySample {
  /** V8 heap in use (the least of the samples). */
  readonly heapMiB: number;
  readonly rssMiB: number;
  /** V8 heap reserved, and memory outside it (buffers), at the last sample. */
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
}

export interface CacheMemoryOptions {
  readonly cached: number;
  readonly historyEntries: number;
  readonly settings: DeploymentSettings;
  readonly kubeConfig: Parameters<typeof watchPhases>[0];
  readonly post: (path: string, body: object) => Promise<unknown>;
}

/**
 * The least heap in use and the last resident size over a few seconds: the
 * heap figure includes garbage until a collection, and an idle process
 * collects within seconds.
 */
export async function memoryOf(operator: OperatorProcess, samples = 8): Promise<MemorySample> {
  let heapMiB = Number.POSITIVE_INFINITY;
  let last: MemorySample = { heapMiB: 0, rssMiB: 0, heapTotalMiB: 0, externalMiB: 0 };
  for (let i = 0; i < samples; i++) {
    const text = await operator.metrics();
    const mib = (name: string) =>
      Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1]) / 2 ** 20;
    heapMiB = Math.min(heapMiB, mib("nodejs_heap_size_used_bytes"));
    last = {
      heapMiB,
      rssMiB: mib("process_resident_memory_bytes"),
      heapTotalMiB: mib("nodejs_heap_size_total_bytes"),
      externalMiB: mib("nodejs_external_memory_bytes"),
    };
    await new Promise((r) => setTimeout(r, 1000));
  }
  return last;
}

/**
 * Waits (up to 90 s) until the resident set stops shrinking: after a burst
 * V8 keeps the heap it grew for the garbage, and gives it back when idle.
 */
async function settled(operator: OperatorProcess): Promise<void> {
  const rss = async () =>
    Number(/^process_resident_memory_bytes (\S+)/m.exec(await operator.metrics())?.[1]);
  let last = await rss();
  let steady = 0;
  for (let waited = 0; waited < 90_000 && steady < 3; waited += 3000) {
    await new Promise((r) => setTimeout(r, 3000));
    const now = await rss();
    steady = Math.abs(now - last) < 2 ** 20 ? steady + 1 : 0;
    last = now;
  }
}

/** Calls fn on every item, `n` at a time. */
export async function inParallel<T>(n: number, items: T[], fn: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** `work`, unless the operator exits first (a lost lease, a heap exhausted). */
export function untilOrExit<T>(
  operator: OperatorProcess,
  work: Promise<T>,
  progress: () => string,
): Promise<T> {
  let onExit: ((code: number | null) => void) | undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = (code) =>
      reject(
        new Error(`the operator exited (code ${code}) with ${progress()}; log ${operator.logFile}`),
      );
    if (operator.child.exitCode !== null) onExit(operator.child.exitCode);
    else operator.child.once("exit", onExit);
  });
  return Promise.race([work, exited]).finally(() => {
    if (onExit) operator.child.off("exit", onExit);
  });
}

const cacheOperator = (ns: string, settings: DeploymentSettings) =>
  startOperator({
    POD_NAME: unique("bench-cache-op"),
    NODE_OPTIONS: settings.nodeOptions,
    WATCH_NAMESPACE: ns,
    LEADER_ELECTION_NAMESPACE: ns,
    CONTROLLERS: "simulation",
    LOG_LEVEL: "warn",
  });

/** Resolves once /readyz answers 200: the caches have synced. */
async function ready(operator: OperatorProcess): Promise<void> {
  for (;;) {
    const r = await fetch(`http://127.0.0.1:${operator.port}/readyz`).catch(() => undefined);
    if (r?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * A fresh operator started with the simulations already there (a restart or
 * a new leader): it lists them all at once instead of meeting them one by
 * one. Memory once it has reconciled them and settled.
 */
export async function relistMemory(
  ns: string,
  settings: DeploymentSettings,
): Promise<MemorySample> {
  const operator = await cacheOperator(ns, settings);
  try {
    await untilOrExit(operator, ready(operator), () => "not ready");
    await settled(operator);
    return await memoryOf(operator);
  } finally {
    await operator.stop();
  }
}

export async function measureCacheMemory(options: CacheMemoryOptions) {
  const { cached, historyEntries, settings } = options;
  const ns = await createNamespace("bench-cache");
  const operator = await cacheOperator(ns, settings);
  const phases = await watchPhases(options.kubeConfig, ns);
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const empty = await memoryOf(operator);
    const absent = { platformRef: { name: "absent" } };
    const names = Array.from({ length: cached }, (_, i) => i);
    // Four at a time: 16 parallel creates of 100 KB objects starve this
    // machine's API server of CPU for longer than the operator's lease
    // renewal deadline (10 s), and the operator, rightly, stops leading.
    await inParallel(4, names, (i) =>
      options.post(
        `/apis/montecarlo.vatic.io/v1alpha1/namespaces/${ns}/montecarlosimulations`,
        simulation(ns, `cached-${i}`, {
          ...(i % 2 === 0 ? historySpec(historyEntries) : assessmentSpec()),
          ...absent,
        }),
      ),
    );
    await untilOrExit(
      operator,
      phases.until("Pending", cached, 1_800_000),
      () => `${phases.count("Pending")} of ${cached} simulations reconciled`,
    );
    await settled(operator);
    const full = await memoryOf(operator);
    await operator.stop();
    const relisted = await relistMemory(ns, settings);
    return { empty, full, relisted, withHistory: Math.ceil(cached / 2) };
  } finally {
    await phases.stop();
    await operator.stop();
  }
}
