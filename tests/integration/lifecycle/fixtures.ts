// Shared set-up of the run-lifecycle tests: a namespace, a platform and an
// operator of their own, specs that take a known while, and the rows as
// PostgreSQL holds them (the tests trigger on rows, not on timing).
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { createPrisma } from "../../../src/adapters/prisma.ts";
import { assessmentSpec, fundedSpec } from "../../fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  kubectl,
  type OperatorProcess,
  platform,
  stack,
  startOperator,
  unique,
  waitFor,
} from "../harness.ts";

export const prisma = createPrisma(stack.databaseUrl);

/** Seeds of this run only, so no other file's completed row answers by reuse. */
export const freshSeed = () => randomInt(1, 2 ** 40);

/** A small assessment: well under a second of engine time. */
export const quickSpec = (platformName: string, over: object = {}) => ({
  ...assessmentSpec(),
  platformRef: { name: platformName },
  simulation: { paths: 2000, seed: freshSeed() },
  ...over,
});

/** A funded account whose run takes about 3 s of engine time on 2 cores (1.8e8 path-steps). */
export const slowSpec = (platformName: string, over: object = {}) => ({
  ...fundedSpec(),
  platformRef: { name: platformName },
  trader: {
    tradesPerDay: { mean: 10, distribution: "Fixed" },
    parametric: { winRate: 0.5, averageWin: 10, averageLoss: 10 },
  },
  simulation: { paths: 300_000, horizonDays: 60, seed: freshSeed() },
  ...over,
});

export interface Fixture {
  readonly ns: string;
  readonly platformName: string;
  readonly operator: OperatorProcess;
}

/** A namespace, a platform with `limits`, and an operator watching only that namespace. */
export async function setUp(
  prefix: string,
  limits: object = {},
  env: Record<string, string> = {},
): Promise<Fixture> {
  const ns = await createNamespace(prefix);
  const platformName = unique(prefix);
  await apply(
    platform(platformName, {
      rayService: { namespace: ns, name: "rs" },
      endpoint: stack.rayUrl,
      limits,
    }),
  );
  const operator = await startOperator({
    POD_NAME: unique(`${prefix}-operator`),
    WATCH_NAMESPACE: ns,
    LEADER_ELECTION_NAMESPACE: ns,
    CONTROLLERS: "simulation",
    ...env,
  });
  return { ns, platformName, operator };
}

export const rowsOf = (ns: string) =>
  prisma.simulationJob.findMany({ where: { namespace: ns }, orderBy: { createdAt: "asc" } });

export const runningRows = (ns: string) =>
  prisma.simulationJob.count({ where: { namespace: ns, status: "running" } });

/** Waits until a row of simulation `name` is running; returns it. */
export const waitRunningRow = (ns: string, name: string, generation = 1n) =>
  waitFor(
    `a running row of ${name}`,
    async () =>
      (await prisma.simulationJob.findFirst({
        where: { namespace: ns, name, generation, status: "running" },
      })) ?? undefined,
    90_000,
    50,
  );

/** `kubectl wait` for a condition of simulation `name`; true when it came. */
export async function waitCondition(ns: string, name: string, condition: string, timeoutS: number) {
  const r = await kubectl([
    "wait",
    "-n",
    ns,
    `--for=condition=${condition}`,
    `--timeout=${timeoutS}s`,
    `mcs/${name}`,
  ]);
  return r.code === 0;
}

/** A condition of a simulation as kubectl returned it. */
export function conditionOf(sim: { status?: { conditions?: { type: string }[] } }, type: string) {
  return sim.status?.conditions?.find((c) => c.type === type) as
    | { type: string; status: string; reason: string; message: string }
    | undefined;
}

/** The value of one series in Prometheus text, or undefined when the series is absent. */
export function metric(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length).trim());
}

/** A job as the simulator's own GET /jobs/{jobId} reports it. */
export interface SimulatorJob {
  state: string;
  pathsDone: number;
  pathsTotal: number;
  pathSteps: number;
}

/** The simulator's report on `jobId`, or undefined when it does not know the job. */
export async function simulatorJob(jobId: string): Promise<SimulatorJob | undefined> {
  const token = readFileSync(stack.simulatorTokenFile, "utf8").trim();
  const r = await fetch(`${stack.rayUrl}/jobs/${jobId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (r.status === 404) return undefined;
  expect(r.status).toBe(200);
  return (await r.json()) as SimulatorJob;
}
