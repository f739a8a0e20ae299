// MonteCarloSimulation: a request to simulate a trader's assessment or
// funded account under the firm's rules. The CRD in crds/ is generated from
// these schemas (hack/gen-crds.ts); the controller parses with them too.
import { z } from "zod";
import limits from "../../ray/montecarlo_sim/limits.json" with { type: "json" };
import { ConditionList } from "./conditions.ts";
import { withRules } from "./rules.ts";

/** Largest integer a JSON number carries exactly (and so a seed can be). */
export const MAX_SEED = 2 ** 53 - 1;
// Hard bounds, stated once in limits.json for the CRD, the controller and the
// simulator alike; a platform's `limits` may lower them further.
export const MAX_PATHS = limits.maxPaths;
export const MAX_DAYS = limits.maxDays;
export const MAX_HISTORY = limits.maxHistory;
export const MAX_TRADES_PER_DAY = limits.maxTradesPerDay;
/** Largest paths x days simulated x mean trades per day any simulation may ask for. */
export const MAX_PATH_STEPS = limits.maxPathSteps;
export const DEFAULT_MAX_PATH_STEPS = limits.defaultMaxPathSteps;

const money = (description: string) => z.number().gt(0).lte(1e12).meta({ description });

export const MaxLossMode = z.enum(["Static", "TrailingEndOfDay", "TrailingIntraday"]);
export const DailyLossAction = z.enum(["Fail", "StopDay"]);
export const TradesDistribution = z.enum(["Fixed", "Poisson"]);
export const Resample = z.enum(["IID", "StationaryBlock"]);

const MaxLoss = z
  .object({
    amount: money("Loss from the reference balance that fails the account."),
    mode: MaxLossMode.default("Static").meta({
      description:
        "Static: floor = initial balance - amount. TrailingEndOfDay: floor = highest end-of-day balance - amount, updated at day end. TrailingIntraday: floor = highest balance so far - amount.",
    }),
    lockAtInitialBalance: z.boolean().default(false).meta({
      description: "A trailing floor stops rising once it reaches the initial balance.",
    }),
  })
  .meta({ description: "Maximum loss rule; touching the floor (balance <= floor) fails." });

const DailyLoss = z
  .object({
    amount: money("Loss from the start-of-day balance that breaches the daily limit."),
    onBreach: DailyLossAction.default("Fail").meta({
      description: "Fail: the account fails. StopDay: trading stops until the next day.",
    }),
  })
  .meta({ description: "Daily loss rule, measured from the start-of-day balance." });

const Consistency = z
  .object({
    maxBestDayShare: z.number().gt(0).lte(1).meta({
      description: "At pass time the best day's profit must be at most this share of total profit.",
    }),
  })
  .meta({ description: "Consistency rule checked when the profit target is reached." });

const Rules = withRules(
  z.object({
    profitTarget: money("Profit over the initial balance that passes an assessment.").optional(),
    minTradingDays: z.int().min(0).max(MAX_DAYS).default(0).meta({
      description: "Days with at least one trade required before an assessment can pass.",
    }),
    maxTradingDays: z.int().min(1).max(MAX_DAYS).optional().meta({
      description: "Time limit of an assessment in trading days; not passed by then is failed.",
    }),
    maxLoss: MaxLoss,
    dailyLoss: DailyLoss.optional(),
    consistency: Consistency.optional(),
  }),
  "The firm's rules for the account.",
  [
    {
      cel: "!has(self.maxTradingDays) || self.minTradingDays <= self.maxTradingDays",
      check: (r) => r.maxTradingDays === undefined || r.minTradingDays <= r.maxTradingDays,
      message: "rules.minTradingDays must not exceed rules.maxTradingDays",
      fieldPath: ".minTradingDays",
    },
  ],
);

