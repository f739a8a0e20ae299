import { describe, expect, it } from "vitest";
import type { SimulationObject } from "../../../src/api/objects.ts";
import type { SimulationStatus } from "../../../src/api/simulation.ts";
import { isStatusEcho } from "../../../src/controllers/simulation/status-echo.ts";
import { simulation } from "./observations.ts";

const status = (phase: string, observedGeneration = 1) =>
  ({ phase, observedGeneration, conditions: [] }) as unknown as SimulationStatus;

const withStatus = (s: SimulationStatus | undefined, sim = simulation()): SimulationObject => ({
  ...sim,
  metadata: { ...sim.metadata, resourceVersion: "2" },
  ...(s ? { status: s } : {}),
});

describe("isStatusEcho: which updates need no reconcile", () => {
  const old = simulation();

  it.each(["Pending", "Running"])("skips the echo of the controller's own %s status", (phase) => {
    expect(isStatusEcho(old, withStatus(status(phase)))).toBe(true);
  });

  it.each<[string, SimulationObject]>([
    ["a terminal status (its reconcile schedules the TTL)", withStatus(status("Succeeded"))],
    ["a Failed status", withStatus(status("Failed"))],
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
