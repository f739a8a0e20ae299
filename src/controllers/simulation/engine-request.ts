// Builds the simulator's POST /simulate body from a validated spec (the
// contract in docs/engine.md), the seed it runs with, and the hash that
// identifies the computation for result reuse.
import { canonicalJson, sha256Hex } from "../../api/canonical-json.ts";
import { MAX_SEED, type SimulationSpec } from "../../api/simulation.ts";

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

/**
 * Identifies a computation: equal hashes give bit-identical results. The
 * engine version is part of it, so results of an older engine are not reused.
 */
export function requestHash(inputs: Omit<EngineRequest, "jobId">, engineVersion: string): string {
  return sha256Hex(canonicalJson({ ...inputs, engineVersion }));
}

/** The row id of a generation, derived so that creating it twice finds the same row. */
export function runIdOf(uid: string, generation: number): string {
  const hex = sha256Hex(`${uid}/${generation}`);
  // Shaped as a UUID (version nibble 5, variant 10xx), like the ids Prisma generates.
  const variant = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function buildEngineRequest(
  spec: SimulationSpec,
  jobId: string,
  seed: number,
): EngineRequest {
  return { jobId, seed, ...engineInputs(spec) };
}
