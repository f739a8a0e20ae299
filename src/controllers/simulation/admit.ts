// Admission by the controller: what the CRD schema cannot judge. The spec is
// re-validated with zod (objects admitted before a rule existed, or created
// with validation off) and checked against the platform's limits.
import type { z } from "zod";
import { PlatformSpec, platformEndpoint } from "../../api/platform.ts";
import { SimulationSpec } from "../../api/simulation.ts";
import { daysSimulated, effectiveSeed, engineInputs, requestHash } from "./engine-request.ts";
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
  readonly requestHash: string;
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
  const platform = PlatformSpec.safeParse(platformObject.spec);
  if (!platform.success) {
    return {
      admitted: false,
      phase: "Pending",
      reason: Reason.InvalidPlatform,
      message: `MonteCarloPlatform ${name} is invalid: ${describeIssues(platform.error, "spec")}`,
    };
  }
  const limitError = exceedsLimits(spec, platform.data, name);
  if (limitError) {
    return { admitted: false, phase: "Failed", reason: Reason.InvalidSpec, message: limitError };
  }
  const seed = effectiveSeed(spec);
  return {
    admitted: true,
    spec,
    platform: { name, spec: platform.data, endpoint: platformEndpoint(platform.data) },
    seed,
    requestHash: requestHash({ seed, ...engineInputs(spec) }),
  };
}

function exceedsLimits(spec: SimulationSpec, platform: PlatformSpec, name: string) {
  const { maxPaths, maxHorizonDays } = platform.limits;
  if (spec.simulation.paths > maxPaths) {
    return `spec.simulation.paths ${spec.simulation.paths} exceeds MonteCarloPlatform ${name}'s limits.maxPaths ${maxPaths}`;
  }
  const days = daysSimulated(spec);
  if (days > maxHorizonDays) {
    return `the days simulated (${days}, from spec.simulation.horizonDays or spec.rules.maxTradingDays) exceed MonteCarloPlatform ${name}'s limits.maxHorizonDays ${maxHorizonDays}`;
  }
  return undefined;
}
