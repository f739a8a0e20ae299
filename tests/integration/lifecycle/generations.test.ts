// Run lifecycle on the local stack, part 2: generations, orphans, reuse and
// TTL (issue 9, defects 3, 4, 8 and 13).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSimulatorClient } from "../../../src/adapters/simulator-client.ts";
import { simulatorCredentials } from "../../../src/adapters/simulator-credentials.ts";
import { SimulationSpec } from "../../../src/api/simulation.ts";
import {
  buildEngineRequest,
  engineInputs,
  requestHash,
} from "../../../src/controllers/simulation/engine-request.ts";
import { engineResult } from "../../fixtures/simulations.ts";
import { apply, getJson, kubectl, kubectlOk, simulation, stack, waitFor } from "../harness.ts";
import {
  type Fixture,
  freshSeed,
  prisma,
  quickSpec,
  setUp,
  simulatorJob,
  slowSpec,
  waitCondition,
  waitRunningRow,
} from "./fixtures.ts";

/** A stored result whose pass probability marks which row answered. */
const withPass = (estimate: number) => {
  const result = engineResult();
  return {
    ...result,
    probabilities: { ...result.probabilities, pass: { ...result.probabilities.pass, estimate } },
  };
};

const succeeded = (ns: string, name: string) => waitCondition(ns, name, "Succeeded", 180);

