// observe(): everything one reconcile's decision needs, gathered into one
// value. Reads the database only for a simulation that is neither finished,
// refused, nor still in line for a slot on a full platform. It resolves to a
// function that reads the in-memory executions: the caller calls it after its
// own await, in the same synchronous stretch as decide() and apply()'s
// reserve, so no other reconcile can take a slot in between.
import { type PlatformObject, platformNameOf, type SimulationObject } from "../../api/objects.ts";
import { type Admitted, admit } from "./admit.ts";
import { isActive, type Observation } from "./decide.ts";
import { engineInputs, requestHash, runIdOf } from "./engine-request.ts";
import type { Executions } from "./executions.ts";
import type { SimulationStore, SimulatorClient } from "./ports.ts";
import { isTerminal } from "./status.ts";

export interface ObserveDeps {
  readonly getPlatform: (name: string) => PlatformObject | undefined;
  readonly store: SimulationStore;
  readonly simulator: SimulatorClient;
  readonly executions: Executions;
  readonly now: () => Date;
  readonly random: () => number;
}

/** Identifies one generation's run in memory; starts with the object's key. */
export const runKeyOf = (key: string, sim: SimulationObject) =>
  `${key}#${sim.metadata.uid}/${sim.metadata.generation}`;

export async function observe(
  deps: ObserveDeps,
  sim: SimulationObject,
  key: string,
): Promise<() => Observation> {
  const { executions } = deps;
  const runKey = runKeyOf(key, sim);
  const base = () => ({ sim, now: deps.now(), random: deps.random() });
  const platformObject = deps.getPlatform(platformNameOf(sim));
  if (isTerminal(sim.status, sim.metadata.generation)) {
    return () => ({ ...base(), kind: "terminal", ttlSeconds: ttlSecondsOf(sim, platformObject) });
  }
  const admission = admit(sim.spec, platformObject);
  if (!admission.admitted) {
    return () => ({
      ...base(),
      kind: "refused",
      refusal: admission,
      others: executions.othersOf(key, runKey),
    });
  }
  const platform = admission.platform.name;
  const limit = admission.platform.spec.limits.maxConcurrentRuns;
  if (executions.isWaiting(runKey, platform) && executions.inFlight(platform) >= limit) {
    return () => ({ ...base(), kind: "waiting" });
  }

  return observeRun(deps, sim, key, admission);
}

/** The rows and hash of an admitted run, then (synchronously, later) its memory. */
async function observeRun(
  deps: ObserveDeps,
  sim: SimulationObject,
  key: string,
  admission: Admitted,
): Promise<() => Observation> {
  const { executions } = deps;
  const runKey = runKeyOf(key, sim);
  const { name: platform, endpoint } = admission.platform;
  const rows = await deps.store.runsOf(sim.metadata.uid);
  const row = rows.find((r) => r.generation === sim.metadata.generation);
  const version = row
    ? { hash: row.requestHash }
    : await hashWithVersion(deps, admission, endpoint);
  const reusable =
    version.hash !== undefined && (!row || isActive(row)) && !executions.get(runKey)
      ? await deps.store.findReusable(
          version.hash,
          row?.id ?? runIdOf(sim.metadata.uid, sim.metadata.generation),
        )
      : undefined;

  return () => {
    const execution = executions.get(runKey);
    const others = executions.othersOf(key, runKey);
    // This run's own slot, and those of its other generations (freed by this
    // decision's cancelStale), are not in the way.
    const ours = [runKey, ...others].filter((k) => executions.get(k)?.platform === platform);
    return {
      sim,
      now: deps.now(),
      random: deps.random(),
      kind: "active",
      admission,
      rows,
      requestHash: version.hash,
      versionError: version.error,
      reusable,
      execution,
      gate: executions.gate(runKey),
      others,
      inFlight: executions.inFlight(platform) - ours.length,
    };
  };
}

/** A new row's hash, which includes the engine version the simulator reports. */
async function hashWithVersion(
  deps: ObserveDeps,
  admission: Admitted,
  endpoint: string,
): Promise<{ hash?: string; error?: string }> {
  try {
    const version = await deps.simulator.engineVersion(endpoint);
    const inputs = { seed: admission.seed, ...engineInputs(admission.spec) };
    return { hash: requestHash(inputs, version) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** ttlSecondsAfterFinished of the spec, else of the platform's limits; read leniently. */
function ttlSecondsOf(sim: SimulationObject, platform: PlatformObject | undefined) {
  const own = (sim.spec as { ttlSecondsAfterFinished?: unknown } | undefined)
    ?.ttlSecondsAfterFinished;
  if (typeof own === "number") return own;
  const limits = (platform?.spec as { limits?: { ttlSecondsAfterFinished?: unknown } } | undefined)
    ?.limits;
  return typeof limits?.ttlSecondsAfterFinished === "number"
    ? limits.ttlSecondsAfterFinished
    : undefined;
}
