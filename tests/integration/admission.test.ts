// What the CRD schema and its CEL rules refuse at admission, with messages
// that name the field.
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assessmentSpec, fundedSpec } from "../fixtures/simulations.ts";
import { createNamespace, kubectl, platform, simulation, unique } from "./harness.ts";

const withAssessment = (edit: (s: ReturnType<typeof assessmentSpec>) => void) => {
  const s = assessmentSpec();
  edit(s);
  return s;
};

describe("admission", () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace("admission");
  });

  it.each<[string, object, RegExp]>([
    [
      "both ids",
      { ...assessmentSpec(), fundedAccountId: "fa-1" },
      /exactly one of spec\.assessmentId and spec\.fundedAccountId/,
    ],
    [
      "neither id",
      (() => {
        const { assessmentId: _, ...rest } = assessmentSpec();
        return rest;
      })(),
      /exactly one of spec\.assessmentId and spec\.fundedAccountId/,
    ],
    [
      "winRate above 1",
      withAssessment((s) => {
        s.trader.parametric.winRate = 1.5;
      }),
      /spec\.trader\.parametric\.winRate: Invalid value: 1\.5: .*less than or equal to 1/,
    ],
    [
      "a zero balance",
      withAssessment((s) => {
        s.account.initialBalance = 0;
      }),
      /spec\.account\.initialBalance: Invalid value: 0/,
    ],
    [
      "a negative balance",
      withAssessment((s) => {
        s.account.initialBalance = -1;
      }),
      /spec\.account\.initialBalance/,
    ],
    [
      "paths above the bound",
      withAssessment((s) => {
        s.simulation.paths = 5_000_000;
      }),
      /spec\.simulation\.paths: Invalid value: 5000000/,
    ],
    [
      "an unknown maxLoss mode",
      withAssessment((s) => {
        s.rules.maxLoss.mode = "Sometimes";
      }),
      /spec\.rules\.maxLoss\.mode: Unsupported value: "Sometimes"/,
    ],
    [
      "an unknown distribution",
      withAssessment((s) => {
        s.trader.tradesPerDay.distribution = "Gaussian";
      }),
      /spec\.trader\.tradesPerDay\.distribution: Unsupported value/,
    ],
    [
      "a fractional Fixed trade count",
      withAssessment((s) => {
        s.trader.tradesPerDay.mean = 2.5;
      }),
      /spec\.trader\.tradesPerDay\.mean: .*whole number/,
    ],
    [
      "profitTarget missing on an assessment",
      withAssessment((s) => void delete (s.rules as { profitTarget?: number }).profitTarget),
      /spec\.rules\.profitTarget is required with spec\.assessmentId/,
    ],
    [
      "profitTarget on a funded account",
      { ...fundedSpec(), rules: { ...fundedSpec().rules, profitTarget: 10 } },
      /spec\.rules\.profitTarget is forbidden/,
    ],
    [
      "a funded account without a horizon",
      { ...fundedSpec(), simulation: { paths: 100 } },
      /spec\.simulation\.horizonDays is required with spec\.fundedAccountId/,
    ],
    [
      "both trader models",
      withAssessment((s) => void Object.assign(s.trader, { history: { pnl: [1, -1] } })),
      /exactly one of trader\.parametric and trader\.history/,
    ],
    [
      "an empty history",
      { ...fundedSpec(), trader: { tradesPerDay: { mean: 1 }, history: { pnl: [] } } },
      /spec\.trader\.history\.pnl/,
    ],
    [
      "minTradingDays above maxTradingDays",
      withAssessment((s) => {
        s.rules.minTradingDays = 40;
      }),
      /rules\.minTradingDays must not exceed rules\.maxTradingDays/,
    ],
  ])("refuses %s", async (_name, spec, message) => {
    const r = await kubectl(["create", "-f", "-"], stringify(simulation(ns, unique("bad"), spec)));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it("admits the valid examples", async () => {
    for (const spec of [assessmentSpec(), fundedSpec()]) {
      const r = await kubectl(
        ["create", "--dry-run=server", "-f", "-"],
        stringify(simulation(ns, unique("ok"), spec)),
      );
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
  });

  it.each<[string, object, RegExp]>([
    [
      "min above max",
      { minReplicas: 5, maxReplicas: 2 },
      /autoscaling\.minReplicas must not exceed autoscaling\.maxReplicas/,
    ],
    [
      "initial outside",
      { minReplicas: 1, maxReplicas: 3, initialReplicas: 9 },
      /initialReplicas must lie between/,
    ],
    ["zero max", { minReplicas: 0, maxReplicas: 0 }, /spec\.autoscaling\.maxReplicas/],
    [
      "non-positive target",
      { targetOngoingRequests: 0 },
      /spec\.autoscaling\.targetOngoingRequests/,
    ],
  ])("refuses a platform with %s", async (_name, autoscaling, message) => {
    const p = platform(unique("bad-platform"), {
      rayService: { namespace: "ray", name: "rs" },
      autoscaling,
    });
    const r = await kubectl(["create", "--dry-run=server", "-f", "-"], stringify(p));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
