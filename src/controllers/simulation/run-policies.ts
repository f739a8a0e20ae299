// The run's state machine: a chain of small policies over one generation's
// row and its in-memory execution, first match wins, in the order of
// decideRun. Pure.

import type { Progress } from "../../api/simulation.ts";
import { failureDelayMs, retryTime, unavailableDelayMs, waitRecheckMs } from "./backoff.ts";
import type { Action, ActiveObservation, Phase } from "./decide.ts";
import { buildEngineRequest } from "./engine-request.ts";
import type { RetryGate } from "./executions.ts";
import type { JobProgress, RunRow, SimulateOutcome } from "./ports.ts";
import { Reason } from "./reasons.ts";
import { EngineResult } from "./result-summary.ts";

export interface RunDecision {
  readonly phase: Phase;
  readonly reason: Reason;
  readonly message: string;
  /** The engine result to summarise in status (Succeeded only). */
  readonly result?: EngineResult;
  readonly reusedFromJobId?: string;
  readonly progress?: Progress;
  readonly actions: readonly Action[];
  readonly requeueAfterMs?: number;
  /** Publish no status yet; decide again after this long (FIRST_STATUS_DELAY_MS). */
  readonly quietMs?: number;
}

/**
 * A run publishes nothing for its first second: most small runs end sooner,
 * and their one status write is the result (the Job controller batches the
 * pod events behind a Job's status the same way, its syncJobBatchPeriod being
 * 1 s). A run still going after that is published `Running`. It applies to
 * a simulation with no status yet and to one `Pending` in this generation
 * (it waited for a slot); a spec change replaces the status of the older
 * generation at once, and so does a retry, whose first submission is older
 * than a second.
 */
export const FIRST_STATUS_DELAY_MS = 1000;

export type RunObservation = ActiveObservation & { readonly row: RunRow };

export function decideRun(o: RunObservation): RunDecision {
  return (
    fromTerminalRow(o) ??
    fromSettledExecution(o) ??
    fromDeadline(o) ??
    fromReusable(o) ??
    fromRunningExecution(o) ??
    fromRetryGate(o) ??
    fromConcurrency(o) ??
    submit(o)
  );
}

const KNOWN_REASONS: ReadonlySet<string> = new Set(Object.values(Reason));

function fromTerminalRow(o: RunObservation): RunDecision | undefined {
  // A row made terminal elsewhere (the orphan sweep, another replica) ends any execution.
  const abort: Action[] = o.execution ? [{ type: "abort", cancel: true }] : [];
  switch (o.row.status) {
    case "completed":
      return succeeded(o.row.result, abort, Reason.Completed, "the simulation completed");
    case "failed": {
      const reason = o.row.failureReason ?? "";
      return {
        phase: "Failed",
        reason: KNOWN_REASONS.has(reason) ? (reason as Reason) : Reason.BackoffLimitExceeded,
        message: o.row.error ?? "the simulation failed",
        actions: abort,
      };
    }
    case "cancelled":
      return {
        phase: "Failed",
        reason: Reason.Cancelled,
        message: "the run was cancelled",
        actions: abort,
      };
    default:
      return undefined;
  }
}

function fromSettledExecution(o: RunObservation): RunDecision | undefined {
  const outcome = o.execution?.state === "settled" ? o.execution.outcome : undefined;
  return outcome ? settledOutcome(o, outcome) : undefined;
}

function settledOutcome(o: RunObservation, outcome: SimulateOutcome): RunDecision {
  const release = { type: "release" } as const;
  switch (outcome.kind) {
    case "ok":
      // Validated by the simulator client as it arrived.
      return succeededWith(
        outcome.result,
        [
          { type: "complete", result: outcome.result },
          release,
          { type: "setGate", gate: undefined },
        ],
        Reason.Completed,
        "the simulation completed",
      );
    case "rejected":
      return failed(Reason.InvalidSpec, `the simulator rejected the request: ${outcome.message}`, [
        release,
      ]);
    case "failed":
      return failedExecution(o, outcome.message);
    case "unavailable": {
      const streak = (o.gate?.streak ?? 0) + 1;
      const atMs = o.now.getTime() + unavailableDelayMs(streak, o.random);
      return gated(
        o,
        { type: "markPending" },
        {
          atMs,
          streak,
          reason: Reason.BackendUnavailable,
          message: `the simulator at ${o.admission.platform.endpoint} is unavailable (${outcome.message}); attempt ${streak}, next at ${retryTime(atMs)}`,
        },
      );
    }
  }
}

