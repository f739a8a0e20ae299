// The vocabulary of MonteCarloSimulation: condition types, condition reasons
// and Event reasons (CamelCase, stable: users and alerts match on them).
export const Reason = {
  Validated: "Validated",
  InvalidSpec: "InvalidSpec",
  PlatformNotFound: "PlatformNotFound",
  InvalidPlatform: "InvalidPlatform",
  DatabaseUnavailable: "DatabaseUnavailable",
  DatabaseError: "DatabaseError",
  BackendUnavailable: "BackendUnavailable",
  ConcurrencyLimitReached: "ConcurrencyLimitReached",
  RetryBackoff: "RetryBackoff",
  Submitted: "Submitted",
  Running: "Running",
  Completed: "Completed",
  ResultReused: "ResultReused",
  InvalidResult: "InvalidResult",
  BackoffLimitExceeded: "BackoffLimitExceeded",
  DeadlineExceeded: "DeadlineExceeded",
  Cancelled: "Cancelled",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Events that are not a condition's reason. */
export const EventReason = {
  /** Deleting with the database down: the rows could not be marked cancelled. */
  CancelFailed: "CancelFailed",
  /** ttlSecondsAfterFinished passed: the object is deleted, its rows stay. */
  TTLExpired: "TTLExpired",
} as const;

/** Reasons whose Events are Warnings; the rest are Normal. */
export const WARNING_REASONS: ReadonlySet<string> = new Set<string>([
  Reason.InvalidSpec,
  Reason.PlatformNotFound,
  Reason.InvalidPlatform,
  Reason.DatabaseUnavailable,
  Reason.DatabaseError,
  Reason.BackendUnavailable,
  Reason.RetryBackoff,
  Reason.BackoffLimitExceeded,
  Reason.DeadlineExceeded,
  Reason.InvalidResult,
  EventReason.CancelFailed,
]);

export const ConditionType = {
  Accepted: "Accepted",
  Submitted: "Submitted",
  Succeeded: "Succeeded",
  Failed: "Failed",
  Ready: "Ready",
} as const;

export const FINALIZER = "montecarlo.vatic.io/finalizer";
