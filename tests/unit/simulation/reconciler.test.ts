import { beforeEach, describe, expect, it } from "vitest";
import { runIdOf } from "../../../src/controllers/simulation/engine-request.ts";
import { FINALIZER } from "../../../src/controllers/simulation/reasons.ts";
import { storeSettledResults } from "../../../src/controllers/simulation/shutdown.ts";
import { assessmentSpec, engineResult } from "../../fixtures/simulations.ts";
import { FINALIZER_GRACE_MS, flush, type Harness, harness, log } from "./harness.ts";
import { ENDPOINT } from "./observations.ts";

const JOB = runIdOf("u-asm", 1);
const later = (h: Harness, ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
const deleted = (h: Harness, key: string, msAgo: number) =>
  h.update(key, (s) => ({
    ...s,
    metadata: {
      ...s.metadata,
      deletionTimestamp: new Date(h.clock.now.getTime() - msAgo).toISOString(),
    },
  }));

describe("simulation reconciler", () => {
  let h: Harness;
  let key: string;

  beforeEach(() => {
    h = harness();
    key = h.add("asm");
  });

  it("adds its finalizer first, then runs in the same reconcile on the new resourceVersion", async () => {
    // A spec change: the run's status replaces the older generation's at once.
    h.update(key, (s) => ({
      ...s,
      metadata: { ...s.metadata, finalizers: [], generation: 2 },
      status: { observedGeneration: 1, phase: "Succeeded" },
    }));
    const before = h.sim(key).metadata.resourceVersion;
    await h.reconcile(key);
    expect(h.writer.finalizers).toEqual([[FINALIZER]]);
    expect(h.store.calls).toEqual(["runsWithReusable", "createRun"]);
    expect(h.simulator.calls).toHaveLength(1);
    expect(h.status(key)).toMatchObject({ phase: "Running" });
    // The status write is guarded by the version the finalizer patch returned.
    expect(h.writer.statusRefs.map((r) => r.resourceVersion)).toEqual([`${before}+finalizer`]);
  });

  it("records the row before submitting, runs once, then goes quiet", async () => {
    await h.reconcile(key);
    expect(h.store.calls).toEqual(["runsWithReusable", "createRun"]);
    expect(h.store.rows).toHaveLength(1);
    expect(h.store.row(JOB)).toMatchObject({
      status: "running",
      attempts: 1,
      startedAt: h.clock.now,
    });
    expect(h.simulator.calls.map((c) => [c.endpoint, c.request.jobId, c.request.seed])).toEqual([
      [ENDPOINT, JOB, 42],
    ]);
    // A new simulation publishes nothing in its run's first second, then Running.
    expect(h.writer.statuses).toHaveLength(0);
    await h.reconcile(key);
    expect(h.writer.statuses).toHaveLength(0);
    await h.firstSecondUp(key);
    expect(h.status(key)).toMatchObject({ phase: "Running", jobId: JOB, attempts: 1 });

    await h.reconcile(key); // idempotent while running: no second call, no write
    expect(h.simulator.calls).toHaveLength(1);
    expect(h.writer.statuses).toHaveLength(1);

    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    expect(h.woken).toEqual([key]);
    await h.reconcile(key);
    expect(h.store.row(JOB)).toMatchObject({ status: "completed", result: engineResult() });
    expect(h.status(key)).toMatchObject({
      phase: "Succeeded",
      result: { passProbability: 0.6, survivalProbability: 0.7, daysToPass: { p50: 12, p90: 14 } },
    });
    // Events mark the end and Warnings; Running is in the conditions only.
    expect(h.writer.events.map((e) => e.reason)).toEqual(["Completed"]);
    expect(h.executions.inFlight("default")).toBe(0);

    const writes = h.writer.statuses.length;
    const calls = h.store.calls.length;
    await h.reconcile(key); // terminal: never re-run, never read the database
    await h.reconcile(key);
    expect(h.writer.statuses).toHaveLength(writes);
    expect(h.store.calls).toHaveLength(calls);
    expect(h.simulator.calls).toHaveLength(1);
  });

  it("a new simulation whose run ends within its first second has one status write, the result", async () => {
    await h.reconcile(key);
    const started = h.clock.now.toISOString();
    later(h, 400);
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    await h.reconcile(key);
    expect(h.writer.statuses).toHaveLength(1);
    expect(h.status(key)).toMatchObject({
      phase: "Succeeded",
      jobId: JOB,
      attempts: 1,
      startTime: started,
    });
    const submitted = h.status(key)?.conditions?.find((c) => c.type === "Submitted");
    expect(submitted?.status).toBe("True");
    await h.firstSecondUp(key); // the requeue the launch asked for finds it finished
    expect(h.writer.statuses).toHaveLength(1);
  });

  it("a status conflict after the launch does not launch twice", async () => {
    // A spec change: the run's status replaces the older generation's at once.
    h.update(key, (s) => ({
      ...s,
      metadata: { ...s.metadata, generation: 2 },
      status: { observedGeneration: 1, phase: "Succeeded" },
    }));
    h.writer.conflictOnce = true;
    await expect(h.reconcile(key)).rejects.toMatchObject({ code: 409 });
    expect(h.simulator.calls).toHaveLength(1);
    expect(h.writer.statuses).toHaveLength(0);
    await h.reconcile(key);
    expect(h.simulator.calls).toHaveLength(1);
    expect(h.status(key)).toMatchObject({ phase: "Running", attempts: 1 });
    expect(h.store.row(runIdOf("u-asm", 2))?.attempts).toBe(1);
  });

  it("a database failure after the reserve gives the slot back and launches nothing", async () => {
    h.store.downFor.add("createRun");
    await expect(h.reconcile(key)).rejects.toMatchObject({ reason: "DatabaseUnavailable" });
    expect(h.executions.inFlight("default")).toBe(0);
    expect(h.simulator.calls).toHaveLength(0);
    h.store.downFor.clear();
    await h.reconcile(key);
    expect(h.simulator.calls).toHaveLength(1);
    expect(h.executions.inFlight("default")).toBe(1);
  });

  it("deletion stops the execution, cancels the row and the job, and removes the finalizer", async () => {
    await h.reconcile(key);
    deleted(h, key, 1_000);
    await h.reconcile(key);
    expect(h.simulator.calls[0]?.signal.aborted).toBe(true);
    expect(h.simulator.cancelled).toEqual([{ endpoint: ENDPOINT, jobId: JOB }]);
    expect(h.store.row(JOB)?.status).toBe("cancelled");
    expect(h.writer.finalizers.at(-1)).toEqual([]);
    expect(h.executions.inFlight("default")).toBe(0);
  });

  it("deletion waits for the database, then gives up after the grace period", async () => {
    await h.reconcile(key);
    h.store.mode = "down";
    deleted(h, key, 1_000);
    await expect(h.reconcile(key)).rejects.toMatchObject({ reason: "DatabaseUnavailable" });
    expect(h.writer.finalizers).toEqual([]);
    deleted(h, key, FINALIZER_GRACE_MS + 1_000);
    await h.reconcile(key);
    expect(h.writer.finalizers.at(-1)).toEqual([]);
    expect(h.writer.events.at(-1)).toMatchObject({ type: "Warning", reason: "CancelFailed" });
    expect(h.store.row(JOB)?.status).toBe("running"); // left for the orphan sweep
  });

  it("an invalid spec fails once with InvalidSpec and is not retried", async () => {
    h.update(key, (s) => ({ ...s, spec: { ...assessmentSpec(), fundedAccountId: "fa" } }));
    await h.reconcile(key);
    expect(h.status(key)).toMatchObject({ phase: "Failed" });
    expect(h.writer.events.at(-1)).toMatchObject({ type: "Warning", reason: "InvalidSpec" });
    await h.reconcile(key);
    expect(h.writer.statuses).toHaveLength(1);
    expect(h.store.rows).toHaveLength(0);
    expect(h.simulator.calls).toHaveLength(0);
  });

  it("a missing platform waits Pending without touching the database", async () => {
    h.platform = undefined;
    await h.reconcile(key);
    expect(h.status(key)).toMatchObject({
      phase: "Pending",
      message: expect.stringMatching(/not found/),
    });
    expect(h.store.calls).toEqual([]);
  });

  it("defect 8: a completed row of another engine version is not reused; of the same one it is", async () => {
    await h.reconcile(key);
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    await h.reconcile(key);
    const same = h.add("same");
    await h.reconcile(same);
    expect(h.status(same)?.result?.reusedFromJobId).toBe(JOB);
    expect(h.simulator.calls).toHaveLength(1);

    h.simulator.version = "engine-2";
    const other = h.add("other");
    await h.reconcile(other);
    expect(h.simulator.calls).toHaveLength(2);
    await h.firstSecondUp(other);
    expect(h.status(other)).toMatchObject({ phase: "Running" });
  });

  describe("reading the rows and a reusable result", () => {
    /** a runs, b waits in line with a pending row; a's result arrives and wakes b. */
    const waiterWoken = async () => {
      const h = harness({ maxConcurrentRuns: 1 });
      const other = { ...assessmentSpec(), simulation: { paths: 2000, seed: 7 } };
      const [a, b] = [h.add("a"), h.add("b", { spec: other })];
      for (const key of [a, b]) await h.reconcile(key);
      h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
      await flush();
      await h.reconcile(a);
      expect(h.woken).toEqual([a, b]);
      h.store.calls = [];
      return { h, b };
    };

    it("a woken waiter reads both in one statement, then starts its row", async () => {
      const { h, b } = await waiterWoken();
      await h.reconcile(b);
      expect(h.store.calls).toEqual(["runsWithReusable", "markStarted"]);
      expect(h.simulator.calls).toHaveLength(2);
      // It stays Pending in line for its run's first second, then is published Running.
      expect(h.status(b)).toMatchObject({
        phase: "Pending",
        message: expect.stringMatching(/free slot/),
      });
      await h.firstSecondUp(b);
      expect(h.status(b)).toMatchObject({ phase: "Running" });
    });

    it("a row made before the engine changed looks up a result under its own hash", async () => {
      const { h, b } = await waiterWoken();
      // A completed run with b's request, made under the engine b's row was made under.
      const [own] = h.store.rows.filter((r) => r.name === "b");
      if (!own) throw new Error("b has no row");
      const completed = { status: "completed" as const, completedAt: h.clock.now };
      h.store.rows.push({
        ...own,
        ...completed,
        id: "job-done",
        uid: "u-done",
        result: engineResult(),
      });
      h.simulator.version = "engine-2";
      await h.reconcile(b);
      expect(h.store.calls).toEqual(["runsWithReusable", "findReusable", "complete"]);
      expect(h.status(b)?.result?.reusedFromJobId).toBe("job-done");
    });

    it("with the engine version unreadable, a run that has a row goes on with the row's hash", async () => {
      const { h, b } = await waiterWoken();
      h.simulator.versionDown = true;
      await h.reconcile(b);
      expect(h.store.calls).toEqual(["runsOf", "findReusable", "markStarted"]);
      await h.firstSecondUp(b);
      expect(h.status(b)).toMatchObject({ phase: "Running" });
    });

    it("a run whose result arrived stores it without reading its rows or the engine version", async () => {
      await h.reconcile(key);
      const versions = h.simulator.versionCalls;
      h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
      await flush();
      h.store.calls = [];
      await h.reconcile(key);
      expect(h.store.calls).toEqual(["complete"]);
      expect(h.simulator.versionCalls).toBe(versions);
    });

    it("the status a stored result publishes matches the row, on a second attempt too", async () => {
      await h.reconcile(key);
      h.simulator.calls[0]?.settle({ kind: "failed", message: "HTTP 500: boom" });
      await flush();
      await h.reconcile(key);
      later(h, 3_600_000);
      await h.reconcile(key);
      expect(h.simulator.calls).toHaveLength(2);
      h.simulator.calls[1]?.settle({ kind: "ok", result: engineResult() });
      await flush();
      h.store.calls = [];
      await h.reconcile(key);
      expect(h.store.calls).toEqual(["complete"]);
      const row = h.store.row(JOB);
      expect(row).toMatchObject({ status: "completed", attempts: 2, failures: 1 });
      expect(h.status(key)).toMatchObject({
        phase: "Succeeded",
        jobId: row?.id,
        seed: row?.seed,
        attempts: 2,
        startTime: row?.startedAt?.toISOString(),
      });
    });

    it("a row made terminal while its run was in flight is read again, and its result dropped", async () => {
      await h.reconcile(key);
      h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
      await flush();
      h.store.rows = h.store.rows.map((r) => ({ ...r, status: "cancelled" as const }));
      const writes = h.writer.statuses.length;
      await expect(h.reconcile(key)).rejects.toMatchObject({ reason: "Conflict" });
      expect(h.writer.statuses).toHaveLength(writes);
      h.store.calls = [];
      await h.reconcile(key);
      expect(h.store.calls[0]).toBe("runsOf");
      expect(h.status(key)?.phase).toBe("Failed");
      expect(h.status(key)?.conditions).toContainEqual(
        expect.objectContaining({ type: "Ready", reason: "Cancelled" }),
      );
      expect(h.store.row(JOB)).toMatchObject({ status: "cancelled", result: null });
    });
  });

  it("a settled outcome is stored even if the clock passed the deadline meanwhile", async () => {
    h.update(key, (s) => ({ ...s, spec: { ...assessmentSpec(), activeDeadlineSeconds: 60 } }));
    await h.reconcile(key);
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    later(h, 120_000);
    await h.reconcile(key);
    expect(h.status(key)?.phase).toBe("Succeeded");
  });
});

describe("graceful shutdown", () => {
  it("storeSettledResults stores the results that arrived, and only those", async () => {
    const h = harness();
    const [a, b, c] = [h.add("a"), h.add("b"), h.add("c")];
    for (const key of [a, b, c]) await h.reconcile(key);
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    h.simulator.calls[1]?.settle({ kind: "failed", message: "HTTP 500" });
    await flush();
    h.store.calls = [];

    expect(await storeSettledResults(h.executions, h.store, log)).toBe(1);
    expect(h.store.calls).toEqual(["complete"]);
    expect(h.store.rows.map((r) => [r.name, r.status, r.result])).toEqual([
      ["a", "completed", engineResult()],
      ["b", "running", null],
      ["c", "running", null],
    ]);
  });

  it("storeSettledResults survives a database that is down", async () => {
    const h = harness();
    await h.reconcile(h.add("a"));
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    h.store.mode = "down";
    expect(await storeSettledResults(h.executions, h.store, log)).toBe(0);
  });
});
