// The simulation controller end to end on the local stack: a real API
// server, PostgreSQL and Ray Serve, and the operator as its own process.
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrisma } from "../../src/adapters/prisma.ts";
import { assessmentSpec, fundedSpec } from "../fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  getJson,
  kubectl,
  kubectlOk,
  type OperatorProcess,
  platform,
  simulation,
  stack,
  startOperator,
  unique,
  waitFor,
} from "./harness.ts";

/** A series' value; undefined when the operator does not export it (yet). */
const metricValue = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length).trim()) : undefined;
};

// Seeds of this run only: other test files run the same examples on this
// database, and an identical completed request would be answered by reuse.
const SEED = randomInt(1, 2 ** 40);
const assessment = () => ({ ...assessmentSpec(), simulation: { paths: 2000, seed: SEED } });

describe("simulation flow", () => {
  let ns: string;
  let platformName: string;
  let operator: OperatorProcess;
  const prisma = createPrisma(stack.databaseUrl);

  beforeAll(async () => {
    ns = await createNamespace("flow");
    platformName = unique("flow");
    await apply(
      platform(platformName, { rayService: { namespace: ns, name: "rs" }, endpoint: stack.rayUrl }),
    );
    operator = await startOperator({
      POD_NAME: unique("flow-operator"),
      WATCH_NAMESPACE: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      CONTROLLERS: "simulation",
    });
  });

  afterAll(async () => {
    await operator?.stop();
    await prisma.$disconnect();
  });

  const spec = (base: object, over: object = {}) => ({
    ...base,
    platformRef: { name: platformName },
    ...over,
  });
  const waitSucceeded = (name: string) =>
    kubectl(["wait", "-n", ns, "--for=condition=Succeeded", "--timeout=120s", `mcs/${name}`]);

  it("runs an assessment to Succeeded, with the full result in its row", async () => {
    await apply(simulation(ns, "asm", spec(assessment())));
    const waited = await waitSucceeded("asm");
    expect(waited.stderr).toBe("");
    expect(waited.code).toBe(0);

    const sim = await getJson(["get", "mcs", "asm", "-n", ns]);
    expect(sim.status).toMatchObject({
      phase: "Succeeded",
      observedGeneration: 1,
      seed: SEED,
      attempts: 1,
    });
    const result = sim.status.result;
    expect(result.paths).toBe(2000);
    expect(result.passProbability).toBeGreaterThan(0);
    expect(result.passProbability).toBeLessThan(1);
    expect(result.passInterval.lower).toBeLessThanOrEqual(result.passProbability);
    expect(result.passInterval.upper).toBeGreaterThanOrEqual(result.passProbability);
    const conditions = Object.fromEntries(
      sim.status.conditions.map((c: { type: string; status: string }) => [c.type, c.status]),
    );
    expect(conditions).toEqual({
      Accepted: "True",
      Submitted: "True",
      Succeeded: "True",
      Failed: "False",
      Ready: "True",
    });

    const row = await prisma.simulationJob.findUniqueOrThrow({ where: { id: sim.status.jobId } });
    expect(row).toMatchObject({
      status: "completed",
      uid: sim.metadata.uid,
      generation: 1n,
      assessmentId: "asm-1042",
      attempts: 1,
    });
    const full = row.result as {
      probabilities: { pass: { estimate: number; count: number } };
      meta: { seed: number };
    };
    expect(full.probabilities.pass.estimate).toBeCloseTo(result.passProbability, 6);
    expect(full.probabilities.pass.count).toBeGreaterThan(0);
    expect(full.meta.seed).toBe(SEED);

    const table = await kubectlOk(["get", "montecarlosimulations", "-n", ns, "asm"]);
    expect(table).toMatch(
      /ASSESSMENT\s+FUNDED ACCOUNT\s+PHASE\s+PROGRESS\s+PASS\s+SURVIVAL\s+PATHS\s+AGE/,
    );
    expect(table).toMatch(/asm-1042\s+Succeeded\s+0\.\d+\s+0\.\d+\s+2000/);
    const events = await kubectlOk([
      "get",
      "events",
      "-n",
      ns,
      "--field-selector",
      "involvedObject.name=asm",
    ]);
    expect(events).toMatch(/Completed/);

    // The operator's status writes name it as their field manager (the
    // finalizer came with the create: lifecycle/finalizer.test.ts).
    const managed = await getJson(["get", "mcs", "asm", "-n", ns, "--show-managed-fields"]);
    const managers = managed.metadata.managedFields.map(
      (f: { manager: string; subresource?: string }) => `${f.manager}:${f.subresource ?? ""}`,
    );
    expect(managers).toContain("montecarlo-operator:status");
  });

  it("answers an identical request from the stored result without calling Ray", async () => {
    const before = metricValue(
      await operator.metrics(),
      'montecarlo_executions_total{outcome="ok"}',
    );
    // "asm" above ran on Ray: without its count, "unchanged" would prove nothing.
    expect(before).toBeGreaterThanOrEqual(1);
    await apply(simulation(ns, "asm-again", spec(assessment())));
    expect((await waitSucceeded("asm-again")).code).toBe(0);
    const [first, again] = await Promise.all([
      getJson(["get", "mcs", "asm", "-n", ns]),
      getJson(["get", "mcs", "asm-again", "-n", ns]),
    ]);
    expect(again.status.result.reusedFromJobId).toBe(first.status.jobId);
    expect(again.status.result.passProbability).toBe(first.status.result.passProbability);
    expect(metricValue(await operator.metrics(), 'montecarlo_executions_total{outcome="ok"}')).toBe(
      before,
    );
  });

  it("runs a funded account with a history bootstrap", async () => {
    await apply(
      simulation(
        ns,
        "funded",
        spec({ ...fundedSpec(), simulation: { ...fundedSpec().simulation, seed: SEED + 1 } }),
      ),
    );
    expect((await waitSucceeded("funded")).code).toBe(0);
    const sim = await getJson(["get", "mcs", "funded", "-n", ns]);
    expect(sim.status.result.passProbability).toBeUndefined();
    expect(sim.status.result.survivalProbability).toBeGreaterThan(0);
  });

  it("re-runs an edited spec as a new row and keeps the old one", async () => {
    const before = await getJson(["get", "mcs", "funded", "-n", ns]);
    await kubectlOk([
      "patch",
      "mcs",
      "funded",
      "-n",
      ns,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { simulation: { seed: SEED + 2 } } }),
    ]);
    const after = await waitFor("generation 2 to succeed", async () => {
      const s = await getJson(["get", "mcs", "funded", "-n", ns]);
      return s.status?.observedGeneration === 2 && s.status.phase === "Succeeded" && s;
    });
    expect(after.status.jobId).not.toBe(before.status.jobId);
    expect(after.status.seed).toBe(SEED + 2);
    const rows = await prisma.simulationJob.findMany({
      where: { uid: before.metadata.uid },
      orderBy: { generation: "asc" },
    });
    expect(rows.map((r) => [r.generation, r.status])).toEqual([
      [1n, "completed"],
      [2n, "completed"],
    ]);
  });

  it("fails a spec beyond the platform's limits with InvalidSpec and never submits it", async () => {
    const limited = unique("limited");
    await apply(
      platform(limited, {
        rayService: { namespace: ns, name: "rs" },
        endpoint: stack.rayUrl,
        limits: { maxPaths: 1000 },
      }),
    );
    await apply(simulation(ns, "too-big", { ...assessmentSpec(), platformRef: { name: limited } }));
    const r = await kubectl([
      "wait",
      "-n",
      ns,
      "--for=condition=Failed",
      "--timeout=60s",
      "mcs/too-big",
    ]);
    expect(r.code).toBe(0);
    const sim = await getJson(["get", "mcs", "too-big", "-n", ns]);
    const failed = sim.status.conditions.find((c: { type: string }) => c.type === "Failed");
    expect(failed).toMatchObject({ status: "True", reason: "InvalidSpec" });
    expect(failed.message).toMatch(/spec\.simulation\.paths 2000 exceeds .*limits\.maxPaths 1000/);
    expect(await prisma.simulationJob.count({ where: { uid: sim.metadata.uid } })).toBe(0);
  });

  it("deleting a running simulation cancels its row and the object goes away", async () => {
    const big = spec(fundedSpec(), {
      trader: {
        tradesPerDay: { mean: 20, distribution: "Fixed" },
        parametric: { winRate: 0.5, averageWin: 10, averageLoss: 10 },
      },
      simulation: { paths: 1_000_000, horizonDays: 200, seed: SEED + 3 },
    });
    await apply(simulation(ns, "slow", big));
    const running = await waitFor("slow to run", async () => {
      const s = await getJson(["get", "mcs", "slow", "-n", ns]);
      return s.status?.phase === "Running" && s;
    });
    const del = await kubectl(["delete", "mcs", "slow", "-n", ns, "--timeout=30s"]);
    expect(del.code).toBe(0);
    expect((await kubectl(["get", "mcs", "slow", "-n", ns])).stderr).toMatch(/NotFound/);
    const row = await prisma.simulationJob.findUniqueOrThrow({
      where: { id: running.status.jobId },
    });
    expect(row.status).toBe("cancelled");
  });
});
