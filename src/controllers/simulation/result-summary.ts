// The engine's full result (stored in the SimulationJob row) and the summary
// of it shown in the custom resource's status.
import { z } from "zod";
import type { ResultSummary } from "../../api/simulation.ts";

const Probability = z.object({
  estimate: z.number(),
  lower: z.number(),
  upper: z.number(),
  count: z.int(),
});
const Dist = z.object({
  p1: z.number(),
  p5: z.number(),
  p10: z.number(),
  p25: z.number(),
  p50: z.number(),
  p75: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  mean: z.number(),
  std: z.number(),
});

/** The parts of the simulator's response the operator relies on; the rest is kept as is. */
export const EngineResult = z.looseObject({
  paths: z.int(),
  probabilities: z.object({
    pass: Probability.nullable(),
    fail: Probability,
    unresolved: Probability,
    survive: Probability,
  }),
  failureReasons: z.object({
    maxLoss: Probability,
    dailyLoss: Probability,
    timeLimit: Probability,
  }),
  daysToPass: Dist.nullable(),
  finalBalance: Dist,
  maxDrawdown: Dist,
  meta: z.looseObject({ engineVersion: z.string() }),
});
export type EngineResult = z.infer<typeof EngineResult>;

const round = (x: number, digits = 6) => Number(x.toFixed(digits));
const money = (x: number) => Number(x.toFixed(2));

export function summarize(result: EngineResult): ResultSummary {
  const { pass, survive, unresolved } = result.probabilities;
  const reasons = result.failureReasons;
  return {
    paths: result.paths,
    ...(pass
      ? {
          passProbability: round(pass.estimate),
          passInterval: { lower: round(pass.lower), upper: round(pass.upper) },
          unresolvedProbability: round(unresolved.estimate),
        }
      : {}),
    survivalProbability: round(survive.estimate),
    survivalInterval: { lower: round(survive.lower), upper: round(survive.upper) },
    failureReasons: {
      maxLoss: round(reasons.maxLoss.estimate),
      dailyLoss: round(reasons.dailyLoss.estimate),
      timeLimit: round(reasons.timeLimit.estimate),
    },
    ...(result.daysToPass
      ? { daysToPass: { p50: result.daysToPass.p50, p90: result.daysToPass.p90 } }
      : {}),
    finalBalance: {
      p5: money(result.finalBalance.p5),
      p50: money(result.finalBalance.p50),
      p95: money(result.finalBalance.p95),
    },
    maxDrawdown: { p50: money(result.maxDrawdown.p50), p95: money(result.maxDrawdown.p95) },
    engineVersion: result.meta.engineVersion,
  };
}
