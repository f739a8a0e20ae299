// The reconciler over fakes, one test per defect of issue 9 that a unit can show.
import { describe, expect, it } from "vitest";
import { runIdOf } from "../../../src/controllers/simulation/engine-request.ts";
import { assessmentSpec, engineResult } from "../../fixtures/simulations.ts";
import { flush, type Harness, harness } from "./harness.ts";
import { ENDPOINT } from "./observations.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const later = (h: Harness, ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
const running = (h: Harness) => h.store.rows.filter((r) => r.status === "running").length;
const keyOfCall = (h: Harness, i: number) =>
  [...h.sims.keys()].find(
    (k) => runIdOf(`u-${k.slice(5)}`, 1) === h.simulator.calls[i]?.request.jobId,
  );

/** One simulation running generation 1, then edited to `paths` as generation 2 and reconciled. */
async function runThenEdit(paths: number) {
  const h = harness();
  const key = h.add("a");
  await h.reconcile(key);
  h.update(key, (s) => ({
    ...s,
    metadata: { ...s.metadata, generation: 2 },
    spec: { ...assessmentSpec(), simulation: { paths, seed: 1 } },
  }));
  await h.reconcile(key);
  return { h, key };
}

describe("simulation reconciler: issue 9", () => {
  it.each([
    { name: "a timer", latency: () => sleep(1) },
    // A store answering from memory (or two answers in one I/O callback) resumes
    // every reconcile within one run of the microtask queue.
    { name: "microtasks only", latency: () => Promise.resolve() },
  ])(
    "defect 1: parallel reconciles never exceed maxConcurrentRuns (store delayed by $name)",
    async ({ latency }) => {
      const h = harness({ maxConcurrentRuns: 1 });
      // Distinct seeds: identical specs would reuse the first result.
      const keys = ["a", "b", "c", "d"].map((n, seed) =>
        h.add(n, { spec: { ...assessmentSpec(), simulation: { paths: 2000, seed } } }),
      );
      const samples: number[][] = [];
      const sample = () => {
        samples.push([running(h), h.simulator.open]);
      };
      h.store.latency = () => latency().then(sample);
      h.store.onChange = sample;
      h.simulator.onChange = sample;

      await Promise.all(keys.map((k) => h.reconcile(k)));
      expect(h.simulator.calls).toHaveLength(1);
      expect(h.store.rows.map((r) => r.status).sort()).toEqual([
        "pending",
        "pending",
        "pending",
        "running",
      ]);

      // Each settled run frees the slot for the next in line, which the wake enqueues.
      let current = keyOfCall(h, 0);
      for (let done = 1; done <= 4; done++) {
        h.simulator.calls.at(-1)?.settle({ kind: "ok", result: engineResult() });
        await flush();
        expect(h.woken.at(-1)).toBe(current);
        h.woken.length = 0;
        await h.reconcile(current ?? "");
        expect(h.status(current ?? "")?.phase).toBe("Succeeded");
        if (done === 4) break;
        expect(h.woken).toHaveLength(1);
        const next = h.woken[0] ?? "";
        await Promise.all(keys.map((k) => h.reconcile(k))); // everyone re-checks at once
        expect(h.simulator.calls).toHaveLength(done + 1);
        expect(keyOfCall(h, done)).toBe(next);
        current = next;
      }
      expect(h.store.rows.every((r) => r.status === "completed")).toBe(true);
      expect(Math.max(...samples.map(([rows]) => rows ?? 0))).toBe(1);
      expect(Math.max(...samples.map(([, open]) => open ?? 0))).toBe(1);
      expect(h.simulator.maxOpen).toBe(1);
    },
  );

  it("defect 2: lowering a platform limit mid-run lets the admitted run complete", async () => {
    const h = harness();
    const key = h.add("a");
    await h.reconcile(key);
    h.platform = harness({ maxPaths: 10, maxPathSteps: 10 }).platform;
    await h.firstSecondUp(key);
    expect(h.status(key)?.phase).toBe("Running");
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    await h.reconcile(key);
    expect(h.status(key)?.phase).toBe("Succeeded");
    expect(h.store.rows.map((r) => r.status)).toEqual(["completed"]);
    expect(h.executions.inFlight("default")).toBe(0);
  });

  it("defect 3: a spec change cancels the old generation's row", async () => {
    const { h } = await runThenEdit(3000);
    expect(h.store.rows.map((r) => [r.generation, r.status])).toEqual([
      [1, "cancelled"],
      [2, "running"],
    ]);
    expect(h.simulator.calls[0]?.signal.aborted).toBe(true);
    expect(h.simulator.cancelled).toEqual([{ endpoint: ENDPOINT, jobId: runIdOf("u-a", 1) }]);
    expect(h.simulator.calls[1]?.request.jobId).toBe(runIdOf("u-a", 2));
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    expect(h.woken).toEqual([]); // the abandoned execution wakes nobody
    expect(h.executions.inFlight("default")).toBe(1);
  });

  it("defect 3: the new generation takes the old generation's slot at once", async () => {
    const h = harness({ maxConcurrentRuns: 1 });
    const key = h.add("a");
    await h.reconcile(key);
    h.update(key, (s) => ({ ...s, metadata: { ...s.metadata, generation: 2 } }));
    await h.reconcile(key);
    expect(h.store.rows.map((r) => [r.generation, r.status])).toEqual([
      [1, "cancelled"],
      [2, "running"],
    ]);
    expect(h.simulator.calls.map((c) => c.request.jobId)).toEqual([
      runIdOf("u-a", 1),
      runIdOf("u-a", 2),
    ]);
  });

  it("a spec change refused outright stops the old generation's job on the simulator", async () => {
    const { h, key } = await runThenEdit(-5);
    expect(h.status(key)).toMatchObject({ phase: "Failed" });
    expect(h.simulator.calls[0]?.signal.aborted).toBe(true);
    expect(h.simulator.cancelled).toEqual([{ endpoint: ENDPOINT, jobId: runIdOf("u-a", 1) }]);
    expect(h.store.rows.map((r) => [r.generation, r.status])).toEqual([[1, "cancelled"]]);
  });

  it("a simulation gone from the cache stops its job on the simulator", async () => {
    const h = harness();
    const key = h.add("a");
    await h.reconcile(key);
    h.sims.delete(key);
    await h.reconcile(key);
    expect(h.simulator.calls[0]?.signal.aborted).toBe(true);
    expect(h.simulator.cancelled).toEqual([{ endpoint: ENDPOINT, jobId: runIdOf("u-a", 1) }]);
    expect(h.executions.inFlight("default")).toBe(0);
  });

  it("defect 6: a run that always times out ends Failed/BackoffLimitExceeded", async () => {
    const h = harness();
    const key = h.add("a", { spec: { ...assessmentSpec(), backoffLimit: 1 } });
    const timeout = "no answer within SIMULATOR_TIMEOUT_SECONDS (30 s)";
    for (let attempt = 1; attempt <= 2; attempt++) {
      await h.reconcile(key);
      expect(h.simulator.calls).toHaveLength(attempt);
      h.simulator.calls.at(-1)?.settle({ kind: "failed", message: timeout });
      await flush();
      await h.reconcile(key);
      later(h, 3_600_000); // past any retry gate
    }
    expect(h.status(key)).toMatchObject({ phase: "Failed", attempts: 2 });
    expect(h.writer.events.at(-1)).toMatchObject({ reason: "BackoffLimitExceeded" });
    expect(h.store.rows[0]).toMatchObject({
      status: "failed",
      failures: 2,
      failureReason: "BackoffLimitExceeded",
      error: `2 failed executions, backoffLimit 1; last: ${timeout}`,
    });
  });

  it("defect 9: a 50 KB simulator message is cut to 1 KiB in status and Events", async () => {
    const h = harness();
    const key = h.add("a");
    await h.reconcile(key);
    h.simulator.calls[0]?.settle({ kind: "rejected", message: "x".repeat(50_000) });
    await flush();
    await h.reconcile(key);
    const status = h.status(key);
    const messages = [
      status?.message ?? "",
      ...(status?.conditions ?? []).filter((c) => c.reason === "InvalidSpec").map((c) => c.message),
      h.writer.events.at(-1)?.message ?? "",
    ];
    expect(messages).toHaveLength(5); // status, Succeeded, Failed, Ready, the Event
    for (const m of messages) {
      expect(Buffer.byteLength(m)).toBe(1024);
      expect(m.startsWith("the simulator rejected the request: xxx")).toBe(true);
      expect(m.endsWith("xx…")).toBe(true);
    }
    expect(h.writer.events.at(-1)?.reason).toBe("InvalidSpec");
  });

  it("defect 11: waiters re-check without touching the database while the platform is full", async () => {
    const h = harness({ maxConcurrentRuns: 1 });
    const [a, b, c] = [h.add("a"), h.add("b"), h.add("c")];
    for (const key of [a, b, c]) await h.reconcile(key);
    expect(h.status(b)?.conditions?.find((x) => x.type === "Ready")?.reason).toBe(
      "ConcurrencyLimitReached",
    );
    h.store.calls = [];
    const writes = h.writer.statuses.length;
    const versions = h.simulator.versionCalls;
    for (let i = 0; i < 5; i++) {
      for (const key of [b, c]) expect(await h.reconcile(key)).toEqual({ requeueAfterMs: 300_000 });
    }
    expect(h.store.calls).toEqual([]);
    expect(h.simulator.versionCalls).toBe(versions);
    expect(h.writer.statuses).toHaveLength(writes);
    expect(h.woken).toEqual([]);
  });

  it("defect 11: a woken waiter that reuses a result passes the wake to the next in line", async () => {
    const h = harness({ maxConcurrentRuns: 1 });
    const other = { ...assessmentSpec(), simulation: { paths: 2000, seed: 7 } };
    const [a, b, c] = [h.add("a"), h.add("b"), h.add("c", { spec: other })];
    for (const key of [a, b, c]) await h.reconcile(key);
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    await h.reconcile(a);
    expect(h.woken).toEqual([a, b]);
    await h.reconcile(b); // b's spec equals a's: reused, no slot taken
    expect(h.status(b)?.result?.reusedFromJobId).toBe(runIdOf("u-a", 1));
    expect(h.woken).toEqual([a, b, c]);
    await h.reconcile(c);
    expect(h.simulator.calls.map((x) => x.request.seed)).toEqual([42, 7]);
  });

  it("defect 11: a woken waiter that is deleted passes the wake to the next in line", async () => {
    const h = harness({ maxConcurrentRuns: 1 });
    const [a, b, c] = [h.add("a"), h.add("b"), h.add("c")];
    for (const key of [a, b, c]) await h.reconcile(key);
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    await h.reconcile(a);
    expect(h.woken).toEqual([a, b]);
    h.sims.delete(b);
    await h.reconcile(b);
    expect(h.woken).toEqual([a, b, c]);
  });

  it.each([
    { mode: "down" as const, reason: "DatabaseUnavailable", message: /unreachable \(P1001\)/ },
    {
      mode: "broken" as const,
      reason: "DatabaseError",
      message: /refused runsWithReusable \(P2021\)/,
    },
  ])(
    "defect 12: database errors are reported by class: $reason",
    async ({ mode, reason, message }) => {
      const h = harness();
      const key = h.add("a");
      h.store.mode = mode;
      await expect(h.reconcile(key)).rejects.toMatchObject({ reason });
      const status = h.status(key);
      expect(status).toMatchObject({ phase: "Pending", message: expect.stringMatching(message) });
      expect(status?.conditions?.find((x) => x.type === "Ready")?.reason).toBe(reason);
      expect(h.writer.events.at(-1)).toMatchObject({ type: "Warning", reason });
      expect(h.simulator.calls).toHaveLength(0);
    },
  );

  it("defect 12: a database error mid-run keeps the run fields already published", async () => {
    const h = harness();
    const key = h.add("a");
    await h.reconcile(key);
    const started = h.clock.now.toISOString();
    await h.firstSecondUp(key);
    h.store.mode = "down";
    h.update(key, (s) => ({ ...s, metadata: { ...s.metadata, resourceVersion: "2" } }));
    await expect(h.reconcile(key)).rejects.toMatchObject({ reason: "DatabaseUnavailable" });
    expect(h.status(key)).toMatchObject({
      phase: "Pending",
      jobId: runIdOf("u-a", 1),
      attempts: 1,
      startTime: started,
    });
  });

  it.each([
    { name: "the spec's", spec: { ttlSecondsAfterFinished: 5 }, limits: {} },
    { name: "the platform's", spec: {}, limits: { ttlSecondsAfterFinished: 5 } },
  ])(
    "defect 13: a finished simulation is deleted after $name TTL and its row is kept",
    async ({ spec, limits }) => {
      const h = harness(limits);
      const key = h.add("a", { spec: { ...assessmentSpec(), ...spec } });
      await h.reconcile(key);
      h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
      await flush();
      // The reconcile that finishes it schedules the TTL: its echo is skipped.
      expect(await h.reconcile(key)).toEqual({ requeueAfterMs: 5_000 });
      expect(h.status(key)?.completionTime).toBe(h.clock.now.toISOString());
      later(h, 2_000);
      expect(await h.reconcile(key)).toEqual({ requeueAfterMs: 3_000 });
      expect(h.writer.deletions).toEqual([]);
      later(h, 3_000);
      await h.reconcile(key);
      expect(h.writer.deletions.map((r) => [r.name, r.uid])).toEqual([["a", "u-a"]]);
      expect(h.writer.events.at(-1)).toMatchObject({ type: "Normal", reason: "TTLExpired" });
      expect(h.store.rows.map((r) => r.status)).toEqual(["completed"]);
    },
  );

  it("defect 13: a spec refused at once schedules the platform's TTL from that reconcile", async () => {
    const h = harness({ ttlSecondsAfterFinished: 5 });
    const key = h.add("a", { spec: { ...assessmentSpec(), fundedAccountId: "fa" } });
    expect(await h.reconcile(key)).toEqual({ requeueAfterMs: 5_000 });
    expect(h.status(key)).toMatchObject({ phase: "Failed" });
    later(h, 5_000);
    await h.reconcile(key);
    expect(h.writer.deletions.map((r) => r.name)).toEqual(["a"]);
  });

  it("defect 13: without a TTL a finished simulation is kept", async () => {
    const h = harness();
    const key = h.add("a");
    await h.reconcile(key);
    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    expect(await h.reconcile(key)).toBeUndefined();
    later(h, 365 * 86_400_000);
    expect(await h.reconcile(key)).toBeUndefined();
    expect(h.writer.deletions).toEqual([]);
  });
});
