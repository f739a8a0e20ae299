/**
 * The platform controller's vocabulary: condition types, condition reasons
 * and Event reasons, all CamelCase, as `kubectl describe` shows them.
 */
import { ServeConfigErrorReasons, ServeConfigNoteReasons } from "./serve-config.ts";

export const ConditionTypes = {
  /** Summary for generic tooling (kstatus, Argo CD, Flux). */
  Ready: "Ready",
  /** The RayService's serveConfigV2 holds the platform's bounds. */
  ServeConfigApplied: "ServeConfigApplied",
} as const;

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
} as const;
export type ConditionReason = (typeof ConditionReasons)[keyof typeof ConditionReasons];

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
