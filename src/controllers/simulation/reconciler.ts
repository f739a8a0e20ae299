// The imperative shell of the simulation controller: fetch -> deletion and
// finalizer -> terminal short-circuit -> admission -> the SimulationJob row
// (intent recorded before any submission) -> decide -> act -> one status
// write, only when it changed.
import type { Logger } from "pino";
import { findCondition } from "../../api/conditions.ts";
import type { SimulationStatus } from "../../api/simulation.ts";
import type { ReconcileResult } from "../../runtime/controller.ts";
import { errorReason, TransientError } from "../../runtime/errors.ts";
import { type Admitted, admit } from "./admit.ts";
import { decideRun, type RunAction, type RunDecision } from "./decide.ts";
import { buildEngineRequest, engineInputs } from "./engine-request.ts";
import type { Executions } from "./executions.ts";
import type { SimulationMetrics } from "./metrics.ts";
import { type PlatformObject, platformNameOf, type SimulationObject } from "./objects.ts";
import type {
  KubeEvent,
  RunRow,
  SimulationRef,
  SimulationStore,
  SimulationWriter,
  SimulatorClient,
} from "./ports.ts";
import { ConditionType, FINALIZER, Reason } from "./reasons.ts";
import { buildStatus, isTerminal, type StatusInput, statusEquals } from "./status.ts";

/** After this long, a deleted simulation loses its finalizer even if the database is down. */
const FINALIZE_GRACE_MS = 60_000;
/** Re-check a simulation waiting for its platform this often (platform events also wake it). */
const PLATFORM_WAIT_MS = 30_000;

export interface SimulationReconcilerDeps {
  readonly getSimulation: (key: string) => SimulationObject | undefined;
  readonly getPlatform: (name: string) => PlatformObject | undefined;
  readonly store: SimulationStore;
  readonly simulator: SimulatorClient;
  readonly writer: SimulationWriter;
  readonly executions: Executions;
  readonly metrics: SimulationMetrics;
  readonly now: () => Date;
  readonly random: () => number;
}

export function refOf(sim: SimulationObject): SimulationRef {
  const { namespace, name, uid, resourceVersion } = sim.metadata;
  return { namespace, name, uid, resourceVersion };
}

export const runKeyOf = (sim: SimulationObject) => `${sim.metadata.uid}/${sim.metadata.generation}`;

const WARNING_REASONS = new Set<string>([
  Reason.InvalidSpec,
  Reason.PlatformNotFound,
  Reason.InvalidPlatform,
  Reason.DatabaseUnavailable,
  Reason.BackendUnavailable,
  Reason.RetryBackoff,
  Reason.BackoffLimitExceeded,
  Reason.DeadlineExceeded,
  Reason.InvalidResult,
]);

