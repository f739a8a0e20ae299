// The simulation reconciler over fakes, for several simulations on one
// platform, with a clock the test moves. The reader holds the objects as the
// API server stores them and `sims` what the informer caches of them (the
// cache transform applied). A status the reconciler writes is handed back on
// both, as the API server and the informer would.
import pino from "pino";
import { Registry } from "prom-client";
import type { PlatformObject, SimulationObject } from "../../../src/api/objects.ts";
import { simulationCacheTransform } from "../../../src/controllers/simulation/cache-transform.ts";
import { Executions } from "../../../src/controllers/simulation/executions.ts";
import { createSimulationMetrics } from "../../../src/controllers/simulation/metrics.ts";
import { createSimulationReconciler } from "../../../src/controllers/simulation/reconciler.ts";
import { FIRST_STATUS_DELAY_MS } from "../../../src/controllers/simulation/run-policies.ts";
import { FakeReader, FakeSimulator, FakeStore, FakeWriter } from "./fakes.ts";
import { NOW, platformObject, simulation } from "./observations.ts";

export const log = pino({ level: "silent" });
export const flush = () => new Promise((r) => setTimeout(r, 0));
export const PROGRESS_INTERVAL_MS = 20;
export const FINALIZER_GRACE_MS = 60_000;

export function harness(limits: object = {}) {
  const sims = new Map<string, SimulationObject>();
  const clock = { now: NOW };
  const store = new FakeStore();
  store.now = () => clock.now;
  const simulator = new FakeSimulator();
  const writer = new FakeWriter();
  const reader = new FakeReader();
  /** Stores the object as the API server would, and caches it as the informer would. */
  const store_ = (key: string, sim: SimulationObject) => {
    reader.objects.set(key, sim);
    sims.set(key, simulationCacheTransform(sim));
  };
  const woken: string[] = [];
  const executions = new Executions((key) => woken.push(key));
  const h = {
    sims,
    clock,
    store,
    simulator,
    writer,
    reader,
    woken,
    executions,
    platform: platformObject(limits) as PlatformObject | undefined,
    /** Adds a simulation named `name` (uid `u-<name>` unless given); returns its key. */
    add(name: string, over: { uid?: string; spec?: object } = {}) {
      const key = `risk/${name}`;
      store_(key, simulation({ name, uid: over.uid ?? `u-${name}`, ...over }));
      return key;
    },
    sim(key: string) {
      const sim = sims.get(key);
      if (!sim) throw new Error(`no simulation ${key}`);
      return sim;
    },
    update(key: string, change: (s: SimulationObject) => SimulationObject) {
      store_(key, change(reader.objects.get(key) ?? h.sim(key)));
    },
    /** The status last written for the object of `key`. */
    status(key: string) {
      return writer.byName.get(h.sim(key).metadata.name);
    },
    /** The requeue that publishes a new simulation's run once its first second is up. */
    async firstSecondUp(key: string) {
      clock.now = new Date(clock.now.getTime() + FIRST_STATUS_DELAY_MS);
      return h.reconcile(key);
    },
    async reconcile(key: string) {
      try {
        return await reconcileKey(key, { log });
      } finally {
        const sim = reader.objects.get(key);
        const status = sim && writer.byName.get(sim.metadata.name);
        if (sim && status && sims.has(key)) store_(key, { ...sim, status });
      }
    },
  };
  const deps = {
    getSimulation: (key: string) => sims.get(key),
    getPlatform: (name: string) => (h.platform?.metadata.name === name ? h.platform : undefined),
    store,
    simulator,
    reader,
    writer,
    executions,
    metrics: createSimulationMetrics(new Registry()),
    now: () => clock.now,
    random: () => 0,
    finalizerGraceMs: FINALIZER_GRACE_MS,
    progressIntervalMs: PROGRESS_INTERVAL_MS,
  };
  const reconcileKey = createSimulationReconciler(deps);
  return h;
}

export type Harness = ReturnType<typeof harness>;
