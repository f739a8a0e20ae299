// Builds the simulator's POST /simulate body from a validated spec (the
// contract in docs/engine.md), the seed it runs with, and the hash that
// identifies the computation for result reuse.
import { MAX_SEED, type SimulationSpec } from "../../api/simulation.ts";
import { canonicalJson, sha256Hex } from "./canonical-json.ts";

export interface EngineRequest {
  readonly jobId: string;
  readonly seed: number;
  readonly mode: "assessment" | "funded";
  readonly account: SimulationSpec["account"];
  readonly rules: SimulationSpec["rules"];
  readonly trader: SimulationSpec["trader"];
  readonly simulation: {
    readonly paths: number;
    readonly horizonDays?: number;
    readonly confidenceLevel: number;
  };
}

/** The engine's inputs: everything in the spec that changes the numbers. */
export function engineInputs(spec: SimulationSpec): Omit<EngineRequest, "jobId" | "seed"> {
  const { paths, horizonDays, confidenceLevel } = spec.simulation;
  return {
    mode: spec.assessmentId !== undefined ? "assessment" : "funded",
    account: spec.account,
    rules: spec.rules,
    trader: spec.trader,
    simulation: { paths, horizonDays, confidenceLevel },
  };
}

/** The spec's seed, or one derived from a hash of the engine inputs (stable across restarts). */
export function effectiveSeed(spec: SimulationSpec): number {
  if (spec.simulation.seed !== undefined) return spec.simulation.seed;
  const digest = sha256Hex(canonicalJson(engineInputs(spec)));
  return Number(BigInt(`0x${digest.slice(0, 16)}`) & BigInt(MAX_SEED));
}

/** Identifies a computation: equal hashes give bit-identical results. */
export function requestHash(inputs: Omit<EngineRequest, "jobId">): string {
  return sha256Hex(canonicalJson(inputs));
}

export function buildEngineRequest(
  spec: SimulationSpec,
  jobId: string,
  seed: number,
): EngineRequest {
  return { jobId, seed, ...engineInputs(spec) };
}

/** Days the engine simulates: the horizon, capped by an assessment's time limit. */
export function daysSimulated(spec: SimulationSpec): number {
  const { horizonDays } = spec.simulation;
  const limit = spec.assessmentId !== undefined ? spec.rules.maxTradingDays : undefined;
  return Math.min(horizonDays ?? Number.POSITIVE_INFINITY, limit ?? Number.POSITIVE_INFINITY);
}
