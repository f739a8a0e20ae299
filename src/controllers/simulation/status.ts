// Builds the status a reconcile wants from its decision. Pure; the shell
// writes it only when it differs from the stored one.
import { type Condition, type ConditionInput, setCondition } from "../../api/conditions.ts";
import type { Progress, SimulationStatus } from "../../api/simulation.ts";
import { boundedMessage } from "../../api/status-equality.ts";
import type { Phase } from "./decide.ts";
import { ConditionType, Reason } from "./reasons.ts";
import { type EngineResult, summarize } from "./result-summary.ts";

export interface StatusInput {
  readonly generation: number;
  readonly phase: Phase;
  readonly reason: Reason;
  readonly message: string;
  /** Spec and platform passed the controller's checks. */
  readonly accepted: boolean;
  readonly run?: {
    readonly id: string;
    readonly seed: number;
    readonly attempts: number;
    /** First submission; null before it. */
    readonly startedAt: Date | null;
    readonly completedAt: Date | null;
  };
  readonly result?: EngineResult;
  readonly reusedFromJobId?: string;
  /** A long run's progress (Running only). */
  readonly progress?: Progress;
  readonly now: Date;
}

const acceptedCondition = (s: StatusInput): Omit<ConditionInput, "observedGeneration"> => {
  if (s.accepted) {
    return {
      type: ConditionType.Accepted,
      status: "True",
      reason: Reason.Validated,
      message: "spec accepted",
    };
  }
  return {
    type: ConditionType.Accepted,
    status: s.phase === "Failed" ? "False" : "Unknown",
    reason: s.reason,
    message: s.message,
  };
};

function submittedCondition(s: StatusInput): Omit<ConditionInput, "observedGeneration"> {
  const submitted = s.phase === "Running" || (s.phase !== "Pending" && (s.run?.attempts ?? 0) > 0);
  return submitted
    ? {
        type: ConditionType.Submitted,
        status: "True",
        reason: Reason.Submitted,
        message: "sent to the simulator",
      }
    : { type: ConditionType.Submitted, status: "False", reason: s.reason, message: s.message };
}

export function buildStatus(
  previous: SimulationStatus | undefined,
  input: StatusInput,
): SimulationStatus {
  const s = { ...input, message: boundedMessage(input.message) };
  const sameGeneration = previous?.observedGeneration === s.generation;
  let conditions: Condition[] = sameGeneration ? [...(previous?.conditions ?? [])] : [];
  const terminal = s.phase === "Succeeded" || s.phase === "Failed";
  const entries: Omit<ConditionInput, "observedGeneration">[] = [
    acceptedCondition(s),
    submittedCondition(s),
    s.phase === "Succeeded"
      ? { type: ConditionType.Succeeded, status: "True", reason: s.reason, message: s.message }
      : { type: ConditionType.Succeeded, status: "False", reason: s.reason, message: s.message },
    s.phase === "Failed"
      ? { type: ConditionType.Failed, status: "True", reason: s.reason, message: s.message }
      : { type: ConditionType.Failed, status: "False", reason: s.reason, message: s.message },
    s.phase === "Succeeded"
      ? { type: ConditionType.Ready, status: "True", reason: s.reason, message: s.message }
      : { type: ConditionType.Ready, status: "False", reason: s.reason, message: s.message },
  ];
  for (const c of entries) {
    conditions = setCondition(conditions, { ...c, observedGeneration: s.generation }, s.now);
  }
  const previousCompletion = sameGeneration ? previous?.completionTime : undefined;
  const status: SimulationStatus = {
    observedGeneration: s.generation,
    phase: s.phase,
    conditions,
    ...(s.run
      ? {
          jobId: s.run.id,
          seed: s.run.seed,
          attempts: s.run.attempts,
          ...(s.run.startedAt ? { startTime: s.run.startedAt.toISOString() } : {}),
        }
      : {}),
    ...(s.progress && s.phase === "Running" ? { progress: s.progress } : {}),
    ...(terminal
      ? { completionTime: previousCompletion ?? (s.run?.completedAt ?? s.now).toISOString() }
      : {}),
    ...(s.result
      ? {
          result: {
            ...summarize(s.result),
            ...(s.reusedFromJobId ? { reusedFromJobId: s.reusedFromJobId } : {}),
          },
        }
      : {}),
    message: s.message,
  };
  return status;
}

/** Terminal for the current generation: never re-run by a restart, resync or relist. */
export function isTerminal(status: SimulationStatus | undefined, generation: number): boolean {
  if (status?.observedGeneration !== generation) return false;
  return (
    status.conditions?.some(
      (c) =>
        (c.type === ConditionType.Succeeded || c.type === ConditionType.Failed) &&
        c.status === "True",
    ) ?? false
  );
}