/** A failed execution (error, bad answer, no answer in time) counts against backoffLimit. */
function failedExecution(o: RunObservation, message: string): RunDecision {
  const failures = o.row.failures + 1;
  const limit = o.admission.spec.backoffLimit;
  if (failures > limit) {
    return failed(
      Reason.BackoffLimitExceeded,
      `${failures} failed executions, backoffLimit ${limit}; last: ${message}`,
      [{ type: "recordFailure", message }, { type: "release" }],
    );
  }
  const atMs = o.now.getTime() + failureDelayMs(failures, o.random);
  return gated(
    o,
    { type: "recordFailure", message },
    {
      atMs,
      streak: 0,
      reason: Reason.RetryBackoff,
      message: `execution ${failures} of at most ${limit + 1} failed (${message}); next attempt at ${retryTime(atMs)}`,
    },
  );
}

function gated(o: RunObservation, persist: Action, gate: RetryGate): RunDecision {
  return {
    phase: "Pending",
    reason: gate.reason,
    message: gate.message,
    actions: [persist, { type: "release" }, { type: "setGate", gate }],
    requeueAfterMs: gate.atMs - o.now.getTime(),
  };
}

/** Seconds the run may take from its first submission, or undefined for no deadline. */
export function deadlineSeconds(o: Pick<RunObservation, "admission">): number | undefined {
  return (
    o.admission.spec.activeDeadlineSeconds ??
    o.admission.platform.spec.limits.defaultActiveDeadlineSeconds
  );
}

/** How long until the deadline; undefined without a deadline or before the first submission. */
function deadlineLeftMs(o: RunObservation, startedAt: Date | null): number | undefined {
  const seconds = deadlineSeconds(o);
  if (seconds === undefined || startedAt === null) return undefined;
  return startedAt.getTime() + seconds * 1000 - o.now.getTime();
}

function fromDeadline(o: RunObservation): RunDecision | undefined {
  const left = deadlineLeftMs(o, o.row.startedAt);
  if (left === undefined || left > 0) return undefined;
  return failed(
    Reason.DeadlineExceeded,
    `the run did not finish within ${deadlineSeconds(o)} seconds of its first submission (activeDeadlineSeconds)`,
    o.execution ? [{ type: "abort", cancel: true }] : [],
  );
}

function fromReusable(o: RunObservation): RunDecision | undefined {
  const reusable = o.reusable;
  if (!reusable || o.execution) return undefined;
  const decision = succeeded(
    reusable.result,
    [{ type: "complete", result: reusable.result }],
    Reason.ResultReused,
    `reused the result of run ${reusable.id}: identical request, seed and engine version`,
  );
  return decision.phase === "Succeeded" ? { ...decision, reusedFromJobId: reusable.id } : undefined;
}

function fromRunningExecution(o: RunObservation): RunDecision | undefined {
  const state = o.execution?.state;
  if (state !== "running" && state !== "starting") return undefined;
  return running(o, o.row.startedAt);
}

function fromRetryGate(o: RunObservation): RunDecision | undefined {
  if (!o.gate || o.gate.atMs <= o.now.getTime()) return undefined;
  return {
    phase: "Pending",
    reason: o.gate.reason,
    message: o.gate.message,
    actions: [],
    requeueAfterMs: o.gate.atMs - o.now.getTime(),
  };
}

