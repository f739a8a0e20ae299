import { describe, expect, it } from "vitest";
import type { PlatformObject } from "../../../src/api/objects.ts";
import type { SimulationStatus } from "../../../src/api/simulation.ts";
import {
  isSpecUnchanged,
  simulationsOnPlatform,
} from "../../../src/controllers/simulation/platform-wake.ts";
import { assessmentSpec } from "../../fixtures/simulations.ts";
import { platformObject, simulation } from "./observations.ts";

const withMeta = (
  p: PlatformObject,
  meta: Partial<PlatformObject["metadata"]>,
): PlatformObject => ({
  ...p,
  metadata: { ...p.metadata, ...meta },
});

describe("isSpecUnchanged: which platform updates wake no simulation", () => {
  const old = platformObject({ maxConcurrentRuns: 5 });

  it("skips a status-only write (same uid, same generation)", () => {
    const written = { ...withMeta(old, { resourceVersion: "2" }), status: { phase: "Ready" } };
    expect(isSpecUnchanged(old, written as PlatformObject)).toBe(true);
  });

  it("wakes on a spec change (a new generation)", () => {
    const changed = withMeta(platformObject({ maxConcurrentRuns: 6 }), { generation: 2 });
    expect(isSpecUnchanged(old, changed)).toBe(false);
  });

  it("wakes when the platform was deleted and created again under the same name", () => {
    expect(isSpecUnchanged(old, withMeta(old, { uid: "p2" }))).toBe(false);
  });

  it("wakes when the generation is unknown", () => {
    const { generation: _g, ...meta } = old.metadata;
    const bare = { ...old, metadata: meta } as PlatformObject;
    expect(isSpecUnchanged(bare, bare)).toBe(false);
  });
});

describe("simulationsOnPlatform", () => {
  const succeeded = {
    phase: "Succeeded",
    observedGeneration: 1,
    conditions: [{ type: "Succeeded", status: "True" }],
  } as unknown as SimulationStatus;
  const onOther = { ...assessmentSpec(), platformRef: { name: "other" } };

  it("lists the unfinished simulations of that platform only", () => {
    const sims = [
      simulation({ name: "waiting" }),
      simulation({ name: "done" }, succeeded),
      simulation({ name: "elsewhere", spec: onOther }),
      simulation({ name: "changed", generation: 2 }, succeeded),
    ];
    expect(simulationsOnPlatform(platformObject(), sims)).toEqual(["risk/waiting", "risk/changed"]);
  });
});
