// Condition and Event reasons of MonteCarloSimulation (CamelCase, stable:
// users and alerts match on them).
export const Reason = {
  Validated: "Validated",
  InvalidSpec: "InvalidSpec",
  PlatformNotFound: "PlatformNotFound",
  InvalidPlatform: "InvalidPlatform",
  DatabaseUnavailable: "DatabaseUnavailable",
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

export const ConditionType = {
  Accepted: "Accepted",
  Submitted: "Submitted",
  Succeeded: "Succeeded",
  Failed: "Failed",
  Ready: "Ready",
} as const;

export const FINALIZER = "montecarlo.vatic.io/finalizer";
