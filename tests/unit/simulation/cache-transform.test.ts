import { describe, expect, it } from "vitest";
import type { SimulationObject } from "../../../src/api/objects.ts";
import {
  CACHED_WITHOUT_ANNOTATION,
  isStripped,
  simulationCacheTransform,
} from "../../../src/controllers/simulation/cache-transform.ts";
import { summarize } from "../../../src/controllers/simulation/result-summary.ts";
import {
  LAST_APPLIED_ANNOTATION,
  withoutBookkeeping,
} from "../../../src/runtime/cache-transform.ts";
import { assessmentSpec, engineResult, historySpec } from "../../fixtures/simulations.ts";
import { simulation } from "./observations.ts";

/** What the API server sends for an object created with `kubectl apply` and reconciled. */
type Served<S> = SimulationObject & { spec: S; metadata: { managedFields: unknown[] } };

function asServed<S extends object>(spec: S): Served<S> {
  const sim = simulation({ spec });
  return {
    ...sim,
    metadata: {
      ...sim.metadata,
      annotations: {
        [LAST_APPLIED_ANNOTATION]: JSON.stringify({ spec }),
        "team.example/owner": "risk",
      },
      managedFields: [
        { manager: "kubectl-client-side-apply", operation: "Update", fieldsV1: { "f:spec": {} } },
        { manager: "montecarlo-operator", operation: "Update", subresource: "status" },
      ],
    },
    spec,
    status: { phase: "Succeeded", result: summarize(engineResult()) },
  };
}

describe("the informer's copy of a simulation", () => {
  it("of a 10,000-entry history is under 4 KiB of JSON and keeps what reconciling reads", () => {
    const served = asServed(historySpec(10_000));
    expect(JSON.stringify(served).length).toBeGreaterThan(60_000);
    const cached = simulationCacheTransform(structuredClone(served));
    expect(JSON.stringify(cached).length).toBeLessThan(4096);
    expect(isStripped(cached)).toBe(true);
    expect(cached.metadata.annotations).toEqual({
      "team.example/owner": "risk",
      [CACHED_WITHOUT_ANNOTATION]: "spec.trader.history.pnl",
    });
    expect(cached.metadata).not.toHaveProperty("managedFields");
    expect(cached.status).toEqual(served.status);
    const { pnl: _pnl, ...history } = served.spec.trader.history;
    expect(cached.spec).toEqual({ ...served.spec, trader: { ...served.spec.trader, history } });
  });

  it("leaves the decoded object it was given unchanged", () => {
    const served = asServed(historySpec(10));
    const copy = structuredClone(served);
    simulationCacheTransform(served);
    expect(served).toEqual(copy);
  });

  it("of a parametric trader keeps the whole spec and is not marked", () => {
    const served = asServed(assessmentSpec());
    const cached = simulationCacheTransform(served);
    expect(isStripped(cached)).toBe(false);
    expect(cached.spec).toEqual(served.spec);
    expect(cached.metadata.annotations).toEqual({ "team.example/owner": "risk" });
  });
});

describe("withoutBookkeeping", () => {
  it("drops the annotations object when the last-applied configuration was its only key", () => {
    const object = {
      metadata: { name: "p", annotations: { [LAST_APPLIED_ANNOTATION]: "{}" }, managedFields: [] },
      spec: { a: 1 },
    };
    expect(withoutBookkeeping(object)).toEqual({ metadata: { name: "p" }, spec: { a: 1 } });
  });

  it("returns an object with nothing to drop as it is", () => {
    const object = { metadata: { name: "p", annotations: { a: "b" } } };
    expect(withoutBookkeeping(object)).toBe(object);
  });
});
