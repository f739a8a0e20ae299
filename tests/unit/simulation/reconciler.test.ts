import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { Executions } from "../../../src/controllers/simulation/executions.ts";
import { createSimulationMetrics } from "../../../src/controllers/simulation/metrics.ts";
import type {
  PlatformObject,
  SimulationObject,
} from "../../../src/controllers/simulation/objects.ts";
import { FINALIZER } from "../../../src/controllers/simulation/reasons.ts";
import { createSimulationReconciler } from "../../../src/controllers/simulation/reconciler.ts";
import { createRegistry } from "../../../src/runtime/metrics.ts";
import { assessmentSpec, engineResult, platformSpec } from "../../fixtures/simulations.ts";
import { FakeSimulator, FakeStore, FakeWriter } from "./fakes.ts";

const KEY = "risk/asm";
const log = pino({ level: "silent" });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("simulation reconciler", () => {
  let sim: SimulationObject;
  let store: FakeStore;
  let simulator: FakeSimulator;
  let writer: FakeWriter;
  let woken: string[];
  let reconcile: ReturnType<typeof createSimulationReconciler>;

  beforeEach(() => {
    sim = {
      apiVersion: "montecarlo.vatic.io/v1alpha1",
      kind: "MonteCarloSimulation",
      metadata: {
        namespace: "risk",
        name: "asm",
        uid: "u1",
        generation: 1,
        resourceVersion: "1",
        finalizers: [FINALIZER],
      },
      spec: assessmentSpec(),
    };
    const platform: PlatformObject = {
      apiVersion: "montecarlo.vatic.io/v1alpha1",
      kind: "MonteCarloPlatform",
      metadata: { name: "default", uid: "p", generation: 1, resourceVersion: "1" },
      spec: platformSpec("http://sim"),
    };
    store = new FakeStore();
    simulator = new FakeSimulator();
    writer = new FakeWriter();
    woken = [];
    reconcile = createSimulationReconciler({
      getSimulation: (key) => (key === KEY ? sim : undefined),
      getPlatform: (name) => (name === "default" ? platform : undefined),
      store,
      simulator,
      writer,
      executions: new Executions((key) => woken.push(key)),
      metrics: createSimulationMetrics(createRegistry()),
      now: () => new Date("2026-11-28T12:00:05Z"),
      random: () => 0,
    });
  });

  /** What the API server would hand back after our status write. */
  const applyLastStatus = () => {
    sim = { ...sim, status: writer.statuses.at(-1) };
  };

  it("adds its finalizer first and does nothing else", async () => {
    sim.metadata.finalizers = [];
    await reconcile(KEY, { log });
    expect(writer.finalizers).toEqual([[FINALIZER]]);
    expect(store.rows).toHaveLength(0);
  });

  it("records the row before submitting, runs once, then goes quiet", async () => {
    await reconcile(KEY, { log });
    expect(store.rows).toHaveLength(1);
    expect(store.rows[0]).toMatchObject({ status: "running", attempts: 1 });
    expect(simulator.calls).toHaveLength(1);
    expect(simulator.calls[0]?.request).toMatchObject({
      jobId: "job-1",
      seed: 42,
      mode: "assessment",
    });
    expect(writer.statuses.at(-1)).toMatchObject({ phase: "Running", jobId: "job-1", attempts: 1 });
    applyLastStatus();

    await reconcile(KEY, { log }); // idempotent while running: no second call, no write
    expect(simulator.calls).toHaveLength(1);
    expect(writer.statuses).toHaveLength(1);

    simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    expect(woken).toEqual([KEY]);
    await reconcile(KEY, { log });
    expect(store.rows[0]).toMatchObject({ status: "completed" });
    expect(writer.statuses.at(-1)).toMatchObject({
      phase: "Succeeded",
      result: { passProbability: 0.6, survivalProbability: 0.7, daysToPass: { p50: 12, p90: 14 } },
    });
    expect(writer.events.map((e) => e.reason)).toEqual(["Running", "Completed"]);
    applyLastStatus();

    const writes = writer.statuses.length;
    await reconcile(KEY, { log }); // terminal: never re-run
    await reconcile(KEY, { log });
    expect(writer.statuses).toHaveLength(writes);
    expect(simulator.calls).toHaveLength(1);
  });

  it("reports a database outage on the object and throws to back off", async () => {
    store.down = true;
    await expect(reconcile(KEY, { log })).rejects.toMatchObject({ reason: "DatabaseUnavailable" });
    expect(writer.statuses.at(-1)).toMatchObject({
      phase: "Pending",
      message: expect.stringContaining("connection refused"),
    });
    expect(simulator.calls).toHaveLength(0);
  });

  it("a new generation starts a new row and abandons the old execution", async () => {
    await reconcile(KEY, { log });
    applyLastStatus();
    sim = {
      ...sim,
      metadata: { ...sim.metadata, generation: 2 },
      spec: { ...assessmentSpec(), simulation: { paths: 3000, seed: 1 } },
    };
    await reconcile(KEY, { log });
    expect(store.rows.map((r) => r.generation)).toEqual([1, 2]);
    expect(simulator.calls).toHaveLength(2);
    simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await flush();
    expect(woken).toEqual([]); // the abandoned execution wakes nobody
  });

  it("deletion cancels the unfinished row and removes the finalizer", async () => {
    await reconcile(KEY, { log });
    sim = { ...sim, metadata: { ...sim.metadata, deletionTimestamp: "2026-11-28T12:00:04Z" } };
    await reconcile(KEY, { log });
    expect(store.rows[0]?.status).toBe("cancelled");
    expect(writer.finalizers.at(-1)).toEqual([]);
  });

  it("deletion waits for the database, then gives up after the grace period", async () => {
    await reconcile(KEY, { log });
    store.down = true;
    sim = { ...sim, metadata: { ...sim.metadata, deletionTimestamp: "2026-11-28T12:00:04Z" } };
    await expect(reconcile(KEY, { log })).rejects.toMatchObject({ reason: "DatabaseUnavailable" });
    sim = { ...sim, metadata: { ...sim.metadata, deletionTimestamp: "2026-11-28T11:58:00Z" } };
    await reconcile(KEY, { log });
    expect(writer.finalizers.at(-1)).toEqual([]);
    expect(writer.events.at(-1)?.reason).toBe("CancelFailed");
  });

  it("an invalid spec fails once with InvalidSpec and is not retried", async () => {
    sim = { ...sim, spec: { ...assessmentSpec(), fundedAccountId: "fa" } };
    await reconcile(KEY, { log });
    expect(writer.statuses.at(-1)).toMatchObject({ phase: "Failed" });
    expect(writer.events.at(-1)).toMatchObject({ type: "Warning", reason: "InvalidSpec" });
    applyLastStatus();
    await reconcile(KEY, { log });
    expect(writer.statuses).toHaveLength(1);
    expect(store.rows).toHaveLength(0);
  });
});
