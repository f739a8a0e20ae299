/**
 * The platform controller's vocabulary: condition types, condition reasons
 * and Event reasons, all CamelCase, as `kubectl describe` shows them.
 */

export const ConditionTypes = {
  /** Summary for generic tooling (kstatus, Argo CD, Flux): applied, and the RayService ready. */
  Ready: "Ready",
  /** The RayService's serveConfigV2 holds the platform's bounds. */
  ServeConfigApplied: "ServeConfigApplied",
} as const;

/** Why the serve config could not be edited; reported by serve-config.ts. */
export const ServeConfigErrorReasons = {
  /** Not YAML, not a serve config, or no in-place edit exists (anchors, aliases, flow maps...). */
  InvalidServeConfig: "InvalidServeConfig",
  ApplicationNotFound: "ApplicationNotFound",
  DeploymentNotFound: "DeploymentNotFound",
} as const;
export type ServeConfigErrorReason =
  (typeof ServeConfigErrorReasons)[keyof typeof ServeConfigErrorReasons];

export const ConditionReasons = {
  Applied: "Applied",
  RayServiceNotFound: "RayServiceNotFound",
  ...ServeConfigErrorReasons,
  /** The RayService changed between our read and our write (HTTP 409). */
  Conflict: "Conflict",
  /** The spec fails the controller's own validation (zod), e.g. an object admitted before a rule. */
  InvalidBounds: "InvalidBounds",
  /** An older platform already manages the same deployment; two would fight. */
  DuplicateTarget: "DuplicateTarget",
  /** Ready only: the bounds are applied, but the RayService does not report itself ready. */
  RayServiceNotReady: "RayServiceNotReady",
} as const;
export type ConditionReason = (typeof ConditionReasons)[keyof typeof ConditionReasons];

/** Event reasons of the clean-ups made beside the bounds. */
export const ServeConfigNoteReasons = {
  /** A removed Ray Serve key was renamed to (or dropped in favour of) its current name. */
  RemovedFieldReplaced: "RemovedFieldReplaced",
  /** `num_replicas` was removed because it may not stand beside `autoscaling_config`. */
  NumReplicasRemoved: "NumReplicasRemoved",
  /** An `initial_replicas` the platform does not set was moved into the new bounds. */
  InitialReplicasClamped: "InitialReplicasClamped",
} as const;
export type ServeConfigNoteReason =
  (typeof ServeConfigNoteReasons)[keyof typeof ServeConfigNoteReasons];

export const EventReasons = {
  /** The bounds were written because the platform (or the RayService's arrival) asked for them. */
  ServeConfigUpdated: "ServeConfigUpdated",
  /** The RayService had been edited away from bounds already applied; they were restored. */
  DriftCorrected: "DriftCorrected",
  ...ServeConfigNoteReasons,
} as const;

/** Names the controller in logs and metric labels (the lower-case kind, as controller-runtime does). */
export const CONTROLLER_NAME = "montecarloplatform";

/**
 * Names the writer in managedFields and Events: its own name, so that Argo
 * CD's `managedFieldsManagers` can single out the platform's writes.
 */
export const FIELD_MANAGER = "montecarlo-platform";
