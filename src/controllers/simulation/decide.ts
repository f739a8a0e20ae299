// The pure core of the simulation reconciler: from what was observed (the
// object's generation and status, its SimulationJob row, the in-memory
// execution and retry gate, the clock) to what to do and what the status
// says. A chain of small policies, first match wins, in the order below.
import type { SimulationSpec } from "../../api/simulation.ts";
import type { Admitted } from "./admit.ts";
import type { ExecutionSnapshot, RetryGate } from "./executions.ts";
import type { RunRow } from "./ports.ts";
import { Reason } from "./reasons.ts";
import { EngineResult } from "./result-summary.ts";

export type Phase = "Pending" | "Running" | "Succeeded" | "Failed";

export type RunAction =
  | { readonly type: "submit" }
  /** Persist the full result in the row (from this execution or a reused row). */
  | { readonly type: "complete"; readonly result: unknown }
  | { readonly type: "recordFailure"; readonly message: string }
  | { readonly type: "fail"; readonly reason: Reason; readonly message: string }
  | { readonly type: "abort" }
  /** Forget the settled execution (its outcome is being persisted now). */
  | { readonly type: "clearExecution" }
  | { readonly type: "setGate"; readonly gate: RetryGate | undefined };

export interface RunDecision {
  readonly phase: Phase;
  readonly reason: Reason;
  readonly message: string;
  /** The engine result to summarise in status (Succeeded only). */
  readonly result?: EngineResult;
  readonly reusedFromJobId?: string;
  readonly actions: readonly RunAction[];
  readonly requeueAfterMs?: number;
}

export interface RunObservation {
  readonly admission: Admitted;
  readonly run: RunRow;
  readonly reusable: RunRow | undefined;
  readonly execution: ExecutionSnapshot | undefined;
  readonly gate: RetryGate | undefined;
  /** Executions in flight on the platform, this one excluded. */
  readonly runningOnPlatform: number;
  readonly nowMs: number;
  /** Uniform [0, 1) for jitter; injected to keep this pure. */
  readonly random: number;
}

/** Waiting for an unreachable backend: 5 s doubling to 5 min, +0-50% jitter. */
export function unavailableDelayMs(streak: number, random: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, streak - 1), 300_000) * (1 + 0.5 * random);
}

/** After a failed execution: 10 s doubling to 6 min, as the Job controller does, +0-50% jitter. */
export function failureDelayMs(failures: number, random: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, failures - 1), 360_000) * (1 + 0.5 * random);
}

/** An absolute time in messages: a relative one would change the status at every reconcile. */
const retryTime = (ms: number) => new Date(Math.ceil(ms / 1000) * 1000).toISOString();

/** How long until the deadline, or undefined when the spec sets none. */
function deadlineLeftMs(spec: SimulationSpec, run: RunRow, nowMs: number): number | undefined {
  if (spec.activeDeadlineSeconds === undefined) return undefined;
  return run.createdAt.getTime() + spec.activeDeadlineSeconds * 1000 - nowMs;
}

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

function fromTerminalRow({ run }: RunObservation): RunDecision | undefined {
  switch (run.status) {
    case "completed":
      return succeeded(run.result, [], Reason.Completed, "the simulation completed");
    case "failed": {
      const [reason, ...rest] = (run.error ?? "").split(": ");
      const known = Object.values(Reason).find((r) => r === reason);
      return {
        phase: "Failed",
        reason: known ?? Reason.BackoffLimitExceeded,
        message: known ? rest.join(": ") : (run.error ?? "the simulation failed"),
        actions: [],
      };
    }
    case "cancelled":
      return {
        phase: "Failed",
        reason: Reason.Cancelled,
        message: "the run was cancelled",
        actions: [],
      };
    default:
      return undefined;
  }
}