const TradesPerDay = withRules(
  z.object({
    mean: z.number().gt(0).lte(MAX_TRADES_PER_DAY).meta({
      description: "Trades per day: the exact count (Fixed) or the Poisson mean.",
    }),
    distribution: TradesDistribution.default("Fixed").meta({
      description: "Fixed: exactly `mean` trades every day. Poisson: a Poisson count per day.",
    }),
  }),
  "How many trades the trader makes each day.",
  [
    {
      cel: "self.distribution != 'Fixed' || (self.mean >= 1.0 && double(int(self.mean)) == self.mean)",
      check: (t) => t.distribution !== "Fixed" || (t.mean >= 1 && Number.isInteger(t.mean)),
      message: "trader.tradesPerDay.mean must be a whole number >= 1 when distribution is Fixed",
      fieldPath: ".mean",
    },
  ],
);

const Parametric = z
  .object({
    winRate: z.number().min(0).max(1).meta({ description: "Probability that a trade wins." }),
    averageWin: z.number().min(0).lte(1e9).meta({ description: "Mean profit of a winning trade." }),
    averageLoss: z.number().min(0).lte(1e9).meta({ description: "Mean loss of a losing trade." }),
    sizeVariation: z.number().min(0).max(10).default(0).meta({
      description: "Coefficient of variation of trade size (lognormal, same mean); 0 = fixed size.",
    }),
  })
  .meta({ description: "Parametric trader: wins and losses of given sizes." });

const History = z
  .object({
    pnl: z
      .array(z.number().gte(-1e9).lte(1e9))
      .min(1)
      .max(MAX_HISTORY)
      .meta({ description: "Per-trade profit and loss to resample." }),
    resample: Resample.default("IID").meta({
      description: "IID: independent draws. StationaryBlock: stationary block bootstrap.",
    }),
    meanBlockLength: z.number().min(1).max(1000).default(1).meta({
      description: "Mean block length of the stationary bootstrap (1 equals IID).",
    }),
  })
  .meta({ description: "History trader: resample the trader's own trades." });

const Trader = withRules(
  z.object({
    tradesPerDay: TradesPerDay,
    parametric: Parametric.optional(),
    history: History.optional(),
  }),
  "The trader model; exactly one of parametric and history.",
  [
    {
      cel: "has(self.parametric) != has(self.history)",
      check: (t) => (t.parametric === undefined) !== (t.history === undefined),
      message: "exactly one of trader.parametric and trader.history must be set",
    },
  ],
);

const Simulation = z
  .object({
    paths: z.int().min(1).max(MAX_PATHS).meta({
      description: "Number of simulated paths; the platform's limits.maxPaths may lower the bound.",
    }),
    horizonDays: z.int().min(1).max(MAX_DAYS).optional().meta({
      description:
        "Days simulated. Required for funded accounts; assessments default to maxTradingDays.",
    }),
    seed: z.int().min(0).max(MAX_SEED).optional().meta({
      description: "Random seed; when absent one is derived from a hash of the spec.",
    }),
    confidenceLevel: z.number().min(0.5).max(0.9999).default(0.95).meta({
      description: "Confidence level of the Wilson intervals reported for every probability.",
    }),
  })
  .meta({ description: "Simulation size and statistics." });

const PlatformRef = z
  .object({
    name: z.string().min(1).max(253).default("default").meta({
      description: "Name of the cluster-scoped MonteCarloPlatform.",
    }),
  })
  .meta({ description: "The MonteCarloPlatform that runs this simulation." });

const accountId = (description: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/)
    .optional()
    .meta({ description });

type SpecShape = {
  assessmentId?: string | undefined;
  rules: { maxTradingDays?: number | undefined };
  simulation: { paths: number; horizonDays?: number | undefined };
  trader: { tradesPerDay: { mean: number } };
};

/** Days the engine simulates: the horizon, capped by an assessment's time limit. */
export function daysSimulated(spec: Omit<SpecShape, "trader">): number {
  const { horizonDays } = spec.simulation;
  const limit = spec.assessmentId !== undefined ? spec.rules.maxTradingDays : undefined;
  return Math.min(horizonDays ?? Number.POSITIVE_INFINITY, limit ?? Number.POSITIVE_INFINITY);
}

/** The work a simulation asks for: paths x days simulated x mean trades per day. */
export function pathSteps(spec: SpecShape): number {
  return spec.simulation.paths * daysSimulated(spec) * spec.trader.tradesPerDay.mean;
}

