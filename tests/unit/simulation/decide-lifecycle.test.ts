import { describe, expect, it } from "vitest";
import { decide, type Observation } from "../../../src/controllers/simulation/decide.ts";
import { runIdOf } from "../../../src/controllers/simulation/engine-request.ts";
import { assessmentSpec, engineResult } from "../../fixtures/simulations.ts";
import {
  action,
  active,
  admitted,
  ago,
  gate,
  NOW,
  refused,
  row,
  running,
  SUBMIT,
  settled,
  simulation,
  summary,
  terminal,
  types,
  UID,
  type Want,
} from "./observations.ts";

describe("decide: generations, admission, engine version, TTL, refusals", () => {
  it.each<{ name: string; given: Observation; want: Want }>([
    {
      name: "a new generation reserves, then writes its row already started, then launches",
      given: active({
        sim: simulation({ generation: 2 }, { observedGeneration: 1, phase: "Succeeded" }),
        rows: [],
      }),
      want: {
        phase: "Running",
        reason: "Running",
        actions: ["reserve", "createRow", "launch"],
      },
    },
    {
      name: "a new simulation's first run is launched the same way, its status held back",
      given: active({ rows: [] }),
      want: { actions: ["reserve", "createRow", "launch"], requeueAfterMs: 1000 },
    },
    {
      name: "defect 7: a new run over maxPathSteps is Failed/InvalidSpec naming both numbers, no row",
      given: active({ rows: [], admission: admitted(assessmentSpec(), { maxPathSteps: 100_000 }) }),
      want: {
        phase: "Failed",
        reason: "InvalidSpec",
        message:
          "the work asked for, 180000 path-steps (spec.simulation.paths 2000 x 30 days x spec.trader.tradesPerDay.mean 3), exceeds MonteCarloPlatform default's limits.maxPathSteps 100000",
        actions: [],
      },
    },
    {
      name: "defect 2: a limit lowered after admission does not stop the run of an existing row",
      given: active({
        admission: admitted(assessmentSpec(), { maxPathSteps: 100_000, maxPaths: 10 }),
        rows: [row({ status: "running", startedAt: ago(5) })],
        execution: running,
      }),
      want: { phase: "Running", reason: "Running", actions: [] },
    },
    {
      name: "defect 2: an admitted run whose limit was lowered still stores its result",
      given: active({
        admission: admitted(assessmentSpec(), { maxPaths: 10 }),
        execution: settled({ kind: "ok", result: engineResult() }),
      }),
      want: {
        phase: "Succeeded",
        reason: "Completed",
        actions: ["complete", "release", "setGate"],
      },
    },
    {
      name: "defect 8: an unreadable engine version keeps a new run Pending behind a gate",
      given: active({
        rows: [],
        requestHash: undefined,
        versionError: "cannot read its engine version: ECONNREFUSED",
      }),
      want: {
        phase: "Pending",
        reason: "BackendUnavailable",
        message:
          "the simulator at http://sim is unavailable (cannot read its engine version: ECONNREFUSED); attempt 1, next at 2026-11-28T12:00:05.000Z",
        actions: ["setGate"],
        requeueAfterMs: 5_000,
      },
    },
    {
      name: "defect 13: a finished simulation without a TTL is kept",
      given: terminal(undefined, ago(86_400)),
      want: { actions: [] },
    },
    {
      name: "defect 13: a finished simulation past its TTL is deleted",
      given: terminal(5, ago(6)),
      want: { actions: ["deleteObject"] },
    },
    {
      name: "defect 13: a finished simulation within its TTL is requeued for its expiry",
      given: terminal(5, ago(2)),
      want: { actions: [], requeueAfterMs: 3_000 },
    },
    {
      name: "a missing platform is Pending/PlatformNotFound and touches nothing",
      given: refused(assessmentSpec(), false),
      want: {
        phase: "Pending",
        reason: "PlatformNotFound",
        message: "MonteCarloPlatform default not found (spec.platformRef.name)",
        actions: [],
      },
    },
    {
      name: "an invalid spec is Failed/InvalidSpec and cancels earlier generations",
      given: refused({ ...assessmentSpec(), fundedAccountId: "fa" }, true, ["risk/asm#u1/1"]),
      want: { phase: "Failed", reason: "InvalidSpec", actions: ["cancelStale"] },
    },
    {
      name: "a waiter on a full platform re-checks later and writes nothing",
      given: { kind: "waiting", sim: simulation(), now: NOW, random: 0 },
      want: { actions: [], requeueAfterMs: 300_000 },
    },
  ])("$name", ({ given, want }) => {
    expect(summary(decide(given))).toMatchObject(want);
    expect(types(decide(given))).toEqual(want.actions);
  });
});

describe("decide: generations and admission in detail", () => {
  it("defect 3: a new generation cancels the active rows of other generations with their jobs", () => {
    const old = row({ generation: 1, status: "running", startedAt: ago(30) });
    const done = row({ generation: 0, id: "job-0", status: "completed", result: engineResult() });
    const d = decide(
      active({
        sim: simulation({ generation: 2 }),
        rows: [done, old],
        others: ["risk/asm#u1/1"],
      }),
    );
    expect(types(d)).toEqual(["reserve", "cancelStale", "createRow", "launch"]);
    expect(action(d, "cancelStale")).toEqual({
      type: "cancelStale",
      runKeys: ["risk/asm#u1/1"],
      jobIds: [runIdOf(UID, 1)],
      rows: true,
    });
    expect(action(d, "createRow")?.run).toMatchObject({
      id: runIdOf(UID, 2),
      generation: 2,
      requestHash: "h1",
      startedAt: NOW,
    });
  });

  it("defect 2: over-limit is judged on a new row only; the same spec with its row runs on", () => {
    const tight = admitted(assessmentSpec(), { maxPaths: 1000 });
    const fresh = decide(active({ admission: tight, rows: [] }));
    expect(summary(fresh)).toMatchObject({ phase: "Failed", reason: "InvalidSpec", actions: [] });
    expect(fresh.status?.message).toBe(
      "spec.simulation.paths 2000 exceeds MonteCarloPlatform default's limits.maxPaths 1000",
    );
    expect(types(decide(active({ admission: tight })))).toEqual(SUBMIT);
  });

  it("a closed version gate shows the gate and sets no new one", () => {
    const d = decide(
      active({
        rows: [],
        requestHash: undefined,
        versionError: "x",
        gate: gate(NOW.getTime() + 2_000),
      }),
    );
    expect(summary(d)).toMatchObject({
      reason: "BackendUnavailable",
      message: "the simulator is down; next at 12:00:07",
      actions: [],
      requeueAfterMs: 2_000,
    });
  });
});
