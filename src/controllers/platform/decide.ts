/**
 * The platform controller's pure core: from the platform, the RayService it
 * names (or its absence) and the time, decide what to write to the
 * RayService, what the platform's status should be, and which Events to
 * record. No I/O; the reconciler carries the decision out.
 */
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { z } from "zod";
import { type Condition, findCondition, setCondition } from "../../api/conditions.ts";
import {
  type AppliedBounds,
  PlatformSpec,
  type PlatformStatus,
  platformEndpoint,
  SERVE_CONFIG_BASE_ANNOTATION,
} from "../../api/platform.ts";
import type { PlatformObject, RayServiceObject } from "./objects.ts";
import { rayServiceHealth } from "./rayservice-health.ts";
import { type ConditionReason, ConditionReasons, ConditionTypes, EventReasons } from "./reasons.ts";
import { editServeConfig, type FieldChange } from "./serve-config.ts";
import type { ServeBounds } from "./serve-keys.ts";

export interface DecideInput {
  platform: PlatformObject;
  /** The RayService the platform names, read just now; undefined when it does not exist. */
  rayService: RayServiceObject | undefined;
  now: Date;
  /** An older platform that already manages the same deployment, if any. */
  claimedBy?: string | undefined;
}

export interface PlannedEvent {
  /** The object the Event is about. */
  regarding: "platform" | "rayService";
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** A serveConfigV2 to write, valid only against the resourceVersion it was computed from. */
export interface ServeConfigWrite {
  namespace: string;
  name: string;
  resourceVersion: string;
  serveConfigV2: string;
}

export interface Decision {
  /** Why the platform is (not) applied: the reason of its conditions. */
  reason: ConditionReason;
  /** Present only when the document differs from what the platform wants. */
  write?: ServeConfigWrite;
  /** The status to hold once the write (if any) has succeeded. */
  status: PlatformStatus;
  /** Events to record once the write (if any) has succeeded. */
  events: PlannedEvent[];
}

export function decide(input: DecideInput): Decision {
  const { platform, rayService } = input;
  const parsed = PlatformSpec.safeParse(platform.spec);
  if (!parsed.success) {
    return notApplied(input, ConditionReasons.InvalidBounds, describeIssues(parsed.error));
  }
  const spec = parsed.data;
  const ref = `${spec.rayService.namespace}/${spec.rayService.name}`;
  if (input.claimedBy) {
    return notApplied(
      input,
      ConditionReasons.DuplicateTarget,
      `platform ${input.claimedBy} already manages deployment ${spec.deployment} of application ${spec.application} in RayService ${ref}`,
      spec,
    );
  }
  if (!rayService || rayService.metadata.deletionTimestamp) {
    return notApplied(
      input,
      ConditionReasons.RayServiceNotFound,
      `RayService ${ref} ${rayService ? "is being deleted" : "not found"}; the bounds are applied when it exists`,
      spec,
    );
  }
  // With a base annotation the platform renders the whole field from it;
  // without one it edits the bounds in place in what is there.
  const base = rayService.metadata.annotations?.[SERVE_CONFIG_BASE_ANNOTATION];
  const live = rayService.spec?.serveConfigV2;
  const source = base ?? live;
  if (typeof source !== "string") {
    return notApplied(
      input,
      ConditionReasons.InvalidServeConfig,
      `RayService ${ref} has no spec.serveConfigV2 and no ${SERVE_CONFIG_BASE_ANNOTATION} annotation`,
      spec,
    );
  }

  return withBounds(input, spec, rayService, { source, base, live });
}

/** Where the document comes from: the base annotation (rendered whole) or serveConfigV2 itself. */
interface SourceDocument {
  source: string;
  base: string | undefined;
  live: string | undefined;
}

/** The platform's bounds edited into the document: its status, and the write with its Events when it differs. */
function withBounds(
  input: DecideInput,
  spec: PlatformSpec,
  rayService: RayServiceObject,
  doc: SourceDocument,
): Decision {
  const ref = `${spec.rayService.namespace}/${spec.rayService.name}`;
  const bounds = serveBounds(spec);
  const edit = editServeConfig(doc.source, spec, bounds);
  const from = doc.base === undefined ? "" : ` (${SERVE_CONFIG_BASE_ANNOTATION})`;
  if (!edit.ok) {
    return notApplied(input, edit.reason, `RayService ${ref}${from}: ${edit.message}`, spec);
  }
  const applied: AppliedBounds = { ...bounds, serveConfigHash: sha256(edit.text) };
  const message = `RayService ${ref} serves ${spec.application}/${spec.deployment} with ${describeBounds(bounds)}`;
  const status = statusWith(input, spec, "True", ConditionReasons.Applied, message, applied);
  if (edit.text === doc.live) return { reason: ConditionReasons.Applied, status, events: [] };

  const drift = doc.live !== undefined && isDrift(input.platform.status?.applied, bounds, doc.live);
  const reason = drift ? EventReasons.DriftCorrected : EventReasons.ServeConfigUpdated;
  const change =
    doc.base !== undefined
      ? `serveConfigV2 of RayService ${ref} from its ${SERVE_CONFIG_BASE_ANNOTATION} annotation with ${describeBounds(bounds)}`
      : edit.changes.length > 0
        ? `${describeChanges(edit.changes)} in ${spec.application}/${spec.deployment} of RayService ${ref}`
        : undefined;
  const verb = doc.base !== undefined ? "rendered" : "set";
  const events: PlannedEvent[] = change
    ? both(
        "Normal",
        reason,
        drift ? `restored ${change} (it had been edited)` : `${verb} ${change}`,
      )
    : [];
  for (const note of edit.notes) {
    events.push(...both("Warning", note.reason, `RayService ${ref}${from}: ${note.message}`));
  }
  const write = {
    namespace: spec.rayService.namespace,
    name: spec.rayService.name,
    resourceVersion: rayService.metadata.resourceVersion ?? "",
    serveConfigV2: edit.text,
  };
  return { reason: ConditionReasons.Applied, write, status, events };
}

/** The status after the guarded write was refused because the RayService changed (409). */
export function conflictStatus(input: DecideInput, message: string): PlatformStatus {
  const parsed = PlatformSpec.safeParse(input.platform.spec);
  return statusWith(
    input,
    parsed.success ? parsed.data : undefined,
    "False",
    ConditionReasons.Conflict,
    `the RayService changed while its serveConfigV2 was being written; retrying: ${message}`,
    input.platform.status?.applied,
  );
}

/** True when `next` differs from `current` as the API server would store it. */
export function statusChanged(current: PlatformStatus | undefined, next: PlatformStatus): boolean {
  return !isDeepStrictEqual(jsonOf(current ?? {}), jsonOf(next));
}

/**
 * The oldest platform (by creation, then name) claims a deployment; the
 * others report DuplicateTarget instead of fighting over its bounds.
 */
export function claimant(
  platform: PlatformObject,
  all: readonly PlatformObject[],
): string | undefined {
  const target = targetOf(platform);
  if (!target) return undefined;
  let owner: PlatformObject | undefined;
  for (const other of all) {
    if (targetOf(other) !== target || other.metadata.deletionTimestamp) continue;
    if (!owner || olderThan(other, owner)) owner = other;
  }
  return owner && owner.metadata.name !== platform.metadata.name ? owner.metadata.name : undefined;
}

export function serveBounds(spec: PlatformSpec): ServeBounds {
  const a = spec.autoscaling;
  return {
    minReplicas: a.minReplicas,
    maxReplicas: a.maxReplicas,
    targetOngoingRequests: a.targetOngoingRequests,
    ...(a.initialReplicas !== undefined ? { initialReplicas: a.initialReplicas } : {}),
    ...(a.upscaleDelaySeconds !== undefined ? { upscaleDelaySeconds: a.upscaleDelaySeconds } : {}),
    ...(a.downscaleDelaySeconds !== undefined
      ? { downscaleDelaySeconds: a.downscaleDelaySeconds }
      : {}),
    maxOngoingRequests: spec.maxOngoingRequests,
  };
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Drift: the platform asks for what it applied last time, yet the document
 * changed since and no longer holds it, so someone edited the RayService.
 */
function isDrift(previous: AppliedBounds | undefined, bounds: ServeBounds, source: string) {
  if (!previous) return false;
  const { serveConfigHash, ...previousBounds } = previous;
  return serveConfigHash !== sha256(source) && isDeepStrictEqual(previousBounds, { ...bounds });
}

function notApplied(
  input: DecideInput,
  reason: ConditionReason,
  message: string,
  spec?: PlatformSpec,
): Decision {
  const status = statusWith(input, spec, "False", reason, message, input.platform.status?.applied);
  const previous = findCondition(
    input.platform.status?.conditions,
    ConditionTypes.ServeConfigApplied,
  );
  // Warn on the transition only; a resync of the same failure stays quiet.
  const events: PlannedEvent[] =
    previous?.reason === reason && previous.message === message
      ? []
      : [{ regarding: "platform", type: "Warning", reason, message }];
  return { reason, status, events };
}

function statusWith(
  input: DecideInput,
  spec: PlatformSpec | undefined,
  conditionStatus: Condition["status"],
  reason: ConditionReason,
  message: string,
  applied: AppliedBounds | undefined,
): PlatformStatus {
  const { platform, now } = input;
  const generation = platform.metadata.generation;
  const base = {
    status: conditionStatus,
    reason,
    message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  let conditions = platform.status?.conditions ?? [];
  conditions = setCondition(conditions, { type: ConditionTypes.ServeConfigApplied, ...base }, now);
  const ready = readyCondition(base, input.rayService, spec);
  conditions = setCondition(conditions, { type: ConditionTypes.Ready, ...ready }, now);
  const endpoint = spec ? platformEndpoint(spec) : platform.status?.endpoint;
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions,
    ...(applied ? { applied } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

/** Ready is ServeConfigApplied and, once that holds, the RayService's own readiness. */
function readyCondition<C extends { status: Condition["status"]; reason: string; message: string }>(
  applied: C,
  rayService: RayServiceObject | undefined,
  spec: PlatformSpec | undefined,
): C {
  if (applied.status !== "True" || !rayService || !spec) return applied;
  const health = rayServiceHealth(rayService, spec.application);
  if (health.ready) return applied;
  const ref = `${spec.rayService.namespace}/${spec.rayService.name}`;
  return {
    ...applied,
    status: "False",
    reason: ConditionReasons.RayServiceNotReady,
    message: `the bounds are applied, but RayService ${ref} is not ready: ${health.message}`,
  };
}

function both(type: PlannedEvent["type"], reason: string, message: string): PlannedEvent[] {
  return [
    { regarding: "platform", type, reason, message },
    { regarding: "rayService", type, reason, message },
  ];
}

function describeBounds(b: ServeBounds): string {
  const parts = [
    `min_replicas=${b.minReplicas}`,
    `max_replicas=${b.maxReplicas}`,
    `target_ongoing_requests=${b.targetOngoingRequests}`,
  ];
  if (b.initialReplicas !== undefined) parts.push(`initial_replicas=${b.initialReplicas}`);
  if (b.upscaleDelaySeconds !== undefined) parts.push(`upscale_delay_s=${b.upscaleDelaySeconds}`);
  if (b.downscaleDelaySeconds !== undefined) {
    parts.push(`downscale_delay_s=${b.downscaleDelaySeconds}`);
  }
  parts.push(`max_ongoing_requests=${b.maxOngoingRequests}`);
  return parts.join(", ");
}

function describeChanges(changes: readonly FieldChange[]): string {
  return changes
    .map((c) => `${c.field} ${c.from === undefined ? "(unset)" : JSON.stringify(c.from)} → ${c.to}`)
    .join(", ");
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length > 0 ? `spec.${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

function targetOf(platform: PlatformObject): string | undefined {
  const spec = platform.spec as
    | {
        rayService?: { namespace?: unknown; name?: unknown };
        application?: unknown;
        deployment?: unknown;
      }
    | undefined;
  const ns = spec?.rayService?.namespace;
  const name = spec?.rayService?.name;
  if (typeof ns !== "string" || typeof name !== "string") return undefined;
  const app = typeof spec?.application === "string" ? spec.application : "simulator";
  const dep = typeof spec?.deployment === "string" ? spec.deployment : "MonteCarloSimulator";
  return JSON.stringify([ns, name, app, dep]);
}

function olderThan(a: PlatformObject, b: PlatformObject): boolean {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb;
  return a.metadata.name < b.metadata.name;
}

function jsonOf(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