// daysSimulated in CEL; 0 when neither bound is set (another rule refuses that).
const DAYS_CEL =
  "has(self.assessmentId) && has(self.rules.maxTradingDays) && (!has(self.simulation.horizonDays) || self.rules.maxTradingDays < self.simulation.horizonDays) ? self.rules.maxTradingDays : (has(self.simulation.horizonDays) ? self.simulation.horizonDays : 0)";

export const SimulationSpec = withRules(
  z.object({
    platformRef: PlatformRef.default({ name: "default" }),
    assessmentId: accountId(
      "Assessment (evaluation) being simulated; exclusive with fundedAccountId.",
    ),
    fundedAccountId: accountId("Funded account being simulated; exclusive with assessmentId."),
    account: z
      .object({ initialBalance: money("Account balance at the start.") })
      .meta({ description: "The account's starting state." }),
    rules: Rules,
    trader: Trader,
    simulation: Simulation,
    activeDeadlineSeconds: z.int().min(1).max(604800).optional().meta({
      description:
        "Seconds from the first submission after which the run fails (DeadlineExceeded); time spent waiting before it is not counted. Defaults to the platform's limits.defaultActiveDeadlineSeconds.",
    }),
    backoffLimit: z.int().min(0).max(100).default(3).meta({
      description:
        "Retries of failed executions before Failed (BackoffLimitExceeded). An execution that fails or exceeds the simulator timeout counts; an unreachable backend does not.",
    }),
    ttlSecondsAfterFinished: z.int().min(0).max(31_536_000).optional().meta({
      description:
        "Seconds after the simulation finishes (Succeeded or Failed) when the object is deleted; its SimulationJob row is kept. Defaults to the platform's limits.ttlSecondsAfterFinished; unset there too means keep.",
    }),
  }),
  "Desired simulation.",
  [
    {
      cel: "has(self.assessmentId) != has(self.fundedAccountId)",
      check: (s) => (s.assessmentId === undefined) !== (s.fundedAccountId === undefined),
      message: "exactly one of spec.assessmentId and spec.fundedAccountId must be set",
    },
    {
      cel: "!has(self.assessmentId) || has(self.rules.profitTarget)",
      check: (s) => s.assessmentId === undefined || s.rules.profitTarget !== undefined,
      message: "spec.rules.profitTarget is required with spec.assessmentId",
      fieldPath: ".rules",
    },
    {
      cel: "!has(self.fundedAccountId) || !has(self.rules.profitTarget)",
      check: (s) => s.fundedAccountId === undefined || s.rules.profitTarget === undefined,
      message: "spec.rules.profitTarget is forbidden with spec.fundedAccountId",
      fieldPath: ".rules",
    },
    {
      cel: "!has(self.fundedAccountId) || has(self.simulation.horizonDays)",
      check: (s) => s.fundedAccountId === undefined || s.simulation.horizonDays !== undefined,
      message: "spec.simulation.horizonDays is required with spec.fundedAccountId",
      fieldPath: ".simulation",
    },
    {
      cel: "!has(self.assessmentId) || has(self.simulation.horizonDays) || has(self.rules.maxTradingDays)",
      check: (s) =>
        s.assessmentId === undefined ||
        s.simulation.horizonDays !== undefined ||
        s.rules.maxTradingDays !== undefined,
      message:
        "an assessment needs spec.rules.maxTradingDays or spec.simulation.horizonDays to bound the days simulated",
      fieldPath: ".simulation",
    },
    {
      cel: `double(self.simulation.paths) * double(${DAYS_CEL}) * self.trader.tradesPerDay.mean <= ${MAX_PATH_STEPS}.0`,
      check: (s) => pathSteps(s) <= MAX_PATH_STEPS,
      message: `spec.simulation.paths x days simulated x spec.trader.tradesPerDay.mean must not exceed ${MAX_PATH_STEPS} path-steps`,
      fieldPath: ".simulation.paths",
    },
  ],
);
export type SimulationSpec = z.output<typeof SimulationSpec>;

