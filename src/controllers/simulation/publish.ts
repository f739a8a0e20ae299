// Writes a status when it changed; the one status write of a reconcile. An
// Event goes with it when the phase or the Ready reason changed to a Warning
// reason or to an end (Succeeded, Failed): the Normal steps on the way
// (Pending, Running) are in the conditions and their lastTransitionTime, and
// an Event each would be two more API writes per simulation. They are
// logged at debug; ends and Warnings at info.
import type { Logger } from "pino";
import { findCondition } from "../../api/conditions.ts";
import type { SimulationObject } from "../../api/objects.ts";
import type { SimulationStatus } from "../../api/simulation.ts";
import { boundedMessage, statusEquals } from "../../api/status-equality.ts";
import type { SimulationMetrics } from "./metrics.ts";
import type { KubeEvent, SimulationRef, SimulationWriter } from "./ports.ts";
import { ConditionType, WARNING_REASONS } from "./reasons.ts";

export interface PublishDeps {
  readonly writer: SimulationWriter;
  readonly metrics: SimulationMetrics;
  readonly log: Logger;
}

export function refOf(sim: SimulationObject): SimulationRef {
  const { namespace, name, uid, resourceVersion } = sim.metadata;
  return { namespace, name, uid, resourceVersion };
}

export async function publish(deps: PublishDeps, sim: SimulationObject, status: SimulationStatus) {
  const previous = sim.status;
  if (statusEquals(previous, status)) return;
  await deps.writer.replaceStatus(refOf(sim), status);
  deps.metrics.statusWrites.inc();
  const before = findCondition(previous?.conditions, ConditionType.Ready);
  const after = findCondition(status.conditions, ConditionType.Ready);
  const changed =
    previous?.observedGeneration !== status.observedGeneration ||
    before?.reason !== after?.reason ||
    previous?.phase !== status.phase;
  if (!changed || !after) return;
  const terminal = status.phase === "Succeeded" || status.phase === "Failed";
  const warning = WARNING_REASONS.has(after.reason);
  const fields = {
    phase: status.phase,
    reason: after.reason,
    generation: status.observedGeneration,
  };
  if (!terminal && !warning) {
    deps.log.debug(fields, after.message);
    return;
  }
  deps.log.info(fields, after.message);
  if (terminal) deps.metrics.terminal.inc({ phase: status.phase, reason: after.reason });
  await emit(deps, refOf(sim), {
    type: warning ? "Warning" : "Normal",
    reason: after.reason,
    message: after.message,
  });
}

/** Records an Event; a failure to record is logged, never fatal. */
export async function emit(deps: PublishDeps, ref: SimulationRef, event: KubeEvent) {
  const bounded = { ...event, message: boundedMessage(event.message) };
  await deps.writer.recordEvent(ref, bounded).catch((err: unknown) => {
    deps.log.warn({ err, reason: event.reason }, "could not record event");
  });
}