function fromSettledExecution(o: RunObservation): RunDecision | undefined {
  const outcome = o.execution?.state === "settled" ? o.execution.outcome : undefined;
  if (!outcome) return undefined;
  const clear = { type: "clearExecution" } as const;
  switch (outcome.kind) {
    case "ok":
      return succeeded(
        outcome.result,
        [{ type: "complete", result: outcome.result }, clear, { type: "setGate", gate: undefined }],
        Reason.Completed,
        "the simulation completed",
      );
    case "rejected":
      return failed(Reason.InvalidSpec, `the simulator rejected the request: ${outcome.message}`, [
        clear,
      ]);
    case "failed": {
      const failures = o.run.failures + 1;
      const limit = o.admission.spec.backoffLimit;
      if (failures > limit) {
        return failed(
          Reason.BackoffLimitExceeded,
          `${failures} failed executions, backoffLimit ${limit}; last: ${outcome.message}`,
          [clear],
        );
      }
      const delay = failureDelayMs(failures, o.random);
      const gate = {
        atMs: o.nowMs + delay,
        streak: 0,
        reason: Reason.RetryBackoff,
        message: `execution ${failures} of at most ${limit + 1} failed (${outcome.message}); next attempt at ${retryTime(o.nowMs + delay)}`,
      } as const;
      return {
        phase: "Pending",
        reason: gate.reason,
        message: gate.message,
        actions: [
          { type: "recordFailure", message: outcome.message },
          clear,
          { type: "setGate", gate },
        ],
        requeueAfterMs: delay,
      };
    }
    case "unavailable": {
      const streak = (o.gate?.streak ?? 0) + 1;
      const delay = unavailableDelayMs(streak, o.random);
      const gate = {
        atMs: o.nowMs + delay,
        streak,
        reason: Reason.BackendUnavailable,
        message: `the simulator at ${o.admission.platform.endpoint} is unavailable (${outcome.message}); attempt ${streak}, next at ${retryTime(o.nowMs + delay)}`,
      } as const;
      return {
        phase: "Pending",
        reason: gate.reason,
        message: gate.message,
        actions: [clear, { type: "setGate", gate }],
        requeueAfterMs: delay,
      };
    }
  }
}

function fromDeadline(o: RunObservation): RunDecision | undefined {
  const left = deadlineLeftMs(o.admission.spec, o.run, o.nowMs);
  if (left === undefined || left > 0) return undefined;
  return failed(
    Reason.DeadlineExceeded,
    `the run did not finish within activeDeadlineSeconds ${o.admission.spec.activeDeadlineSeconds}`,
    [{ type: "abort" }],
  );
}

function fromReusable({ reusable }: RunObservation): RunDecision | undefined {
  if (!reusable) return undefined;
  const decision = succeeded(
    reusable.result,
    [{ type: "complete", result: reusable.result }],
    Reason.ResultReused,
    `reused the result of run ${reusable.id}: identical request and seed`,
  );
  return decision.phase === "Succeeded" ? { ...decision, reusedFromJobId: reusable.id } : undefined;
}

function fromRunningExecution(o: RunObservation): RunDecision | undefined {
  if (o.execution?.state !== "running") return undefined;
  return running(o);
}

function fromRetryGate(o: RunObservation): RunDecision | undefined {
  if (!o.gate || o.gate.atMs <= o.nowMs) return undefined;
  return {
    phase: "Pending",
    reason: o.gate.reason,
    message: o.gate.message,
    actions: [],
    requeueAfterMs: o.gate.atMs - o.nowMs,
  };
}

function fromConcurrency(o: RunObservation): RunDecision | undefined {
  const limit = o.admission.platform.spec.limits.maxConcurrentRuns;
  if (o.runningOnPlatform < limit) return undefined;
  return {
    phase: "Pending",
    reason: Reason.ConcurrencyLimitReached,
    message: `${o.runningOnPlatform} runs in flight on MonteCarloPlatform ${o.admission.platform.name} (limits.maxConcurrentRuns ${limit})`,
    actions: [],
    requeueAfterMs: 2_000 + 3_000 * o.random,
  };
}

function submit(o: RunObservation): RunDecision {
  return { ...running(o), actions: [{ type: "submit" }] };
}

/** One message for the whole Running phase, so that reconciles in it write nothing. */
function running(o: RunObservation): RunDecision {
  const message = `running on ${o.admission.platform.endpoint}`;
  const left = deadlineLeftMs(o.admission.spec, o.run, o.nowMs);
  return {
    phase: "Running",
    reason: Reason.Running,
    message,
    actions: [],
    ...(left !== undefined ? { requeueAfterMs: left } : {}),
  };
}

function succeeded(
  result: unknown,
  actions: readonly RunAction[],
  reason: Reason,
  message: string,
): RunDecision {
  const parsed = EngineResult.safeParse(result);
  if (!parsed.success) {
    return failed(
      Reason.InvalidResult,
      `the stored result is not a simulator result: ${parsed.error.message}`,
      [...actions.filter((a) => a.type !== "complete")],
    );
  }
  return { phase: "Succeeded", reason, message, result: parsed.data, actions };
}

function failed(reason: Reason, message: string, actions: readonly RunAction[]): RunDecision {
  return {
    phase: "Failed",
    reason,
    message,
    actions: [...actions, { type: "fail", reason, message }],
  };
}
