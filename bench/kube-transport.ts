// The operator's CPU per status write to the API server, over HTTP/2 (the
// transport's default) against HTTP/1.1 (DISABLE_HTTP2=true) in the same
// run: 16 simulations' statuses patched 3,000 times, 16 at once, with a watch
// on the namespace open as the operator's informer would be, so each write
// also brings its watch event back. The two protocols alternate, twice each.
//
//   eval "$(hack/stack/env.sh)" && node bench/kube-transport.ts [--writes 3000]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SimulationResource } from "../src/api/resources.ts";
import { connectionFromKubeconfig } from "../src/runtime/kube-config.ts";
import { createKubeTransport, type KubeTransport } from "../src/runtime/kube-transport.ts";
import { collectionPath, objectPath } from "../src/runtime/resource.ts";
import { assessmentSpec } from "../tests/fixtures/simulations.ts";
import { createNamespace, simulation, stack } from "../tests/integration/harness.ts";

const { values } = parseArgs({ options: { writes: { type: "string", default: "3000" } } });
const WRITES = Number(values.writes);
const PARALLEL = 16;

const connection = connectionFromKubeconfig(readFileSync(stack.kubeconfig, "utf8"), "/");
if (!connection) throw new Error("the stack's kubeconfig needs client-node: no native transport");
const ns = await createNamespace("transport");
const path = (i: number) => objectPath(SimulationResource, `s${i % PARALLEL}`, ns);

function statusPatch(i: number) {
  const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const condition = { type: "Ready", status: "False", reason: `R${i}`, message: "m" };
  return JSON.stringify({
    status: { phase: "Pending", conditions: [{ ...condition, lastTransitionTime: at }] },
  });
}

/** CPU ms of this process per status write, its watch event included. */
async function cpuPerWrite(transport: KubeTransport): Promise<number> {
  const write = (i: number) =>
    transport.send({
      method: "PATCH",
      path: `${path(i)}/status`,
      body: statusPatch(i),
      contentType: "application/merge-patch+json",
      timeoutMs: 30_000,
    });
  for (let i = 0; i < 200; i++) await write(i); // warm-up
  const before = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < WRITES) {
      const r = await write(next++);
      if (r.status >= 300) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  await new Promise((r) => setTimeout(r, 500)); // the last watch events
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / WRITES;
}

async function measure(env: NodeJS.ProcessEnv): Promise<number> {
  const transport = createKubeTransport(connection as NonNullable<typeof connection>, env);
  const stop = new AbortController();
  const base = collectionPath(SimulationResource, ns);
  const watching = transport.watch(`${base}?watch=true`, () => undefined, stop.signal);
  try {
    return await cpuPerWrite(transport);
  } finally {
    stop.abort();
    await watching.catch(() => undefined);
  }
}

const setup = createKubeTransport(connection, {});
for (let i = 0; i < PARALLEL; i++) {
  const sim = simulation(ns, `s${i}`, {
    ...assessmentSpec(),
    platformRef: { name: "none" },
    simulation: { paths: 1000, seed: 1 },
  });
  const body = JSON.stringify(sim);
  await setup.send({
    method: "POST",
    path: collectionPath(SimulationResource, ns),
    body,
    timeoutMs: 30_000,
  });
}
const runs = { h1: [] as number[], h2: [] as number[] };
for (let round = 0; round < 2; round++) {
  runs.h1.push(await measure({ DISABLE_HTTP2: "true" }));
  runs.h2.push(await measure({}));
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const show = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(", ");
console.log(
  `operator-side CPU per status write, its watch event included (${WRITES} writes, ${PARALLEL} at once):`,
);
console.log(`  HTTP/1.1 (baseline): ${show(runs.h1)} ms`);
console.log(`  HTTP/2:              ${show(runs.h2)} ms`);
console.log(`  ratio HTTP/2 : HTTP/1.1 = ${(mean(runs.h2) / mean(runs.h1)).toFixed(2)}`);
await setup.send({ method: "DELETE", path: `/api/v1/namespaces/${ns}`, timeoutMs: 30_000 });
