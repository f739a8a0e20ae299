// apply(): carries a decision's actions out in order, then publishes its
// status. `reserve` is always first and synchronous, so the slot is taken
// before any await; a slot reserved by a decision whose later action failed
// is given back.
import type { SimulationObject } from "../../api/objects.ts";
import type { Action, Decision } from "./decide.ts";
import type { Executions } from "./executions.ts";
import type { SimulationMetrics } from "./metrics.ts";
import { RunChangedError, type SimulationStore, type SimulatorClient } from "./ports.ts";
import { emit, type PublishDeps, publish, refOf } from "./publish.ts";
import { EventReason } from "./reasons.ts";

export interface ApplyDeps extends PublishDeps {
  readonly store: SimulationStore;
  readonly simulator: SimulatorClient;
  readonly executions: Executions;
  readonly metrics: SimulationMetrics;
  /** How often a run in flight asks the simulator how far it is; the first ask comes after one period. */
  readonly progressIntervalMs: number;
  /** The simulator endpoint of a platform, if it exists and is valid. */
  readonly endpointOfPlatform: (name: string) => string | undefined;
}

/** Where a decision's actions land. */
export interface RunTarget {
  readonly sim: SimulationObject;
  readonly key: string;
  readonly runKey: string;
  /** Known for admitted simulations only. */
  readonly platform?: { readonly name: string; readonly endpoint: string };
  readonly rowId?: string;
}

export async function apply(deps: ApplyDeps, target: RunTarget, decision: Decision) {
  try {
    for (const action of decision.actions) await applyAction(deps, target, action);
  } catch (err) {
    if (deps.executions.get(target.runKey)?.state === "starting") {
      deps.executions.abort(target.runKey);
    }
    throw err;
  } finally {
    deps.executions.settleWake(target.runKey);
  }
  if (decision.status) await publish(deps, target.sim, decision.status);
}

async function applyAction(deps: ApplyDeps, t: RunTarget, action: Action): Promise<void> {
  const { store, executions } = deps;
  const rowId = t.rowId ?? "";
  switch (action.type) {
    case "reserve":
      return executions.reserve(t.runKey, t.key, t.platform?.name ?? "", rowId);
    case "cancelStale": {
      const stopped = new Set(action.runKeys.map((runKey) => stopExecution(deps, runKey)));
      for (const jobId of action.jobIds)
        if (t.platform && !stopped.has(jobId)) cancelJob(deps, t.platform.endpoint, jobId);
      if (action.rows) {
        await store.cancelOtherGenerations(t.sim.metadata.uid, t.sim.metadata.generation);
      }
      return;
    }
    case "createRow":
      await store.createRun(action.run);
      return;
    case "markStarted":
      return store.markStarted(rowId, action.at);
    case "launch":
      return executions.launch(t.runKey, (signal) => simulate(deps, t, action, signal), action.row);
    case "complete":
      if (await store.complete(rowId, action.result)) return;
      executions.forgetRow(t.runKey);
      throw new RunChangedError(`run ${rowId} was no longer active; reading it again`);
    case "recordFailure":
      return store.recordFailure(rowId, action.message);
    case "markPending":
      return store.markPending(rowId);
    case "fail":
      return store.fail(rowId, action.reason, action.message);
    case "release":
      return executions.release(t.runKey);
    case "abort":
      return abortExecution(deps, t, t.runKey, action.cancel ? rowId : undefined);
    case "setGate":
      return executions.setGate(t.runKey, action.gate);
    case "wait":
      return executions.wait(t.runKey, t.key, t.platform?.name ?? "");
    case "deleteObject":
      await emit(deps, refOf(t.sim), {
        type: "Normal",
        reason: EventReason.TTLExpired,
        message:
          "ttlSecondsAfterFinished has passed; deleting the simulation (its SimulationJob rows are kept)",
      });
      return deps.writer.deleteObject(refOf(t.sim));
  }
}

/**
 * Abandons the execution of `runKey` (another generation's, or one whose
 * object is gone) and asks its platform's simulator to stop the job, best
 * effort; returns the job id it stopped, if a request was in flight.
 */
export function stopExecution(deps: ApplyDeps, runKey: string): string | undefined {
  const platform = deps.executions.get(runKey)?.platform;
  const jobId = deps.executions.abort(runKey);
  const endpoint = platform === undefined ? undefined : deps.endpointOfPlatform(platform);
  if (jobId !== undefined && endpoint !== undefined) cancelJob(deps, endpoint, jobId);
  return jobId;
}

/** Abandons an execution; with `cancel`, also stops the simulator's computation of `jobId`. */
function abortExecution(deps: ApplyDeps, t: RunTarget, runKey: string, jobId: string | undefined) {
  deps.executions.abort(runKey);
  if (jobId !== undefined && t.platform) cancelJob(deps, t.platform.endpoint, jobId);
}

/** Best effort: a simulator that cannot be told keeps computing, and its result is dropped. */
function cancelJob(deps: ApplyDeps, endpoint: string, jobId: string) {
  deps.simulator.cancel(endpoint, jobId).catch((err: unknown) => {
    deps.log.debug({ err, jobId }, "could not cancel the job on the simulator");
  });
}

async function simulate(
  deps: ApplyDeps,
  t: RunTarget,
  action: Extract<Action, { type: "launch" }>,
  signal: AbortSignal,
) {
  const { metrics } = deps;
  const started = performance.now();
  metrics.inFlight.inc();
  const polling = pollProgress(deps, t, action.request.jobId);
  try {
    const outcome = await deps.simulator.simulate(
      t.platform?.endpoint ?? "",
      action.request,
      signal,
    );
    metrics.executions.inc({ outcome: outcome.kind });
    if (outcome.kind === "ok") {
      metrics.executionSeconds.observe((performance.now() - started) / 1000);
    }
    if (outcome.kind === "failed" && t.platform)
      cancelJob(deps, t.platform.endpoint, action.request.jobId);
    return outcome;
  } finally {
    clearInterval(polling);
    metrics.inFlight.dec();
  }
}

/** Asks the simulator how far the job is, every progressIntervalMs while the request is in flight. */
function pollProgress(deps: ApplyDeps, t: RunTarget, jobId: string) {
  const endpoint = t.platform?.endpoint ?? "";
  const timer = setInterval(() => {
    deps.simulator.job(endpoint, jobId).then(
      (progress) => {
        if (progress?.state === "running") deps.executions.setProgress(t.runKey, progress);
      },
      (err: unknown) => deps.log.debug({ err, jobId }, "could not read the job's progress"),
    );
  }, deps.progressIntervalMs);
  timer.unref();
  return timer;
}
