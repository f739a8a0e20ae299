// Run lifecycle on the local stack, part 1: the platform's limits (issue 9,
// defects 1, 2, 7 and 10).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  getJson,
  kubectl,
  kubectlOk,
  platform,
  simulation,
  stack,
  unique,
  waitFor,
} from "../harness.ts";
import {
  conditionOf,
  type Fixture,
  freshSeed,
  metric,
  prisma,
  quickSpec,
  rowsOf,
  runningRows,
  setUp,
  slowSpec,
  waitCondition,
  waitRunningRow,
} from "./fixtures.ts";

const reasonOf = async (ns: string, name: string) =>
  (await getJson(["get", "mcs", name, "-n", ns])).status?.conditions?.find(
    (c: { type: string }) => c.type === "Ready",
  )?.reason as string | undefined;

describe("platform limits", () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await setUp(
      "limits",
      { maxConcurrentRuns: 1, maxPathSteps: 1e9 },
      { SIMULATION_WORKERS: "8" },
    );
  });
  afterAll(async () => {
    await f?.operator.stop();
  });

  it("defect 1: parallel workers never exceed maxConcurrentRuns", async () => {
    // The four wait for a platform that does not exist yet; creating it wakes
    // all four at once, so eight workers reconcile them in parallel.
    const late = unique("late");
    const names = ["c1", "c2", "c3", "c4"];
    await apply(names.map((n) => simulation(f.ns, n, slowSpec(late))));
    await waitFor("all four to wait for their platform", async () => {
      const phases = await Promise.all(names.map((n) => reasonOf(f.ns, n)));
      return phases.every((r) => r === "PlatformNotFound");
    });
    await apply(
      platform(late, {
        rayService: { namespace: f.ns, name: "rs" },
        endpoint: stack.rayUrl,
        limits: { maxConcurrentRuns: 1 },
      }),
    );
    let maxRunning = 0;
    let maxInFlight = 0;
    let samples = 0;
    await waitFor(
      "all four to succeed",
      async () => {
        const [running, text] = await Promise.all([runningRows(f.ns), f.operator.metrics()]);
        const inFlight = metric(text, "montecarlo_executions_in_flight");
        expect(inFlight).toBeDefined();
        maxRunning = Math.max(maxRunning, running);
        maxInFlight = Math.max(maxInFlight, inFlight ?? 0);
        samples++;
        const list = await getJson(["get", "mcs", "-n", f.ns]);
        const phases = names.map(
          (n) =>
            list.items.find((s: { metadata: { name: string } }) => s.metadata.name === n)?.status
              ?.phase,
        );
        return phases.every((p) => p === "Succeeded");
      },
      240_000,
      20,
    );
    // Several samples per run (four runs of about a second or more each).
    expect(samples).toBeGreaterThanOrEqual(8);
    expect(maxRunning).toBe(1);
    expect(maxInFlight).toBe(1);
    const rows = await rowsOf(f.ns);
    expect(rows.filter((r) => names.includes(r.name)).map((r) => r.status)).toEqual(
      names.map(() => "completed"),
    );
  });

  it("defect 10: waiting for a slot does not count against activeDeadlineSeconds", async () => {
    // 1,000,000 paths: seconds of engine time even on an idle machine, longer than patient's deadline.
    await apply(
      simulation(
        f.ns,
        "hog",
        slowSpec(f.platformName, { simulation: { paths: 1_000_000, horizonDays: 60, seed: 11 } }),
      ),
    );
    await waitRunningRow(f.ns, "hog");
    await apply(
      simulation(f.ns, "patient", quickSpec(f.platformName, { activeDeadlineSeconds: 2 })),
    );
    const waited = await waitFor("patient to wait for the slot", async () => {
      const s = await getJson(["get", "mcs", "patient", "-n", f.ns]);
      return s.status?.message?.includes("waiting for a free slot") && s;
    });
    expect(waited.status.startTime).toBeUndefined();
    // The hog takes longer than patient's deadline; patient still succeeds once it runs.
    expect(await waitCondition(f.ns, "patient", "Succeeded", 180)).toBe(true);
    const hog = await getJson(["get", "mcs", "hog", "-n", f.ns]);
    const patient = await getJson(["get", "mcs", "patient", "-n", f.ns]);
    expect(Date.parse(patient.status.startTime)).toBeGreaterThanOrEqual(
      Date.parse(hog.status.completionTime) - 1000,
    );
    expect(
      Date.parse(patient.status.startTime) - Date.parse(patient.metadata.creationTimestamp),
    ).toBeGreaterThan(2000);
  });

  it("defect 2: lowering a limit mid-run lets the admitted run finish", async () => {
    await apply(simulation(f.ns, "admitted", slowSpec(f.platformName)));
    const row = await waitRunningRow(f.ns, "admitted");
    await kubectlOk([
      "patch",
      "montecarloplatform",
      f.platformName,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { limits: { maxPaths: 1000 } } }),
    ]);
    expect(await waitCondition(f.ns, "admitted", "Succeeded", 180)).toBe(true);
    expect((await prisma.simulationJob.findUniqueOrThrow({ where: { id: row.id } })).status).toBe(
      "completed",
    );
    expect(await runningRows(f.ns)).toBe(0);
    expect(metric(await f.operator.metrics(), "montecarlo_executions_in_flight")).toBe(0);
    // A new simulation of the same size is judged by the lowered limit.
    await apply(simulation(f.ns, "after-lowering", slowSpec(f.platformName)));
    expect(await waitCondition(f.ns, "after-lowering", "Failed", 60)).toBe(true);
  });

  it("a platform's status writes wake none of its simulations; a spec change wakes them", async () => {
    const name = unique("quiet");
    const quiet = (limits: object) =>
      platform(name, {
        rayService: { namespace: f.ns, name: "rs" },
        endpoint: stack.rayUrl,
        limits,
      });
    await apply(quiet({ maxConcurrentRuns: 1, maxPathSteps: 1e9 }));
    // A fresh seed: a stored result of the same request would be reused, and nothing would run.
    const hogSpec = { simulation: { paths: 1_000_000, horizonDays: 60, seed: freshSeed() } };
    await apply(simulation(f.ns, "quiet-hog", slowSpec(name, hogSpec)));
    await waitRunningRow(f.ns, "quiet-hog");
    const waiters = ["quiet-1", "quiet-2", "quiet-3"];
    await apply(waiters.map((n) => simulation(f.ns, n, quickSpec(name))));
    await waitFor("three to wait for the slot", async () => {
      const reasons = await Promise.all(waiters.map((n) => reasonOf(f.ns, n)));
      return reasons.every((r) => r === "ConcurrencyLimitReached");
    });
    const reconciles = async () =>
      [
        ...(await f.operator.metrics()).matchAll(
          /^controller_runtime_reconcile_total\{[^}]*controller="montecarlosimulation"[^}]*\} (\d+)/gm,
        ),
      ].reduce((sum, m) => sum + Number(m[1]), 0);
    const before = await reconciles();
    for (const endpoint of ["http://a", "http://b", "http://c"]) {
      const status = JSON.stringify({ status: { endpoint } });
      await kubectlOk(["patch", "mcp", name, "--subresource=status", "--type=merge", "-p", status]);
    }
    await new Promise((r) => setTimeout(r, 2_000));
    // Each status write used to wake all four (the hog and three waiters): 12.
    expect((await reconciles()) - before).toBeLessThanOrEqual(2);
    const quietAt = await reconciles();
    await apply(quiet({ maxConcurrentRuns: 1, maxPathSteps: 2e9 }));
    await waitFor(
      "the spec change to wake all four",
      async () => (await reconciles()) - quietAt >= 4,
    );
    for (const n of ["quiet-hog", ...waiters]) {
      expect(await waitCondition(f.ns, n, "Succeeded", 180)).toBe(true);
    }
  });

  it("defect 7: the platform's maxPathSteps refuses a larger simulation, naming both numbers", async () => {
    await kubectlOk([
      "patch",
      "montecarloplatform",
      f.platformName,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { limits: { maxPaths: 1_000_000, maxPathSteps: 1_000_000 } } }),
    ]);
    // 20,000 paths x 30 days x 3 trades = 1.8e6 path-steps
    await apply(
      simulation(
        f.ns,
        "too-much",
        quickSpec(f.platformName, { simulation: { paths: 20_000, seed: 1 } }),
      ),
    );
    expect(await waitCondition(f.ns, "too-much", "Failed", 60)).toBe(true);
    const sim = await getJson(["get", "mcs", "too-much", "-n", f.ns]);
    const failed = conditionOf(sim, "Failed");
    if (!failed) throw new Error("no Failed condition");
    expect(failed.reason).toBe("InvalidSpec");
    expect(failed.message).toContain("1800000 path-steps");
    expect(failed.message).toContain("limits.maxPathSteps 1000000");
    expect(await prisma.simulationJob.count({ where: { uid: sim.metadata.uid } })).toBe(0);
  });

  it("defect 7: admission refuses work over the absolute cap, naming the field", async () => {
    const r = await kubectl(
      ["apply", "-f", "-"],
      JSON.stringify(
        simulation(
          f.ns,
          "absurd",
          slowSpec(f.platformName, {
            trader: {
              tradesPerDay: { mean: 100, distribution: "Fixed" },
              parametric: { winRate: 0.5, averageWin: 10, averageLoss: 10 },
            },
            simulation: { paths: 1_000_000, horizonDays: 365, seed: 1 },
          }),
        ),
      ),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.simulation.paths");
    expect(r.stderr).toContain("path-steps");
  });
});
