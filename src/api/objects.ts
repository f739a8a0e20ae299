// The custom objects as the informers deliver them: only the fields the
// controllers read are typed; everything else is carried through untouched.
import type { PlatformStatus } from "./platform.ts";
import type { SimulationStatus } from "./simulation.ts";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  generation: number;
  resourceVersion: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

export interface SimulationObject {
  apiVersion: string;
  kind: "MonteCarloSimulation";
  metadata: ObjectMeta & { namespace: string };
  /** Unvalidated: the controller re-validates it with zod. */
  spec: unknown;
  status?: SimulationStatus;
}

export interface PlatformObject {
  apiVersion: string;
  kind: "MonteCarloPlatform";
  metadata: ObjectMeta;
  /** Unvalidated: the controllers re-validate it with zod. */
  spec: unknown;
  status?: PlatformStatus;
}

/** The platform a simulation names, read without trusting the spec's shape. */
export function platformNameOf(sim: SimulationObject): string {
  const ref = (sim.spec as { platformRef?: { name?: unknown } } | undefined)?.platformRef;
  return typeof ref?.name === "string" && ref.name ? ref.name : "default";
}
