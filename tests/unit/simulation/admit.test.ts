import { describe, expect, it } from "vitest";
import { admit, exceedsLimits } from "../../../src/controllers/simulation/admit.ts";
import { engineInputs, requestHash } from "../../../src/controllers/simulation/engine-request.ts";
import { assessmentSpec, fundedSpec, platformSpec } from "../../fixtures/simulations.ts";

const platform = { spec: platformSpec() };

describe("admit", () => {
  it.each([
    ["an assessment", assessmentSpec()],
    ["a funded account", fundedSpec()],
  ])("admits %s", (_name, spec) => {
    const a = admit(spec, platform);
    expect(a.admitted).toBe(true);
  });

  it.each([
    [
      "both ids",
      { ...assessmentSpec(), fundedAccountId: "fa-1" },
      "exactly one of spec.assessmentId and spec.fundedAccountId",
    ],
    [
      "winRate above 1",
      (() => {
        const s = assessmentSpec();
        s.trader.parametric.winRate = 1.5;
        return s;
      })(),
      "spec.trader.parametric.winRate",
    ],
    [
      "a negative balance",
      { ...assessmentSpec(), account: { initialBalance: -5 } },
      "spec.account.initialBalance",
    ],
    [
      "an unknown enum",
      (() => {
        const s = assessmentSpec();
        s.rules.maxLoss.mode = "Sometimes";
        return s;
      })(),
      "spec.rules.maxLoss.mode",
    ],
    [
      "profitTarget on a funded account",
      { ...fundedSpec(), rules: { ...fundedSpec().rules, profitTarget: 5 } },
      "spec.rules.profitTarget is forbidden",
    ],
  ])("refuses %s as InvalidSpec naming the field", (_name, spec, field) => {
    const a = admit(spec, platform);
    expect(a).toMatchObject({ admitted: false, phase: "Failed", reason: "InvalidSpec" });
    expect(a.admitted ? "" : a.message).toContain(field);
  });

  it("waits for a missing platform", () => {
    expect(admit(assessmentSpec(), undefined)).toMatchObject({
      admitted: false,
      phase: "Pending",
      reason: "PlatformNotFound",
    });
  });

  it.each([
    {
      name: "paths",
      limits: { maxPaths: 1000 },
      message:
        "spec.simulation.paths 2000 exceeds MonteCarloPlatform default's limits.maxPaths 1000",
    },
    {
      name: "days simulated",
      limits: { maxHorizonDays: 20 },
      message:
        "the days simulated (30, from spec.simulation.horizonDays or spec.rules.maxTradingDays) exceed MonteCarloPlatform default's limits.maxHorizonDays 20",
    },
    {
      name: "path-steps",
      limits: { maxPathSteps: 179_999 },
      message:
        "the work asked for, 180000 path-steps (spec.simulation.paths 2000 x 30 days x spec.trader.tradesPerDay.mean 3), exceeds MonteCarloPlatform default's limits.maxPathSteps 179999",
    },
    {
      name: "nothing at the limits",
      limits: { maxPaths: 2000, maxPathSteps: 180_000 },
      message: undefined,
    },
  ])("exceedsLimits names the number and the limit: $name", ({ limits, message }) => {
    const a = admit(assessmentSpec(), { spec: { ...platformSpec(), limits } });
    if (!a.admitted) throw new Error(a.message);
    expect(exceedsLimits(a.spec, a.platform)).toBe(message);
  });

  it("derives a stable seed from the spec when none is given; seed and engine version change the hash", () => {
    const { seed: _seed, ...simulation } = assessmentSpec().simulation;
    const spec = { ...assessmentSpec(), simulation };
    const a = admit(spec, platform);
    const b = admit(structuredClone(spec), platform);
    if (!a.admitted || !b.admitted) throw new Error("expected admission");
    expect(a.seed).toBe(b.seed);
    expect(Number.isSafeInteger(a.seed)).toBe(true);
    const hash = (seed: number, version: string) =>
      requestHash({ seed, ...engineInputs(a.spec) }, version);
    expect(hash(a.seed, "v1")).toBe(hash(b.seed, "v1"));
    expect(hash(a.seed + 1, "v1")).not.toBe(hash(a.seed, "v1"));
    expect(hash(a.seed, "v2")).not.toBe(hash(a.seed, "v1"));
  });
});
