// What an idle operator's memory is made of (not a test): each line starts a
// fresh Node process that loads one more part of what src/main.ts loads,
// collects garbage, and reports its resident set and V8 heap, so the
// differences are each part's cost. The last line loads what the operator no
// longer loads: @kubernetes/client-node. (node:http, which the health server
// needs, loads undici, so global fetch costs no more memory.)
//   node bench/memory-baseline.ts
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../", import.meta.url));

// Cumulative: each step adds its imports to the previous ones.
const STEPS: [string, string[]][] = [
  ["Node.js itself", []],
  ["+ type stripping (the first .ts module)", ["./src/runtime/object-key.ts"]],
  ["+ pino", ["pino"]],
  ["+ yaml", ["yaml"]],
  ["+ zod", ["zod"]],
  ["+ the API schemas (zod)", ["./src/api/simulation.ts", "./src/api/platform.ts"]],
  ["+ prom-client (default metrics)", ["./src/runtime/metrics.ts"]],
  ["+ pg", ["pg"]],
  ["+ Prisma client (runtime, adapter, query compiler)", ["./src/adapters/prisma.ts"]],
  [
    "+ the operator's own modules",
    ["./src/controllers/simulation/controller.ts", "./src/controllers/platform/controller.ts"],
  ],
];
const NOT_LOADED: [string, string[]][] = [
  ["+ @kubernetes/client-node (no longer loaded)", ["@kubernetes/client-node"]],
];

/** RSS and heap in MiB after loading `modules` (and using the registry and Prisma as main does). */
function measure(modules: string[]): { rss: number; heap: number } {
  const script = `
    for (const m of ${JSON.stringify(modules)}) {
      const mod = await import(m);
      if (mod.createMetricsRegistry) await mod.createMetricsRegistry().metrics();
      if (mod.createPrisma) mod.createPrisma("postgresql://u@127.0.0.1:9/db");
    }
    await new Promise((r) => setTimeout(r, 200));
    globalThis.gc(); globalThis.gc();
    const m = process.memoryUsage();
    console.log(JSON.stringify({ rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20 }));`;
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], {
    cwd: REPO,
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}");
}

function main() {
  let loaded: string[] = [];
  let previous = { rss: 0, heap: 0 };
  console.log(
    "part                                                   RSS MiB (+)      heap MiB (+)",
  );
  const row = (
    label: string,
    now: { rss: number; heap: number },
    base: { rss: number; heap: number },
  ) =>
    console.log(
      `${label.padEnd(52)} ${now.rss.toFixed(1).padStart(6)} (${(now.rss - base.rss).toFixed(1).padStart(5)})  ${now.heap.toFixed(1).padStart(6)} (${(now.heap - base.heap).toFixed(1).padStart(5)})`,
    );
  for (const [label, modules] of STEPS) {
    loaded = [...loaded, ...modules];
    const now = measure(loaded);
    row(label, now, previous);
    previous = now;
  }
  const all = previous;
  for (const [label, modules] of NOT_LOADED) row(label, measure([...loaded, ...modules]), all);
}

main();
