// observe(): everything one reconcile's decision needs, gathered into one
// value. Reads the database only for a simulation that is neither finished,
// refused, nor still in line for a slot on a full platform; reads the full
// object from the API server only when its cached copy left part of the spec
// out, the simulation is neither finished nor in line, its platform is
// usable, and this process holds no run of the generation (in flight or its
// outcome unstored). It resolves to a
// function that reads the in-memory executions: the caller calls it after its
// own await, in the same synchronous stretch as decide() and apply()'s
// reserve, so no other reconcile can take a slot in between.
import { type PlatformObject, platformNameOf, type SimulationObject } from "../../api/objects.ts";
import { type Admitted, admit, parsePlatform } from "./admit.ts";
import { isStripped, specForAdmission } from "./cache-transform.ts";
import { isActive, type Observation } from "./decide.ts";
import { engineInputs, requestHash, runIdOf } from "./engine-request.ts";
import type { ExecutionSnapshot, Executions } from "./executions.ts";
import {
  RunChangedError,
  type RunRow,
  type SimulationReader,
  type SimulationStore,
  type SimulatorClient,
} from "./ports.ts";
import { isTerminal } from "./status.ts";

export interface ObserveDeps {
  readonly getPlatform: (name: string) => PlatformObject | undefined;
  readonly store: SimulationStore;
  readonly simulator: SimulatorClient;
  /** The full object, for a cached copy that left part of its spec out. */
  readonly reader: SimulationReader;
  readonly executions: Executions;
  readonly now: () => Date;
  readonly random: () => number;
}

/** Identifies one generation's run in memory; starts with the object's key. */
export const runKeyOf = (key: string, sim: SimulationObject) =>
  `${key}#${sim.metadata.uid}/${sim.metadata.generation}`;

export async function observe(
  deps: ObserveDeps,
  cached: SimulationObject,
  key: string,
): Promise<() => Observation> {
  const { executions } = deps;
  const runKey = runKeyOf(key, cached);
  const platformName = platformNameOf(cached);
  const platformObject = deps.getPlatform(platformName);
  const ttlSeconds = ttlSecondsOf(cached, platformObject);
  const base = (sim: SimulationObject) => ({
    sim,
    now: deps.now(),
    random: deps.random(),
    ttlSeconds,
  });
  if (isTerminal(cached.status, cached.metadata.generation)) {
    return () => ({ ...base(cached), kind: "terminal" });
  }
  // Before anything is read: waiting costs no GET and no database statement.
  const limit = concurrencyLimitOf(platformObject);
  if (
    limit !== undefined &&
    executions.isWaiting(runKey, platformName) &&
    executions.inFlight(platformName) >= limit
  ) {
    return () => ({ ...base(cached), kind: "waiting" });
  }
  // Without a usable platform the run cannot start whatever the history
  // holds: the cached spec is judged as it is, and nothing is read. Nor is
  // it for a run this process launched and still holds (in flight, or its
  // outcome not yet stored): it was admitted on the full object, and no
  // decision submits while it is held.
  const needsFull =
    isStripped(cached) && limit !== undefined && executions.get(runKey)?.row === undefined;
  const sim = needsFull ? await fullObject(deps.reader, cached) : cached;
  if (!sim) return () => ({ ...base(cached), kind: "outdated" });
  const admission = admit(specForAdmission(sim), platformObject);
  if (!admission.admitted) {
    return () => ({
      ...base(sim),
      kind: "refused",
      refusal: admission,
      others: executions.othersOf(key, runKey),
    });
  }
  return observeRun(deps, base(sim), key, admission);
}

/** The API server's copy of the same generation; undefined when it is gone or newer. */
async function fullObject(reader: SimulationReader, cached: SimulationObject) {
  const full = await reader.get(cached.metadata.namespace, cached.metadata.name);
  const same =
    full?.metadata.uid === cached.metadata.uid &&
    full.metadata.generation === cached.metadata.generation;
  return same ? full : undefined;
}

