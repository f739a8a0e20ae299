import { describe, expect, it } from "vitest";
import { admit } from "../../../src/controllers/simulation/admit.ts";
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

  it("refuses paths above the platform's limit, naming both", () => {
    const a = admit(assessmentSpec(), { spec: { ...platformSpec(), limits: { maxPaths: 1000 } } });
    expect(a).toMatchObject({ admitted: false, reason: "InvalidSpec" });
    expect(a.admitted ? "" : a.message).toMatch(
      /spec\.simulation\.paths 2000 .*limits\.maxPaths 1000/,
    );
  });

  it("derives a stable seed from the spec when none is given, and hashes seed into the request", () => {
    const { seed: _seed, ...simulation } = assessmentSpec().simulation;
    const spec = { ...assessmentSpec(), simulation };
    const a = admit(spec, platform);
    const b = admit(structuredClone(spec), platform);
    if (!a.admitted || !b.admitted) throw new Error("expected admission");
    expect(a.seed).toBe(b.seed);
    expect(Number.isSafeInteger(a.seed)).toBe(true);
    const other = admit(
      { ...spec, simulation: { ...spec.simulation, seed: a.seed + 1 } },
      platform,
    );
    if (!other.admitted) throw new Error(`expected admission: ${other.message}`);
    expect(other.requestHash).not.toBe(a.requestHash);
  });
});
