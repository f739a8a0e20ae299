// Admission by the controller: what the CRD schema cannot judge. The spec is
// re-validated with zod (objects admitted before a rule existed, or created
// with validation off), the platform must exist and be valid, and a new run
// must fit the platform's limits. Limits are judged once per generation:
// decide() checks them only before the run's row exists, so lowering a limit
// never fails a run that was already admitted.
import type { z } from "zod";
import { PlatformSpec, platformEndpoint } from "../../api/platform.ts";
import { daysSimulated, pathSteps, SimulationSpec } from "../../api/simulation.ts";
import { effectiveSeed } from "./engine-request.ts";
import { Reason } from "./reasons.ts";

export interface Admitted {
  readonly admitted: true;
  readonly spec: SimulationSpec;
  readonly platform: {
    readonly name: string;
    readonly spec: PlatformSpec;
    readonly endpoint: string;
  };
  readonly seed: number;
}

export interface Refused {
  readonly admitted: false;
  readonly phase: "Failed" | "Pending";
  readonly reason: Reason;
  readonly message: string;
}

/** "spec.trader.parametric.winRate: Too big: expected number to be <=1; ..." */
export function describeIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((i) => `${[prefix, ...i.path.map(String)].join(".")}: ${i.message}`)
    .join("; ");
}

export function admit(
  rawSpec: unknown,
  platformObject: { spec?: unknown } | undefined,
): Admitted | Refused {
  const parsed = SimulationSpec.safeParse(rawSpec);
  if (!parsed.success) {
    return {
      admitted: false,
      phase: "Failed",
      reason: Reason.InvalidSpec,
      message: describeIssues(parsed.error, "spec"),
    };
  }
  const spec = parsed.data;
  const name = spec.platformRef.name;
  if (!platformObject) {
    return {
      admitted: false,
      phase: "Pending",
      reason: Reason.PlatformNotFound,
      message: `MonteCarloPlatform ${name} not found (spec.platformRef.name)`,
    };
  }
  const platform = parsePlatform(platformObject);
  if (!platform.success) {
    return {
      admitted: false,
      phase: "Pending",
      reason: Reason.InvalidPlatform,
      message: `MonteCarloPlatform ${name} is invalid: ${describeIssues(platform.error, "spec")}`,
    };
  }
  return {
    admitted: true,
    spec,
    platform: { name, spec: platform.data, endpoint: platformEndpoint(platform.data) },
    seed: effectiveSeed(spec),
  };
}

// Platform objects are few, read by every reconcile and replaced (never
// changed) by the informer: parse each once.
const parsedPlatforms = new WeakMap<object, ReturnType<typeof PlatformSpec.safeParse>>();

export function parsePlatform(platformObject: { spec?: unknown }) {
  let parsed = parsedPlatforms.get(platformObject);
  if (parsed === undefined) {
    parsed = PlatformSpec.safeParse(platformObject.spec);
    parsedPlatforms.set(platformObject, parsed);
  }
  return parsed;
}

/** Why a new run of `spec` exceeds the platform's limits, or undefined when it fits. */
export function exceedsLimits(spec: SimulationSpec, platform: Admitted["platform"]) {
  const { maxPaths, maxHorizonDays, maxPathSteps } = platform.spec.limits;
  const name = platform.name;
  if (spec.simulation.paths > maxPaths) {
    return `spec.simulation.paths ${spec.simulation.paths} exceeds MonteCarloPlatform ${name}'s limits.maxPaths ${maxPaths}`;
  }
  const days = daysSimulated(spec);
  if (days > maxHorizonDays) {
    return `the days simulated (${days}, from spec.simulation.horizonDays or spec.rules.maxTradingDays) exceed MonteCarloPlatform ${name}'s limits.maxHorizonDays ${maxHorizonDays}`;
  }
  const steps = pathSteps(spec);
  if (steps > maxPathSteps) {
    return `the work asked for, ${steps} path-steps (spec.simulation.paths ${spec.simulation.paths} x ${days} days x spec.trader.tradesPerDay.mean ${spec.trader.tradesPerDay.mean}), exceeds MonteCarloPlatform ${name}'s limits.maxPathSteps ${maxPathSteps}`;
  }
  return undefined;
}
