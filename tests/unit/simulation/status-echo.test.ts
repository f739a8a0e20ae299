import { describe, expect, it } from "vitest";
import type { SimulationObject } from "../../../src/api/objects.ts";
import type { SimulationStatus } from "../../../src/api/simulation.ts";
import { FINALIZER } from "../../../src/controllers/simulation/reasons.ts";
import {
  isFinalizerEcho,
  isOwnEcho,
  isStatusEcho,
} from "../../../src/controllers/simulation/status-echo.ts";
import { simulation } from "./observations.ts";

/** A status as the controller writes it: a finished phase has its condition True. */
const status = (phase: string, observedGeneration = 1) =>
  ({
    phase,
    observedGeneration,
    conditions: ["Succeeded", "Failed"].includes(phase) ? [{ type: phase, status: "True" }] : [],
  }) as unknown as SimulationStatus;

const withStatus = (s: SimulationStatus | undefined, sim = simulation()): SimulationObject => ({
  ...sim,
  metadata: { ...sim.metadata, resourceVersion: "2" },
  ...(s ? { status: s } : {}),
});

describe("isStatusEcho: which updates need no reconcile", () => {
  const old = simulation();

  it.each([
    ["Succeeded", "Failed"],
    ["Failed", "Failed"],
  ])("reconciles a change from a finished status (%s) to %s", (before, after) => {
    expect(isStatusEcho(withStatus(status(before)), withStatus(status(after)))).toBe(false);
  });

  it.each(["Pending", "Running"])("skips the echo of the controller's own %s status", (phase) => {
    expect(isStatusEcho(old, withStatus(status(phase)))).toBe(true);
  });

  it.each(["Succeeded", "Failed"])(
    "skips the echo of the write that finishes the generation (%s: its reconcile scheduled the TTL)",
    (phase) => {
      expect(isStatusEcho(withStatus(status("Running")), withStatus(status(phase)))).toBe(true);
      expect(isStatusEcho(old, withStatus(status(phase)))).toBe(true);
    },
  );

  it.each<[string, SimulationObject]>([
    ["a terminal status of an older generation", withStatus(status("Succeeded", 0))],
    ["a status someone emptied", withStatus(undefined)],
    ["a status of an older generation", withStatus(status("Running", 0))],
    ["a spec change", withStatus(status("Running"), simulation({ generation: 2 }))],
    [
      "a deletion",
      (() => {
        const s = withStatus(status("Running"));
        return { ...s, metadata: { ...s.metadata, deletionTimestamp: "2026-11-30T00:00:00Z" } };
      })(),
    ],
    [
      "a finalizer change",
      (() => {
        const s = withStatus(status("Running"));
        return { ...s, metadata: { ...s.metadata, finalizers: [] } };
      })(),
    ],
    ["a recreated object (new uid)", withStatus(status("Running"), simulation({ uid: "u2" }))],
  ])("reconciles %s", (_name, sim) => {
    expect(isStatusEcho(old, sim)).toBe(false);
  });
});

describe("isFinalizerEcho: the update of the controller's own finalizer patch", () => {
  const withFinalizers = (finalizers: string[], sim = simulation()): SimulationObject => ({
    ...sim,
    metadata: { ...sim.metadata, finalizers },
  });
  const bare = withFinalizers([]);
  const patched = (finalizers: string[], sim = simulation()) => ({
    ...withFinalizers(finalizers, sim),
    metadata: { ...withFinalizers(finalizers, sim).metadata, resourceVersion: "2" },
  });

  it("skips the echo of our finalizer added after the others", () => {
    const other = withFinalizers(["example.com/keep"]);
    expect(isOwnEcho(bare, patched([FINALIZER]))).toBe(true);
    expect(isFinalizerEcho(other, patched(["example.com/keep", FINALIZER]))).toBe(true);
  });

  it.each<[string, SimulationObject]>([
    ["someone else's finalizer", patched(["example.com/keep"])],
    ["ours and another at once", patched([FINALIZER, "example.com/keep"])],
    ["a status change in the same update", { ...patched([FINALIZER]), status: status("Running") }],
    ["a spec change", patched([FINALIZER], simulation({ generation: 2 }))],
    ["our finalizer, there already", patched([FINALIZER])],
  ])("reconciles %s", (name, sim) => {
    const old = name.endsWith("there already") ? withFinalizers([FINALIZER]) : bare;
    expect(isOwnEcho(old, sim)).toBe(false);
  });
});
