// What bench/operator.ts prints: each measurement as it is made, then the
// issue's table of targets from the same run.
import type { MemorySample } from "./cache-memory.ts";
import type { DeploymentSettings } from "./deployment.ts";
import { operatorWrites, type WriteCounts } from "./writes.ts";

/** One measured batch of simulations, created together and run to Succeeded. */
export interface Batch {
  readonly seconds: number;
  readonly rate: number;
  readonly writes: WriteCounts;
  readonly cpu: Map<string, number>;
  readonly succeeded: number;
  /** Simulations seen Pending on the way: each waited for a slot, one status write more. */
  readonly waited: number;
  /**
   * Simulations seen Running: published before their result, because they
   * ran past their first second or waited first (a status write each).
   */
  readonly published: number;
  /** Simulations the API server created with the finalizer (the admission policy): one write fewer each. */
  readonly finalizedAtCreate: number;
  /** The operator's reconciles over the run (controller_runtime_reconcile_total). */
  readonly reconciles: number;
  /** The operator's garbage-collection pauses over the run (nodejs_gc_duration_seconds). */
  readonly gcSeconds: number;
  /** Database statements over the run (pg_stat_statements): the operator's. */
  readonly statements: number;
  /** The batch's rows: all of them, the completed ones, distinct uids. */
  readonly rows: { rows: number; completed: number; uids: number };
}

/** The batch with a slot for each simulation, and the one where most wait in line. */
export interface EndToEnd extends Batch {
  readonly queued: Batch | undefined;
  /** The batches run first, after start, and the operator's CPU seconds over each. */
  readonly warmup: readonly { readonly sims: number; readonly operatorSeconds: number }[];
}

export interface RunFigures {
  readonly sims: number;
  readonly concurrency: number;
  readonly settings: DeploymentSettings;
  readonly raw: number;
  readonly e2e: EndToEnd;
  readonly idle: number;
}

export interface CacheFigures {
  readonly cached: number;
  readonly historyEntries?: number;
  readonly settings: DeploymentSettings;
  readonly empty: MemorySample;
  readonly full: MemorySample;
  /** A fresh operator that listed them all at start. */
  readonly relisted: MemorySample;
  readonly withHistory: number;
}

const ms = (seconds: number) => (seconds * 1000).toFixed(1);

export function printEndToEnd(f: RunFigures): void {
  const { sims, e2e } = f;
  console.log(`operator NODE_OPTIONS (the Deployment's): ${f.settings.nodeOptions || "(none)"}`);
  console.log(
    `API server raw writes (ConfigMap creates, ${f.concurrency} in parallel): ${f.raw.toFixed(1)}/s`,
  );
  console.log(
    `${sims} simulations end to end: ${e2e.seconds.toFixed(1)} s, ${e2e.rate.toFixed(2)} completed/s`,
  );
  console.log(`ratio completed-simulations/s : raw-writes/s = ${(e2e.rate / f.raw).toFixed(3)}`);
  if (e2e.warmup.length > 0) {
    const sims = e2e.warmup.reduce((n, w) => n + w.sims, 0);
    const each = e2e.warmup.map((w) => ms(w.operatorSeconds / w.sims)).join(", ");
    console.log(
      `warm-up first: ${sims} simulations after the operator started, in batches of ${e2e.warmup[0]?.sims}: ${each} ms of operator CPU each (V8 compiling its hot code); not counted below`,
    );
  }
  printBatch(sims, e2e);
  console.log(`writes while idle for 15 s: ${f.idle}`);
  if (e2e.queued) {
    console.log(
      `the same number again on a platform with fewer slots, where most wait in line (Pending first): ${e2e.queued.seconds.toFixed(1)} s, ${e2e.queued.rate.toFixed(2)} completed/s`,
    );
    printBatch(sims, e2e.queued);
  }
}

function printBatch(sims: number, b: Batch): void {
  console.log("CPU per completed simulation (ms), from /proc over the batch:");
  for (const [component, seconds] of b.cpu) {
    const indent = component.includes("/") ? "    " : "  ";
    console.log(`${indent}${component.padEnd(22)} ${ms(seconds / sims).padStart(6)}`);
  }
  const operator = b.cpu.get("operator");
  const apiserver = b.cpu.get("apiserver");
  if (operator !== undefined && apiserver) {
    // The API server serves the same requests per simulation in every run,
    // so this moves with the operator's code more than with the machine's load.
    console.log(
      `operator CPU / API server CPU, same batch: ${(operator / apiserver).toFixed(3)} (a baseline from the same run)`,
    );
  }
  const lost = b.succeeded !== sims || b.rows.completed !== sims || b.rows.uids !== sims;
  console.log(
    `nothing lost: ${lost ? "NO" : "yes"} (${b.succeeded} Succeeded, ${b.rows.completed} completed rows of ${b.rows.rows}, ${b.rows.uids} uids)`,
  );
  console.log(`writes to montecarlosimulations during the batch: ${JSON.stringify(b.writes)}`);
  console.log(
    `operator writes per create->Succeeded: ${(operatorWrites(b.writes) / sims).toFixed(2)} (plus the user's create)`,
  );
  console.log(
    `  ${b.finalizedAtCreate} of ${sims} created with the finalizer (the admission policy), ${b.waited} waited for a slot first (Pending), ${b.published} were published Running before their result: Succeeded for each, the finalizer for each created without it, Pending for each that waited and Running for each published would be ${expectedWrites(sims, b).toFixed(2)}`,
  );
  console.log(`operator reconciles per simulation: ${(b.reconciles / sims).toFixed(2)}`);
  console.log(`database statements per simulation: ${(b.statements / sims).toFixed(2)}`);
  console.log(
    `operator garbage-collection pauses per simulation: ${((b.gcSeconds * 1000) / sims).toFixed(2)} ms`,
  );
}

