import { describe, expect, it } from "vitest";
import { type Admitted, admit } from "../../../src/controllers/simulation/admit.ts";
import { decideRun, type RunObservation } from "../../../src/controllers/simulation/decide.ts";
import type { RunRow } from "../../../src/controllers/simulation/ports.ts";
import { assessmentSpec, engineResult, platformSpec } from "../../fixtures/simulations.ts";

const NOW = Date.parse("2026-11-28T12:00:00Z");
const admitted = (spec: object = assessmentSpec(), platform = platformSpec()) => {
  const a = admit(spec, { spec: platform });
  if (!a.admitted) throw new Error(a.message);
  return a as Admitted;
};
const row = (over: Partial<RunRow> = {}): RunRow => ({
  id: "job-1",
  status: "pending",
  attempts: 0,
  failures: 0,
  result: null,
  error: null,
  createdAt: new Date(NOW - 1000),
  completedAt: null,
  requestHash: "h",
  seed: 42,
  ...over,
});
const observe = (over: Partial<RunObservation> = {}): RunObservation => ({
  admission: admitted(),
  run: row(),
  reusable: undefined,
  execution: undefined,
  gate: undefined,
  runningOnPlatform: 0,
  nowMs: NOW,
  random: 0,
  ...over,
});
const types = (o: RunObservation) => decideRun(o).actions.map((a) => a.type);

describe("decideRun", () => {
  it.each<[string, Partial<RunObservation>, string, string, string[]]>([
    ["a fresh run is submitted", {}, "Running", "Running", ["submit"]],
    [
      "a row left running by a dead process is submitted again",
      { run: row({ status: "running", attempts: 1 }) },
      "Running",
      "Running",
      ["submit"],
    ],
    [
      "an execution in flight is left alone",
      { execution: { state: "running", platform: "default" } },
      "Running",
      "Running",
      [],
    ],
    [
      "a completed row is Succeeded without calling anything",
      { run: row({ status: "completed", result: engineResult() }) },
      "Succeeded",
      "Completed",
      [],
    ],
    [
      "a cancelled row is Failed/Cancelled",
      { run: row({ status: "cancelled" }) },
      "Failed",
      "Cancelled",
      [],
    ],
    [
      "a failed row keeps its reason",
      { run: row({ status: "failed", error: "DeadlineExceeded: too slow" }) },
      "Failed",
      "DeadlineExceeded",
      [],
    ],
    [
      "a successful execution is stored",
      {
        execution: {
          state: "settled",
          platform: "default",
          outcome: { kind: "ok", result: engineResult() },
        },
      },
      "Succeeded",
      "Completed",
      ["complete", "clearExecution", "setGate"],
    ],
    [
      "a rejected request is InvalidSpec and not retried",
      {
        execution: {
          state: "settled",
          platform: "default",
          outcome: { kind: "rejected", message: "HTTP 422" },
        },
      },
      "Failed",
      "InvalidSpec",
      ["clearExecution", "fail"],
    ],
    [
      "an unavailable backend waits without counting a failure",
      {
        execution: {
          state: "settled",
          platform: "default",
          outcome: { kind: "unavailable", message: "ECONNREFUSED" },
        },
      },
      "Pending",
      "BackendUnavailable",
      ["clearExecution", "setGate"],
    ],
    [
      "a failed execution within the limit is retried later",
      {
        execution: {
          state: "settled",
          platform: "default",
          outcome: { kind: "failed", message: "HTTP 500" },
        },
      },
      "Pending",
      "RetryBackoff",
      ["recordFailure", "clearExecution", "setGate"],
    ],
    [
      "a failed execution beyond backoffLimit fails the run",
      {
        run: row({ failures: 3 }),
        execution: {
          state: "settled",
          platform: "default",
          outcome: { kind: "failed", message: "HTTP 500" },
        },
      },
      "Failed",
      "BackoffLimitExceeded",
      ["clearExecution", "fail"],
    ],
    [
      "an identical completed run is reused",
      { reusable: row({ id: "job-0", status: "completed", result: engineResult() }) },
      "Succeeded",
      "ResultReused",
      ["complete"],
    ],
    [
      "a closed retry gate waits",
      { gate: { atMs: NOW + 5000, streak: 2, reason: "BackendUnavailable", message: "down" } },
      "Pending",
      "BackendUnavailable",
      [],
    ],
    [
      "an open retry gate submits",
      { gate: { atMs: NOW - 1, streak: 2, reason: "BackendUnavailable", message: "down" } },
      "Running",
      "Running",
      ["submit"],
    ],
    ["a full platform waits", { runningOnPlatform: 20 }, "Pending", "ConcurrencyLimitReached", []],
  ])("%s", (_name, over, phase, reason, actions) => {
    const o = observe(over);
    expect(decideRun(o)).toMatchObject({ phase, reason });
    expect(types(o)).toEqual(actions);
  });

  it("fails at the deadline and abandons the execution", () => {
    const spec = { ...assessmentSpec(), activeDeadlineSeconds: 60 };
    const o = observe({
      admission: admitted(spec),
      run: row({ createdAt: new Date(NOW - 61_000) }),
      execution: { state: "running", platform: "default" },
    });
    expect(decideRun(o)).toMatchObject({ phase: "Failed", reason: "DeadlineExceeded" });
    expect(types(o)).toEqual(["abort", "fail"]);
  });

  it("requeues a running simulation at its deadline", () => {
    const spec = { ...assessmentSpec(), activeDeadlineSeconds: 60 };
    const d = decideRun(
      observe({ admission: admitted(spec), execution: { state: "running", platform: "default" } }),
    );
    expect(d.requeueAfterMs).toBe(59_000);
  });

  it("backs off exponentially while the backend stays down", () => {
    const delay = (streak: number) =>
      decideRun(
        observe({
          gate: { atMs: NOW - 1, streak, reason: "BackendUnavailable", message: "down" },
          execution: {
            state: "settled",
            platform: "default",
            outcome: { kind: "unavailable", message: "x" },
          },
        }),
      ).requeueAfterMs;
    expect(delay(0)).toBe(5_000);
    expect(delay(1)).toBe(10_000);
    expect(delay(2)).toBe(20_000);
    expect(delay(20)).toBe(300_000);
  });

  it("keeps the same status message while waiting behind a gate", () => {
    const settled = decideRun(
      observe({
        execution: {
          state: "settled",
          platform: "default",
          outcome: { kind: "unavailable", message: "ECONNREFUSED" },
        },
      }),
    );
    const gate = settled.actions.find((a) => a.type === "setGate");
    if (gate?.type !== "setGate" || !gate.gate) throw new Error("expected a gate");
    expect(settled.message).toMatch(
      /unavailable \(ECONNREFUSED\); attempt 1, next at 2026-11-28T12:00:05\.000Z/,
    );
    for (const later of [1, 1000, 4000]) {
      const waiting = decideRun(observe({ gate: gate.gate, nowMs: NOW + later }));
      expect(waiting).toMatchObject({
        phase: "Pending",
        reason: "BackendUnavailable",
        message: settled.message,
      });
    }
  });

  it("never reuses a result that is not a simulator result", () => {
    const d = decideRun(
      observe({ reusable: row({ id: "job-0", status: "completed", result: { bogus: 1 } }) }),
    );
    expect(d.phase).not.toBe("Succeeded");
  });
});