export const Phase = z.enum(["Pending", "Running", "Succeeded", "Failed"]);
export type Phase = z.infer<typeof Phase>;

const probability = (description: string) => z.number().min(0).max(1).meta({ description });
const interval = (description: string) =>
  z
    .object({
      lower: probability("Lower bound of the Wilson score interval."),
      upper: probability("Upper bound of the Wilson score interval."),
    })
    .meta({ description });
const quantity = (description: string) => z.number().meta({ description });

export const ResultSummary = z
  .object({
    paths: z.int().min(0).meta({ description: "Paths simulated." }),
    passProbability: probability("Probability that the assessment passes.").optional(),
    passInterval: interval("Confidence interval of passProbability.").optional(),
    survivalProbability: probability("Probability of not failing within the days simulated."),
    survivalInterval: interval("Confidence interval of survivalProbability."),
    unresolvedProbability: probability(
      "Probability of an assessment neither passing nor failing within the days simulated.",
    ).optional(),
    failureReasons: z
      .object({
        maxLoss: probability("Probability of failing by the maximum loss rule."),
        dailyLoss: probability("Probability of failing by the daily loss rule."),
        timeLimit: probability("Probability of failing by the time limit."),
      })
      .meta({ description: "Failure probabilities by reason (fractions of all paths)." }),
    daysToPass: z
      .object({
        p50: quantity("Median trading days to pass."),
        p90: quantity("90th percentile of trading days to pass."),
      })
      .optional()
      .meta({ description: "Days to pass among passing paths; absent when none pass." }),
    finalBalance: z
      .object({
        p5: quantity("5th percentile."),
        p50: quantity("Median."),
        p95: quantity("95th percentile."),
      })
      .meta({ description: "Final balance percentiles." }),
    maxDrawdown: z
      .object({ p50: quantity("Median."), p95: quantity("95th percentile.") })
      .meta({ description: "Maximum peak-to-trough drawdown percentiles." }),
    engineVersion: z.string().meta({ description: "Version of the simulation engine." }),
    reusedFromJobId: z.string().optional().meta({
      description:
        "Set when the result was reused from an identical earlier run (same request and seed).",
    }),
  })
  .meta({ description: "Summary of the result; the full result is in the SimulationJob row." });
export type ResultSummary = z.infer<typeof ResultSummary>;

export const Progress = z
  .object({
    percent: z.int().min(0).max(100).meta({ description: "Share of the paths done, in percent." }),
    pathsDone: z.int().min(0).meta({ description: "Paths the engine has finished." }),
    pathsTotal: z.int().min(0).meta({ description: "Paths of the run." }),
    estimatedCompletionTime: z.string().optional().meta({
      description: "When the run should end at its rate so far (RFC 3339).",
      format: "date-time",
    }),
  })
  .meta({
    description:
      "How far a long run is, updated at most every 10 s while it runs; absent for runs shorter than 10 s.",
  });
export type Progress = z.infer<typeof Progress>;

export const SimulationStatus = z
  .object({
    observedGeneration: z.int().min(0).optional().meta({
      description: "The metadata.generation this status describes.",
    }),
    phase: Phase.optional().meta({
      description: "Convenience summary of the conditions: Pending, Running, Succeeded or Failed.",
    }),
    conditions: ConditionList.optional(),
    jobId: z.string().optional().meta({ description: "Id of the SimulationJob row of this run." }),
    seed: z.int().min(0).max(MAX_SEED).optional().meta({ description: "The seed actually used." }),
    attempts: z.int().min(0).optional().meta({ description: "Executions started for this run." }),
    startTime: z.string().optional().meta({
      description: "When the run was first submitted (RFC 3339).",
      format: "date-time",
    }),
    completionTime: z.string().optional().meta({
      description: "When the run reached a terminal phase (RFC 3339).",
      format: "date-time",
    }),
    progress: Progress.optional(),
    result: ResultSummary.optional(),
    message: z.string().max(32768).optional().meta({ description: "Human-readable state." }),
  })
  .meta({ description: "Observed state of the simulation." });
export type SimulationStatus = z.infer<typeof SimulationStatus>;