/** Operator writes per simulation the batch should have made. */
const expectedWrites = (sims: number, b: Batch) =>
  (2 * sims - b.finalizedAtCreate + b.waited + b.published) / sims;

/** Heap and RSS per cached simulation, and how many fit the Deployment's limits. */
export function cacheFigures(c: CacheFigures) {
  const heapKiB = ((c.full.heapMiB - c.empty.heapMiB) * 1024) / c.cached;
  const rssKiB = ((c.full.rssMiB - c.empty.rssMiB) * 1024) / c.cached;
  const byRss = ((c.settings.memoryLimitMiB - c.empty.rssMiB) * 1024) / Math.max(rssKiB, 0.1);
  const byHeap =
    c.settings.oldSpaceMiB === undefined
      ? Number.POSITIVE_INFINITY
      : ((c.settings.oldSpaceMiB - c.empty.heapMiB) * 1024) / Math.max(heapKiB, 0.1);
  return { heapKiB, rssKiB, fit: Math.floor(Math.min(byRss, byHeap)) };
}

export function printCache(c: CacheFigures): void {
  const { heapKiB, rssKiB, fit } = cacheFigures(c);
  console.log(
    `operator with ${c.cached} simulations cached (${c.withHistory} with ${c.historyEntries}-entry histories), NODE_OPTIONS ${c.settings.nodeOptions}:`,
  );
  console.log(
    `  heap used ${c.empty.heapMiB.toFixed(1)} -> ${c.full.heapMiB.toFixed(1)} MiB (${heapKiB.toFixed(2)} KiB each); RSS ${c.empty.rssMiB.toFixed(0)} -> ${c.full.rssMiB.toFixed(0)} MiB (${rssKiB.toFixed(2)} KiB each)`,
  );
  console.log(
    `  V8 heap reserved ${c.empty.heapTotalMiB.toFixed(0)} -> ${c.full.heapTotalMiB.toFixed(0)} MiB, external ${c.empty.externalMiB.toFixed(0)} -> ${c.full.externalMiB.toFixed(0)} MiB`,
  );
  console.log(
    `  a fresh operator that listed them at start: heap used ${c.relisted.heapMiB.toFixed(1)} MiB, RSS ${c.relisted.rssMiB.toFixed(0)} MiB, V8 heap reserved ${c.relisted.heapTotalMiB.toFixed(0)} MiB`,
  );
  console.log(
    `  simulations that fit the Deployment's ${c.settings.memoryLimitMiB} MiB limit and ${c.settings.oldSpaceMiB} MiB old space, at these rates: ~${fit}`,
  );
}

export function printTargets(t: {
  sims: number;
  e2e: EndToEnd;
  idle: number;
  cache: (CacheFigures & { cached: number }) | undefined;
  raw?: number;
}): void {
  const rows: [string, string, string][] = [
    [
      "operator CPU per completed simulation",
      `${ms((t.e2e.cpu.get("operator") ?? 0) / t.sims)} ms`,
      "<= 5 ms",
    ],
    [
      "writes per simulation; writes while idle",
      `${(operatorWrites(t.e2e.writes) / t.sims).toFixed(2)}; ${t.idle}`,
      `<= 3.00 (${expectedWrites(t.sims, t.e2e).toFixed(2)} for this batch); 0`,
    ],
  ];
  if (t.raw !== undefined) {
    rows.splice(1, 0, ["completed/s / raw writes/s", (t.e2e.rate / t.raw).toFixed(3), ">= 0.10"]);
  }
  const q = t.e2e.queued;
  if (q) {
    rows.push(
      [
        `the queued batch (${q.waited} of ${t.sims} waited): operator CPU per simulation`,
        `${ms((q.cpu.get("operator") ?? 0) / t.sims)} ms`,
        "(no target)",
      ],
      [
        "the queued batch: writes per simulation",
        `${(operatorWrites(q.writes) / t.sims).toFixed(2)}`,
        `${expectedWrites(t.sims, q).toFixed(2)}: Pending for each that waited, Running for each published`,
      ],
    );
  }
  if (t.cache) {
    const { heapKiB, fit } = cacheFigures(t.cache);
    rows.push(
      ["heap per cached simulation (half with histories)", `${heapKiB.toFixed(2)} KiB`, "<= 4 KiB"],
      [`RSS with ${t.cache.cached} cached`, `${t.cache.full.rssMiB.toFixed(0)} MiB`, "<= 200 MiB"],
      [
        `simulations cached within the ${t.cache.settings.memoryLimitMiB} Mi limit`,
        `~${fit}`,
        ">= 20,000",
      ],
    );
  }
  console.log("\n| measure | this run | target |\n|---|---|---|");
  for (const [measure, value, target] of rows) console.log(`| ${measure} | ${value} | ${target} |`);
}
