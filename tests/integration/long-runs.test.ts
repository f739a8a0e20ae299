// Long runs on the local stack (issue 13): progress in status while a run
// computes, re-attach instead of recompute after the operator is killed, and
// a delete that stops the computation. Observed through the simulator's own
// GET /jobs/{jobId}, not through the operator's claims.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundedSpec } from "../fixtures/simulations.ts";
import { apply, getJson, kubectl, simulation, startOperator, unique, waitFor } from "./harness.ts";
import {
  type Fixture,
  freshSeed,
  simulatorJob as job,
  setUp,
  waitCondition,
  waitRunningRow,
} from "./lifecycle/fixtures.ts";

/** 1,000,000 paths x 365 days x 10 trades (3.65e9 path-steps): about 30 s or more on two cores. */
const longSpec = (platformName: string) => ({
  ...fundedSpec(),
  platformRef: { name: platformName },
  trader: {
    tradesPerDay: { mean: 10, distribution: "Fixed" },
    parametric: { winRate: 0.5, averageWin: 10, averageLoss: 10 },
  },
  simulation: { paths: 1_000_000, horizonDays: 365, seed: freshSeed() },
});
const ONE_RUN_PATH_STEPS = 1_000_000 * 365 * 10;

describe("long runs", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await setUp("long");
  });
  afterAll(async () => {
    await f?.operator.stop();
  });

  it("shows progress, and a killed operator re-attaches instead of recomputing", async () => {
    await apply(simulation(f.ns, "year", longSpec(f.platformName)));
    const row = await waitRunningRow(f.ns, "year");
    const progress = await waitFor(
      "status.progress",
      async () => (await getJson(["get", "mcs", "year", "-n", f.ns])).status?.progress,
      90_000,
      500,
    );
    expect(progress.pathsTotal).toBe(1_000_000);
    expect(progress.percent).toBeGreaterThanOrEqual(0);
    expect(progress.percent).toBeLessThan(100);

    await f.operator.kill();
    const before = await job(row.id);
    expect(before?.state).toBe("running");
    f = {
      ...f,
      operator: await startOperator({
        POD_NAME: unique("long-operator"),
        WATCH_NAMESPACE: f.ns,
        LEADER_ELECTION_NAMESPACE: f.ns,
        CONTROLLERS: "simulation",
        // The killed process's lease must expire first.
        LEASE_DURATION_SECONDS: "15",
      }),
    };
    expect(await waitCondition(f.ns, "year", "Succeeded", 300)).toBe(true);
    const after = await job(row.id);
    expect(after?.state).toBe("succeeded");
    expect(after?.pathSteps).toBeLessThanOrEqual(1.1 * ONE_RUN_PATH_STEPS);
  });

  it("deleting a running simulation stops its computation within 2 s", async () => {
    await apply(simulation(f.ns, "doomed", longSpec(f.platformName)));
    const row = await waitRunningRow(f.ns, "doomed");
    await waitFor(
      "the job to compute",
      async () => ((await job(row.id))?.pathSteps ?? 0) > 0,
      60_000,
      200,
    );
    const deleted = await kubectl(["delete", "mcs", "doomed", "-n", f.ns, "--timeout=30s"]);
    expect(deleted.code).toBe(0);
    const deletedAt = Date.now();
    await waitFor(
      "the job to be cancelled",
      async () => (await job(row.id))?.state === "cancelled",
      10_000,
      100,
    );
    expect(Date.now() - deletedAt).toBeLessThan(2_000 + 1_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const settled = (await job(row.id))?.pathSteps;
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await job(row.id))?.pathSteps).toBe(settled);
  });
});
