// Builders of simulation objects and of the Observations decide() takes.
import type { PlatformObject, SimulationObject } from "../../../src/api/objects.ts";
import type { SimulationStatus } from "../../../src/api/simulation.ts";
import { type Admitted, admit } from "../../../src/controllers/simulation/admit.ts";
import type {
  Action,
  ActiveObservation,
  Decision,
  Observation,
} from "../../../src/controllers/simulation/decide.ts";
import { runIdOf } from "../../../src/controllers/simulation/engine-request.ts";
import type { ExecutionSnapshot } from "../../../src/controllers/simulation/executions.ts";
import type { RunRow, SimulateOutcome } from "../../../src/controllers/simulation/ports.ts";
import { FINALIZER } from "../../../src/controllers/simulation/reasons.ts";
import { assessmentSpec, platformSpec } from "../../fixtures/simulations.ts";

export const NOW = new Date("2026-11-28T12:00:00Z");
export const UID = "u1";
export const KEY = "risk/asm";
export const ENDPOINT = "http://sim";
export const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

export function simulation(
  over: { name?: string; uid?: string; generation?: number; spec?: object } = {},
  status?: SimulationStatus,
): SimulationObject {
  return {
    apiVersion: "montecarlo.vatic.io/v1alpha1",
    kind: "MonteCarloSimulation",
    metadata: {
      namespace: "risk",
      name: over.name ?? "asm",
      uid: over.uid ?? UID,
      generation: over.generation ?? 1,
      resourceVersion: "1",
      finalizers: [FINALIZER],
    },
    spec: over.spec ?? assessmentSpec(),
    ...(status ? { status } : {}),
  };
}

export function platformObject(limits: object = {}): PlatformObject {
  return {
    apiVersion: "montecarlo.vatic.io/v1alpha1",
    kind: "MonteCarloPlatform",
    metadata: { name: "default", uid: "p", generation: 1, resourceVersion: "1" },
    spec: { ...platformSpec(ENDPOINT), limits },
  };
}

export function admitted(spec: object = assessmentSpec(), limits: object = {}): Admitted {
  const a = admit(spec, platformObject(limits));
  if (!a.admitted) throw new Error(a.message);
  return a;
}

export function row(over: Partial<RunRow> = {}): RunRow {
  const generation = over.generation ?? 1;
  return {
    id: runIdOf(UID, generation),
    generation,
    status: "pending",
    attempts: 0,
    failures: 0,
    result: null,
    failureReason: null,
    error: null,
    createdAt: ago(10),
    startedAt: null,
    completedAt: null,
    requestHash: "h1",
    seed: 42,
    ...over,
  };
}

/** An admitted generation 1 with one pending row, nothing in memory, a free platform. */
export function active(over: Partial<ActiveObservation> = {}): ActiveObservation {
  return {
    kind: "active",
    sim: simulation(),
    now: NOW,
    random: 0,
    admission: admitted(),
    rows: [row()],
    requestHash: "h1",
    versionError: undefined,
    reusable: undefined,
    execution: undefined,
    gate: undefined,
    others: [],
    inFlight: 0,
    ...over,
  };
}

/** A generation 1 an earlier reconcile published `Pending` (in line, or a retry). */
export const published = (phase: "Pending" | "Running" = "Pending") =>
  simulation({}, { observedGeneration: 1, phase });

/** A simulation whose status says it finished at `completedAt`. */
export function terminal(ttlSeconds: number | undefined, completedAt: Date): Observation {
  const status: SimulationStatus = {
    observedGeneration: 1,
    phase: "Succeeded",
    completionTime: completedAt.toISOString(),
  };
  return { kind: "terminal", sim: simulation({}, status), now: NOW, random: 0, ttlSeconds };
}

export function refused(spec: object, platform: boolean, others: string[] = []): Observation {
  const a = admit(spec, platform ? platformObject() : undefined);
  if (a.admitted) throw new Error("expected a refusal");
  return { kind: "refused", sim: simulation({ spec }), now: NOW, random: 0, refusal: a, others };
}

export const types = (d: Decision) => d.actions.map((a) => a.type);

export function action<T extends Action["type"]>(d: Decision, type: T) {
  return d.actions.find((a): a is Extract<Action, { type: T }> => a.type === type);
}

export const readyReason = (d: Decision) =>
  d.status?.conditions?.find((c) => c.type === "Ready")?.reason;

export const settled = (outcome: SimulateOutcome): ExecutionSnapshot => ({
  state: "settled",
  platform: "default",
  outcome,
});
export const running: ExecutionSnapshot = { state: "running", platform: "default" };
export const gate = (atMs: number) => ({
  atMs,
  streak: 2,
  reason: "BackendUnavailable" as const,
  message: "the simulator is down; next at 12:00:07",
});
export const SUBMIT = ["reserve", "markStarted", "launch"];

/** What a table row expects of a decision. */
export interface Want {
  phase?: string;
  reason?: string;
  actions: string[];
  message?: string;
  requeueAfterMs?: number;
}
export const summary = (d: Decision): Want => ({
  ...(d.status ? { phase: d.status.phase, reason: readyReason(d), message: d.status.message } : {}),
  actions: types(d),
  ...(d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : {}),
});
