// Run lifecycle on the local stack, part 3: graceful shutdown, timeouts and
// status writes (issue 9, defects 5, 6 and 9).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSimulationWriter } from "../../../src/adapters/simulation-writer.ts";
import { buildStatus } from "../../../src/controllers/simulation/status.ts";
import { normalizeError, TransientError } from "../../../src/runtime/errors.ts";
import { KubeConfig } from "../../../src/runtime/kube-config.ts";
import { createKubeRequester } from "../../../src/runtime/kube-request.ts";
import { apply, getJson, simulation, stack, startOperator, unique, waitFor } from "../harness.ts";
import {
  conditionOf,
  type Fixture,
  prisma,
  quickSpec,
  rowsOf,
  setUp,
  slowSpec,
  waitCondition,
  waitRunningRow,
} from "./fixtures.ts";

const leaseHolder = async (ns: string) =>
  (await getJson(["get", "lease", "montecarlo-operator", "-n", ns])).spec?.holderIdentity as
    | string
    | undefined;

describe("shutdown, timeouts and status writes", () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await setUp("stop", {}, { RETRY_PERIOD_SECONDS: "1", LEASE_DURATION_SECONDS: "15" });
  });
  afterAll(async () => {
    await f?.operator.stop();
  });

  it("defect 5: SIGTERM releases the lease at once and no run is lost", async () => {
    const standbyName = unique("standby");
    const standby = await startOperator({
      POD_NAME: standbyName,
      WATCH_NAMESPACE: f.ns,
      LEADER_ELECTION_NAMESPACE: f.ns,
      CONTROLLERS: "simulation",
      RETRY_PERIOD_SECONDS: "1",
      LEASE_DURATION_SECONDS: "15",
    });
    try {
      const names = ["t1", "t2", "t3"];
      await apply(names.map((n) => simulation(f.ns, n, slowSpec(f.platformName))));
      await waitRunningRow(f.ns, "t1");
      expect(await leaseHolder(f.ns)).not.toBe(standbyName);
      // The runs still need seconds of engine time: a stop that waited for
      // them would hold the lease that long.
      const stoppedAt = Date.now();
      await f.operator.stop();
      await waitFor(
        "the standby to lead",
        async () => (await leaseHolder(f.ns)) === standbyName,
        30_000,
        50,
      );
      // Released at once, not expired (15 s) and not after the runs (seconds):
      // the standby retries every second, plus a margin for a loaded machine.
      expect(Date.now() - stoppedAt).toBeLessThan(1_000 + 2_500);
      for (const n of names) {
        expect(await waitCondition(f.ns, n, "Succeeded", 240)).toBe(true);
      }
      const rows = (await rowsOf(f.ns)).filter((r) => names.includes(r.name));
      expect(rows.map((r) => r.status)).toEqual(["completed", "completed", "completed"]);
    } finally {
      await standby.stop();
      f = {
        ...f,
        operator: await startOperator({
          POD_NAME: unique("stop-operator"),
          WATCH_NAMESPACE: f.ns,
          LEADER_ELECTION_NAMESPACE: f.ns,
          CONTROLLERS: "simulation",
          RETRY_PERIOD_SECONDS: "1",
        }),
      };
    }
  });

  it("defect 9: a stale status write is a Conflict, and a 50 KB message is cut to fit", async () => {
    await apply(simulation(f.ns, "writes", quickSpec(f.platformName)));
    const sim = await waitFor("writes to settle", async () => {
      const s = await getJson(["get", "mcs", "writes", "-n", f.ns]);
      return s.status?.phase === "Succeeded" && s;
    });
    const kc = new KubeConfig();
    kc.loadFromFile(stack.kubeconfig);
    const writer = createSimulationWriter(createKubeRequester(kc), "test", "test");
    const ref = { namespace: f.ns, name: "writes", uid: sim.metadata.uid, resourceVersion: "1" };
    const huge = buildStatus(sim.status, {
      generation: sim.metadata.generation,
      phase: "Failed",
      reason: "InvalidSpec",
      message: "x".repeat(50_000),
      accepted: false,
      now: new Date(),
    });
    const stale = await writer
      .replaceStatus(ref, huge)
      .catch((err: unknown) => normalizeError(err));
    expect(stale).toBeInstanceOf(TransientError);
    expect((stale as TransientError).reason).toBe("Conflict");
    await writer.replaceStatus({ ...ref, resourceVersion: sim.metadata.resourceVersion }, huge);
    const after = await getJson(["get", "mcs", "writes", "-n", f.ns]);
    expect(Buffer.byteLength(after.status.message)).toBeLessThanOrEqual(1024);
    expect(
      after.status.conditions.every(
        (c: { message: string }) => Buffer.byteLength(c.message) <= 1024,
      ),
    ).toBe(true);
  });
});

describe("simulator timeouts", () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await setUp("timeout", {}, { SIMULATOR_TIMEOUT_SECONDS: "1" });
  });
  afterAll(async () => {
    await f?.operator.stop();
  });

  it("defect 6: a run that always exceeds the simulator timeout ends BackoffLimitExceeded", async () => {
    await apply(simulation(f.ns, "too-slow", slowSpec(f.platformName, { backoffLimit: 1 })));
    expect(await waitCondition(f.ns, "too-slow", "Failed", 120)).toBe(true);
    const sim = await getJson(["get", "mcs", "too-slow", "-n", f.ns]);
    const failed = conditionOf(sim, "Failed");
    if (!failed) throw new Error("no Failed condition");
    expect(failed.reason).toBe("BackoffLimitExceeded");
    expect(failed.message).toContain("SIMULATOR_TIMEOUT_SECONDS");
    const row = await prisma.simulationJob.findUniqueOrThrow({ where: { id: sim.status.jobId } });
    expect(row).toMatchObject({
      status: "failed",
      failureReason: "BackoffLimitExceeded",
      attempts: 2,
      failures: 2,
    });
  });
});