describe("generations, orphans, reuse and TTL", () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await setUp("gens", {}, { ORPHAN_SWEEP_SECONDS: "1", FINALIZER_GRACE_SECONDS: "2" });
  });
  afterAll(async () => {
    await f?.operator.stop();
  });

  it("defect 3: a spec change mid-run cancels the earlier generation's row", async () => {
    await apply(simulation(f.ns, "edited", slowSpec(f.platformName)));
    const first = await waitRunningRow(f.ns, "edited");
    await kubectlOk([
      "patch",
      "mcs",
      "edited",
      "-n",
      f.ns,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { simulation: { paths: 2000, seed: freshSeed() } } }),
    ]);
    expect(await succeeded(f.ns, "edited")).toBe(true);
    const rows = await prisma.simulationJob.findMany({
      where: { uid: first.uid },
      orderBy: { generation: "asc" },
    });
    expect(rows.map((r) => [r.generation, r.status])).toEqual([
      [1n, "cancelled"],
      [2n, "completed"],
    ]);
  });

  it("a row cancelled by hand while its run is in flight drops the result that arrives", async () => {
    await apply(simulation(f.ns, "revoked", slowSpec(f.platformName)));
    const row = await waitRunningRow(f.ns, "revoked");
    await prisma.simulationJob.update({ where: { id: row.id }, data: { status: "cancelled" } });
    expect(await waitCondition(f.ns, "revoked", "Failed", 180)).toBe(true);
    const sim = await getJson(["get", "mcs", "revoked", "-n", f.ns]);
    const ready = sim.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready.reason).toBe("Cancelled");
    const after = await prisma.simulationJob.findUniqueOrThrow({ where: { id: row.id } });
    expect(after.status).toBe("cancelled");
    expect(after.result).toBeNull();
  });

  it("defect 4: the sweep cancels active rows of simulations that no longer exist, and stops their jobs", async () => {
    // The job an earlier process started for the row: 3.65e9 path-steps, far
    // longer than the sweep takes to find it.
    const id = randomUUID();
    const spec = SimulationSpec.parse({
      ...slowSpec(f.platformName),
      simulation: { paths: 1_000_000, horizonDays: 365, seed: freshSeed() },
    });
    void createSimulatorClient({
      requestTimeoutMs: 300_000,
      credentials: simulatorCredentials({ SIMULATOR_TOKEN_FILE: stack.simulatorTokenFile }),
    }).simulate(stack.rayUrl, buildEngineRequest(spec, id, 1), new AbortController().signal);
    await waitFor("the job to run", async () => (await simulatorJob(id))?.state === "running");
    const orphan = await prisma.simulationJob.create({
      data: {
        id,
        namespace: f.ns,
        name: "gone",
        uid: randomUUID(),
        generation: 1n,
        status: "running",
        inputData: {},
        requestHash: "orphan",
        seed: 1n,
        createdAt: new Date(Date.now() - 60_000),
      },
    });
    const elsewhere = await prisma.simulationJob.create({
      data: {
        namespace: `${f.ns}-other`,
        name: "not-ours",
        uid: randomUUID(),
        generation: 1n,
        status: "pending",
        inputData: {},
        requestHash: "orphan",
        seed: 1n,
        createdAt: new Date(Date.now() - 60_000),
      },
    });
    await waitFor(
      "the orphan to be cancelled",
      async () =>
        (await prisma.simulationJob.findUniqueOrThrow({ where: { id: orphan.id } })).status ===
        "cancelled",
    );
    await waitFor("the job to stop", async () => (await simulatorJob(id))?.state === "cancelled");
    // Another namespace is not this operator's to judge (WATCH_NAMESPACE).
    expect(
      (await prisma.simulationJob.findUniqueOrThrow({ where: { id: elsewhere.id } })).status,
    ).toBe("pending");
    await prisma.simulationJob.delete({ where: { id: elsewhere.id } });
  });

  it("defect 8: reuse picks the newest completed row of the same engine version only", async () => {
    const spec = quickSpec(f.platformName);
    const parsed = SimulationSpec.parse(spec);
    const inputs = { seed: parsed.simulation.seed ?? 0, ...engineInputs(parsed) };
    const version = await createSimulatorClient({
      requestTimeoutMs: 5_000,
      credentials: simulatorCredentials({ SIMULATOR_TOKEN_FILE: stack.simulatorTokenFile }),
    }).engineVersion(stack.rayUrl);
    const row = (hash: string, completedAt: Date, passProbability: number) => ({
      namespace: f.ns,
      name: "seeded",
      uid: randomUUID(),
      generation: 1n,
      status: "completed" as const,
      inputData: {},
      requestHash: hash,
      seed: BigInt(inputs.seed),
      completedAt,
      result: withPass(passProbability) as object,
    });
    const old = await prisma.simulationJob.create({
      data: row(requestHash(inputs, "0.0.0-older-engine"), new Date(), 0.11),
    });
    await apply(simulation(f.ns, "other-version", spec));
    expect(await succeeded(f.ns, "other-version")).toBe(true);
    const ran = await getJson(["get", "mcs", "other-version", "-n", f.ns]);
    expect(ran.status.result.reusedFromJobId).toBeUndefined();
    expect(ran.status.attempts).toBe(1);
    expect(ran.status.result.engineVersion).toBe(version);

    const newer = await prisma.simulationJob.create({
      data: row(requestHash(inputs, version), new Date(Date.now() + 60_000), 0.22),
    });
    await apply(simulation(f.ns, "same-version", spec));
    expect(await succeeded(f.ns, "same-version")).toBe(true);
    const reused = await getJson(["get", "mcs", "same-version", "-n", f.ns]);
    expect(reused.status.result.reusedFromJobId).toBe(newer.id);
    expect(reused.status.result.passProbability).toBe(0.22);
    expect(reused.status.result.reusedFromJobId).not.toBe(old.id);
  });

  it("defect 13: a finished simulation is deleted after its TTL, and its row stays", async () => {
    await apply(
      simulation(f.ns, "short-lived", quickSpec(f.platformName, { ttlSecondsAfterFinished: 5 })),
    );
    expect(await succeeded(f.ns, "short-lived")).toBe(true);
    const done = await getJson(["get", "mcs", "short-lived", "-n", f.ns]);
    const finished = Date.parse(done.status.completionTime);
    await waitFor(
      "the object to be deleted",
      async () => {
        const r = await kubectl(["get", "mcs", "short-lived", "-n", f.ns]);
        return r.code !== 0 && r.stderr.includes("NotFound");
      },
      60_000,
    );
    expect(Date.now() - finished).toBeGreaterThanOrEqual(5_000);
    const row = await prisma.simulationJob.findUniqueOrThrow({ where: { id: done.status.jobId } });
    expect(row.status).toBe("completed");
  });
});