function fromConcurrency(o: RunObservation): RunDecision | undefined {
  const limit = o.admission.platform.spec.limits.maxConcurrentRuns;
  if (o.inFlight < limit) return undefined;
  return {
    phase: "Pending",
    reason: Reason.ConcurrencyLimitReached,
    // No count in the message: it would change, and so write, at every reconcile.
    message: `waiting for a free slot on MonteCarloPlatform ${o.admission.platform.name} (limits.maxConcurrentRuns ${limit})`,
    actions: [{ type: "wait" }],
    requeueAfterMs: waitRecheckMs(o.random),
  };
}

function submit(o: RunObservation): RunDecision {
  const startedAt = o.row.startedAt ?? o.now;
  const request = buildEngineRequest(o.admission.spec, o.row.id, o.admission.seed);
  return {
    ...running(o, startedAt),
    actions: [
      { type: "reserve" },
      { type: "markStarted", at: startedAt },
      {
        type: "launch",
        request,
        row: { ...o.row, status: "running", attempts: o.row.attempts + 1, startedAt },
      },
    ],
  };
}

/**
 * One message for the whole Running phase, so that reconciles in it write
 * nothing; only the progress of a long run changes, as often as it is polled.
 */
function running(o: RunObservation, startedAt: Date | null): RunDecision {
  const left = deadlineLeftMs(o, startedAt);
  const progress = o.execution?.progress ? progressOf(o.execution.progress) : undefined;
  const quiet = quietMs(o, startedAt);
  return {
    phase: "Running",
    reason: Reason.Running,
    message: `running on ${o.admission.platform.endpoint}`,
    actions: [],
    ...(progress ? { progress } : {}),
    ...(left !== undefined ? { requeueAfterMs: left } : {}),
    ...(quiet !== undefined ? { quietMs: quiet } : {}),
  };
}

/** How long a run stays unpublished (FIRST_STATUS_DELAY_MS). */
function quietMs(o: RunObservation, startedAt: Date | null): number | undefined {
  const shown = o.sim.status;
  const held =
    shown?.observedGeneration === undefined ||
    (shown.observedGeneration === o.sim.metadata.generation && shown.phase === "Pending");
  if (!held || startedAt === null) return undefined;
  const left = startedAt.getTime() + FIRST_STATUS_DELAY_MS - o.now.getTime();
  return left > 0 ? left : undefined;
}

/**
 * Percent done, and the end at the rate so far (none before the first path
 * is done), both from the report alone: a reconcile between two reports
 * computes the same status and writes nothing.
 */
export function progressOf(job: JobProgress): Progress {
  const { pathsDone, pathsTotal } = job;
  const fraction = pathsTotal > 0 ? Math.min(1, pathsDone / pathsTotal) : 0;
  const elapsedMs = Math.max(0, job.observedAt.getTime() - job.startTime.getTime());
  const eta = fraction > 0 ? new Date(job.startTime.getTime() + elapsedMs / fraction) : undefined;
  return {
    percent: Math.floor(fraction * 100),
    pathsDone,
    pathsTotal,
    ...(eta
      ? { estimatedCompletionTime: new Date(Math.ceil(eta.getTime() / 1000) * 1000).toISOString() }
      : {}),
  };
}

function succeeded(
  result: unknown,
  actions: readonly Action[],
  reason: Reason,
  message: string,
): RunDecision {
  const parsed = EngineResult.safeParse(result);
  if (!parsed.success) {
    return failed(
      Reason.InvalidResult,
      `the stored result is not a simulator result: ${parsed.error.message}`,
      actions.filter((a) => a.type !== "complete"),
    );
  }
  return succeededWith(parsed.data, actions, reason, message);
}

function succeededWith(
  result: EngineResult,
  actions: readonly Action[],
  reason: Reason,
  message: string,
): RunDecision {
  return { phase: "Succeeded", reason, message, result, actions };
}

function failed(reason: Reason, message: string, actions: readonly Action[]): RunDecision {
  return {
    phase: "Failed",
    reason,
    message,
    actions: [...actions, { type: "fail", reason, message }],
  };
}
