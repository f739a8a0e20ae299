// The custom objects as the informers deliver them.
import type { PlatformStatus } from "../../api/platform.ts";
import type { SimulationStatus } from "../../api/simulation.ts";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  generation: number;
  resourceVersion: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  creationTimestamp?: string;
}

export interface SimulationObject {
  apiVersion: string;
  kind: "MonteCarloSimulation";
  metadata: ObjectMeta & { namespace: string };
  spec: unknown;
  status?: SimulationStatus;
}

export interface PlatformObject {
  apiVersion: string;
  kind: "MonteCarloPlatform";
  metadata: ObjectMeta;
  spec: unknown;
  status?: PlatformStatus;
}

/** The platform a simulation names, read without trusting the spec's shape. */
export function platformNameOf(sim: SimulationObject): string {
  const ref = (sim.spec as { platformRef?: { name?: unknown } } | undefined)?.platformRef;
  return typeof ref?.name === "string" && ref.name ? ref.name : "default";
}
