// Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from
// `node bench/operator.ts --cpu-prof DIR`) by function group: the package or
// source file a function lives in, or the runtime's own work (garbage
// collection, the compiler, idle). Self time only, so the groups add up.
//   node bench/cpu-profile.ts FILE.cpuprofile [--per N] [--functions 25]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** "prisma", "@kubernetes/client-node", "src/runtime/informer.ts", "node:internal/...", "(gc)". */
export function groupOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const source = /\/((?:src|bench|tests)\/.*)$/.exec(url);
  if (source) return source[1]!;
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  return url;
}

// Areas a reader can act on, by the first frame up the stack that belongs to
// one: a socket write counts for the database when pg made it.
const AREAS: [RegExp, string][] = [
  [
    /^(@prisma\/|pg|wasm:|src\/adapters\/(simulation-store|prisma|database-errors))/,
    "database (Prisma, pg)",
  ],
  [
    /^(@kubernetes\/|src\/runtime\/(kube-|list-watch)|src\/adapters\/(simulation-writer|simulation-reader|events))/,
    "Kubernetes API client",
  ],
  [/^src\/adapters\/(simulator-|http-fetch)/, "simulator client"],
  [/^node:internal\/deps/, "fetch (undici)"],
  [/^node:(_http_|https|internal\/http)/, "node:http"],
  [/^(zod|src\/api\/)/, "validation (zod) and API helpers"],
  [/^(pino|sonic-boom)/, "logging"],
  [/^(prom-client|src\/runtime\/(controller-)?metrics)/, "metrics"],
  [/^(src\/controllers\/|src\/runtime\/)/, "controller logic (decide, queue, informer)"],
  [/^node:internal\/modules/, "start-up (module loading)"],
  [/^\(garbage collector\)$/, "garbage collection"],
  [/^\(program\)$/, "V8 (program)"],
];

/** Self time by area, each node's time given to the first area up its stack. */
export function byArea(profile: CpuProfile): [string, number][] {
  const parent = new Map<number, number>();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const group = groupOf(nodes.get(at)!.callFrame);
      const area = AREAS.find(([re]) => re.test(group));
      if (area) return area[1];
    }
    return "other (Node.js internals)";
  };
  const times = new Map<string, number>();
  for (const [id, us] of selfTimes(profile)) {
    if (groupOf(nodes.get(id)!.callFrame) === "(idle)") continue;
    const area = areaOf(id);
    times.set(area, (times.get(area) ?? 0) + us);
  }
  return [...times].sort((a, b) => b[1] - a[1]);
}

function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return self;
}

export function summarize(profile: CpuProfile) {
  const self = selfTimes(profile);
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const group = groupOf(node.callFrame);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    const fn = `${node.callFrame.functionName || "(anonymous)"} ${group}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { byGroup: sorted(byGroup), byFunction: sorted(byFunction) };
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { per: { type: "string" }, functions: { type: "string", default: "25" } },
  });
  const file = positionals[0];
  if (!file) throw new Error("usage: node bench/cpu-profile.ts FILE.cpuprofile [--per N]");
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const { byGroup, byFunction } = summarize(profile);
  const per = values.per ? Number(values.per) : undefined;
  const busy = byGroup.filter(([g]) => g !== "(idle)").reduce((s, [, us]) => s + us, 0);
  const line = (name: string, us: number) =>
    `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%${
      per ? ` ${(us / 1000 / per).toFixed(2).padStart(7)} ms/sim` : ""
    }  ${name}`;
  console.log(
    `busy (not idle): ${(busy / 1000).toFixed(0)} ms${per ? ` over ${per} simulations` : ""}`,
  );
  console.log("by area (self time, given to the first area up the stack):");
  for (const [area, us] of byArea(profile)) console.log(line(area, us));
  console.log("by group (self time):");
  for (const [group, us] of byGroup) if (group !== "(idle)") console.log(line(group, us));
  console.log(`top ${values.functions} functions (self time):`);
  for (const [fn, us] of byFunction.slice(0, Number(values.functions))) console.log(line(fn, us));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