export function createSimulationReconciler(deps: SimulationReconcilerDeps) {
  const { store, writer, executions, metrics } = deps;

  async function finalize(
    sim: SimulationObject,
    log: Logger,
  ): Promise<ReconcileResult | undefined> {
    const ref = refOf(sim);
    executions.abortOthers(`${ref.namespace}/${ref.name}`);
    if (!sim.metadata.finalizers?.includes(FINALIZER)) return undefined;
    try {
      const cancelled = await store.cancelAll(ref.uid);
      if (cancelled > 0) log.info({ cancelled }, "cancelled unfinished runs");
    } catch (err) {
      const deletedAt = Date.parse(sim.metadata.deletionTimestamp ?? "");
      if (deps.now().getTime() - deletedAt < FINALIZE_GRACE_MS) throw err;
      // Never hang a deletion: the row stays pending/running and says so.
      log.warn({ err }, "could not cancel runs; removing the finalizer anyway");
      await emit(
        ref,
        {
          type: "Warning",
          reason: "CancelFailed",
          message: `runs of this simulation could not be marked cancelled: ${errorReason(err)}`,
        },
        log,
      );
    }
    await writer.setFinalizers(
      ref,
      sim.metadata.finalizers.filter((f) => f !== FINALIZER),
    );
    return undefined;
  }

  async function emit(ref: SimulationRef, event: KubeEvent, log: Logger) {
    await writer.recordEvent(ref, event).catch((err: unknown) => {
      log.warn({ err, reason: event.reason }, "could not record event");
    });
  }

  /** Writes status when it changed, with an Event when the phase or reason did. */
  async function publish(sim: SimulationObject, status: SimulationStatus, log: Logger) {
    const previous = sim.status;
    if (statusEquals(previous, status)) return;
    const ref = refOf(sim);
    await writer.replaceStatus(ref, status);
    metrics.statusWrites.inc();
    const before = findCondition(previous?.conditions, ConditionType.Ready);
    const after = findCondition(status.conditions, ConditionType.Ready);
    const changed =
      previous?.observedGeneration !== status.observedGeneration ||
      before?.reason !== after?.reason ||
      previous?.phase !== status.phase;
    if (changed && after) {
      log.info(
        { phase: status.phase, reason: after.reason, generation: status.observedGeneration },
        after.message,
      );
      if (status.phase === "Succeeded" || status.phase === "Failed") {
        metrics.terminal.inc({ phase: status.phase, reason: after.reason });
      }
      await emit(
        ref,
        {
          type: WARNING_REASONS.has(after.reason) ? "Warning" : "Normal",
          reason: after.reason,
          message: after.message,
        },
        log,
      );
    }
  }

  async function execute(
    actions: readonly RunAction[],
    sim: SimulationObject,
    admission: Admitted,
    run: RunRow,
  ) {
    const runKey = runKeyOf(sim);
    const key = `${sim.metadata.namespace}/${sim.metadata.name}`;
    for (const action of actions) {
      switch (action.type) {
        case "submit": {
          await store.markStarted(run.id);
          const request = buildEngineRequest(admission.spec, run.id, admission.seed);
          const endpoint = admission.platform.endpoint;
          executions.start(runKey, key, admission.platform.name, async (signal) => {
            const started = performance.now();
            metrics.inFlight.inc();
            try {
              const outcome = await deps.simulator.simulate(endpoint, request, signal);
              metrics.executions.inc({ outcome: outcome.kind });
              if (outcome.kind === "ok") {
                metrics.executionSeconds.observe({}, (performance.now() - started) / 1000);
              }
              return outcome;
            } finally {
              metrics.inFlight.dec();
            }
          });
          break;
        }
        case "complete":
          await store.complete(run.id, action.result);
          break;
        case "recordFailure":
          await store.recordFailure(run.id, action.message);
          break;
        case "fail":
          executions.abort(runKey);
          await store.fail(run.id, action.reason, action.message);
          break;
        case "abort":
          executions.abort(runKey);
          break;
        case "clearExecution":
          executions.clear(runKey);
          break;
        case "setGate":
          executions.setGate(runKey, action.gate);
          break;
      }
    }
  }

  return async function reconcile(
    key: string,
    { log }: { log: Logger },
  ): Promise<ReconcileResult | undefined> {
    const sim = deps.getSimulation(key);
    if (!sim) {
      executions.abortOthers(key);
      return undefined;
    }
    if (sim.metadata.deletionTimestamp) return finalize(sim, log);
    const ref = refOf(sim);
    if (!sim.metadata.finalizers?.includes(FINALIZER)) {
      // The update event of this write brings the object back with the finalizer.
      await writer.setFinalizers(ref, [...(sim.metadata.finalizers ?? []), FINALIZER]);
      return undefined;
    }
    const generation = sim.metadata.generation;
    const runKey = runKeyOf(sim);
    executions.abortOthers(key, runKey);
    if (isTerminal(sim.status, generation)) return undefined;

    const now = deps.now();
    const status = (input: Omit<StatusInput, "generation" | "now">) =>
      buildStatus(sim.status, { ...input, generation, now });

    const admission = admit(sim.spec, deps.getPlatform(platformNameOf(sim)));
    if (!admission.admitted) {
      await publish(sim, status({ ...admission, accepted: false }), log);
      return admission.phase === "Pending" ? { requeueAfterMs: PLATFORM_WAIT_MS } : undefined;
    }

    let decision: RunDecision;
    let run: RunRow | undefined;
    try {
      run = await store.ensureRun({
        namespace: ref.namespace,
        name: ref.name,
        uid: ref.uid,
        generation,
        assessmentId: admission.spec.assessmentId,
        fundedAccountId: admission.spec.fundedAccountId,
        inputData: { ...engineInputs(admission.spec), seed: admission.seed },
        requestHash: admission.requestHash,
        seed: admission.seed,
      });
      const active = run.status === "pending" || run.status === "running";
      const execution = executions.get(runKey);
      decision = decideRun({
        admission,
        run,
        reusable:
          active && !execution ? await store.findReusable(run.requestHash, run.id) : undefined,
        execution,
        gate: executions.gate(runKey),
        runningOnPlatform:
          executions.running(admission.platform.name) - (execution?.state === "running" ? 1 : 0),
        nowMs: now.getTime(),
        random: deps.random(),
      });
      await execute(decision.actions, sim, admission, run);
    } catch (err) {
      if (errorReason(err) !== Reason.DatabaseUnavailable) throw err;
      // Report the wait on the object, then let the queue back off.
      await publish(
        sim,
        status({
          phase: "Pending",
          reason: Reason.DatabaseUnavailable,
          message: (err as Error).message,
          accepted: true,
          ...(run ? { run: { ...run } } : {}),
        }),
        log,
      );
      throw err instanceof TransientError
        ? err
        : new TransientError(Reason.DatabaseUnavailable, String(err));
    }

    const terminal = decision.phase === "Succeeded" || decision.phase === "Failed";
    if (terminal) {
      executions.abort(runKey);
      executions.setGate(runKey, undefined);
    }
    const submitted = decision.actions.some((a) => a.type === "submit");
    await publish(
      sim,
      status({
        ...decision,
        accepted: true,
        run: { ...run, attempts: run.attempts + (submitted ? 1 : 0) },
      }),
      log,
    );
    return decision.requeueAfterMs !== undefined && !terminal
      ? { requeueAfterMs: Math.max(1, Math.ceil(decision.requeueAfterMs)) }
      : undefined;
  };
}
