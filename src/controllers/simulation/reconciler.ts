// The imperative shell of the simulation controller, one reconcile:
// deletion and finalizer first, then observe -> decide -> apply, with one
// status write at most. The database's failures are reported on the object
// (Pending, DatabaseUnavailable or DatabaseError) and rethrown for the queue
// to back off.
import type { Logger } from "pino";
import type { PlatformObject, SimulationObject } from "../../api/objects.ts";
import { endpointOfPlatform } from "../../api/platform.ts";
import type { ReconcileResult } from "../../runtime/controller.ts";
import { apply, type RunTarget, stopExecution } from "./apply.ts";
import { decide, type Observation, storeFailureStatus } from "./decide.ts";
import { runIdOf } from "./engine-request.ts";
import type { Executions } from "./executions.ts";
import { finalize } from "./finalize.ts";
import type { SimulationMetrics } from "./metrics.ts";
import { observe, runKeyOf } from "./observe.ts";
import {
  type SimulationReader,
  type SimulationStore,
  type SimulationWriter,
  type SimulatorClient,
  StoreError,
  StoreUnavailableError,
} from "./ports.ts";
import { publish, refOf } from "./publish.ts";
import { FINALIZER } from "./reasons.ts";

export interface SimulationReconcilerDeps {
  readonly getSimulation: (key: string) => SimulationObject | undefined;
  readonly getPlatform: (name: string) => PlatformObject | undefined;
  readonly store: SimulationStore;
  readonly simulator: SimulatorClient;
  readonly reader: SimulationReader;
  readonly writer: SimulationWriter;
  readonly executions: Executions;
  readonly metrics: SimulationMetrics;
  readonly now: () => Date;
  readonly random: () => number;
  /** After this long, a deleted simulation loses its finalizer even if the database is down. */
  readonly finalizerGraceMs: number;
  /** How often a run in flight asks the simulator how far it is (10 s). */
  readonly progressIntervalMs: number;
}

export function createSimulationReconciler(deps: SimulationReconcilerDeps) {
  return (key: string, { log }: { log: Logger }) => reconcile(deps, key, log);
}

export async function reconcile(
  deps: SimulationReconcilerDeps,
  key: string,
  log: Logger,
): Promise<ReconcileResult | undefined> {
  const endpointOf = (name: string) => endpointOfPlatform(deps.getPlatform(name));
  const shell = { ...deps, log, endpointOfPlatform: endpointOf };
  const sim = deps.getSimulation(key);
  if (!sim) {
    for (const runKey of deps.executions.othersOf(key)) stopExecution(shell, runKey);
    return undefined;
  }
  if (sim.metadata.deletionTimestamp) {
    await finalize(shell, sim, key, log);
    return undefined;
  }
  const current = sim.metadata.finalizers?.includes(FINALIZER)
    ? sim
    : await withFinalizer(deps, sim);
  try {
    const observation = (await observe(deps, current, key))();
    const decision = decide(observation);
    // observation.sim: the full object when the cache's copy was stripped.
    await apply(shell, targetOf(observation.sim, key, observation), decision);
    return decision.requeueAfterMs !== undefined
      ? { requeueAfterMs: decision.requeueAfterMs }
      : undefined;
  } catch (err) {
    if (err instanceof StoreUnavailableError || err instanceof StoreError) {
      const status = storeFailureStatus({ sim: current, now: deps.now(), random: 0 }, err);
      await publish(shell, current, status);
    }
    throw err;
  }
}

/**
 * Adds the finalizer before any row or job exists, and goes on with the
 * object as the API server now has it: the update event of this write is
 * skipped (status-echo.ts isFinalizerEcho), so this same reconcile acts.
 */
async function withFinalizer(deps: SimulationReconcilerDeps, sim: SimulationObject) {
  const finalizers = [...(sim.metadata.finalizers ?? []), FINALIZER];
  const resourceVersion = await deps.writer.setFinalizers(refOf(sim), finalizers);
  return { ...sim, metadata: { ...sim.metadata, finalizers, resourceVersion } };
}

function targetOf(sim: SimulationObject, key: string, o: Observation): RunTarget {
  const runKey = runKeyOf(key, sim);
  if (o.kind !== "active") return { sim, key, runKey };
  const { name, endpoint } = o.admission.platform;
  const row = o.rows.find((r) => r.generation === sim.metadata.generation);
  return {
    sim,
    key,
    runKey,
    platform: { name, endpoint },
    rowId: row?.id ?? runIdOf(sim.metadata.uid, sim.metadata.generation),
  };
}