/** maxConcurrentRuns of a valid platform. */
function concurrencyLimitOf(platform: PlatformObject | undefined): number | undefined {
  if (!platform) return undefined;
  const parsed = parsePlatform(platform);
  return parsed.success ? parsed.data.limits.maxConcurrentRuns : undefined;
}

/** The rows and hash of an admitted run, then (synchronously, later) its memory. */
async function observeRun(
  deps: ObserveDeps,
  { sim, ttlSeconds }: { sim: SimulationObject; ttlSeconds: number | undefined },
  key: string,
  admission: Admitted,
): Promise<() => Observation> {
  const { executions } = deps;
  const runKey = runKeyOf(key, sim);
  const { name: platform } = admission.platform;
  const execution = executions.get(runKey);
  const { rows, version, reusable } = execution
    ? (resultToStore(execution) ?? (await readRuns(deps, sim, admission, runKey)))
    : await readRunsAndReusable(deps, sim, admission);

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
      ttlSeconds,
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

interface RunsRead {
  readonly rows: RunRow[];
  readonly version: { hash?: string; error?: string };
  readonly reusable?: RunRow;
}

/**
 * A result that arrived for a run this process launched is stored without
 * reading the rows: its row is as the launch left it (running; the other
 * generations' rows were cancelled before it launched, under the same key),
 * and storing it applies to an active row only, so a row made terminal
 * meanwhile is found then (RunChangedError) and read on the next reconcile.
 */
function resultToStore(execution: ExecutionSnapshot): RunsRead | undefined {
  const { row } = execution;
  if (!row || execution.outcome?.kind !== "ok") return undefined;
  return { rows: [row], version: { hash: row.requestHash } };
}

/**
 * A run in memory reuses nothing: its rows, and its row's hash (or a new one).
 * A new row needs the full spec: a cached copy without its history that finds
 * its run's row gone forgets the row and is read in full on the next try.
 */
async function readRuns(
  deps: ObserveDeps,
  sim: SimulationObject,
  admission: Admitted,
  runKey: string,
): Promise<RunsRead> {
  const rows = await deps.store.runsOf(sim.metadata.uid);
  const row = rows.find((r) => r.generation === sim.metadata.generation);
  if (!row && isStripped(sim)) {
    deps.executions.forgetRow(runKey);
    throw new RunChangedError(`the row of run ${runKey} is gone; reading the simulation again`);
  }
  const version = row ? { hash: row.requestHash } : await hashWithVersion(deps, admission);
  return { rows, version };
}

/**
 * A run not in memory may reuse a result: the rows and the reuse lookup in
 * one statement, on the hash the engine version gives now. An active row
 * keeps its own hash; when that differs (the engine changed since the row
 * was made, or its version cannot be read), the lookup is made again on it.
 * A finished row reuses nothing.
 */
async function readRunsAndReusable(
  deps: ObserveDeps,
  sim: SimulationObject,
  admission: Admitted,
): Promise<RunsRead> {
  const { uid, generation } = sim.metadata;
  const version = await hashWithVersion(deps, admission);
  const { rows, reusable } =
    version.hash === undefined
      ? { rows: await deps.store.runsOf(uid), reusable: undefined }
      : await deps.store.runsWithReusable(uid, version.hash, runIdOf(uid, generation));
  const row = rows.find((r) => r.generation === generation);
  if (!row) return { rows, version, reusable };
  const own = { hash: row.requestHash };
  if (!isActive(row)) return { rows, version: own };
  if (row.requestHash === version.hash) return { rows, version: own, reusable };
  return { rows, version: own, reusable: await deps.store.findReusable(row.requestHash, row.id) };
}

/** A new row's hash, which includes the engine version the simulator reports. */
async function hashWithVersion(
  deps: ObserveDeps,
  admission: Admitted,
): Promise<{ hash?: string; error?: string }> {
  try {
    const version = await deps.simulator.engineVersion(admission.platform.endpoint);
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
