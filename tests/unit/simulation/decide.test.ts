import { describe, expect, it } from "vitest";
import { decide, type Observation } from "../../../src/controllers/simulation/decide.ts";
import { runIdOf } from "../../../src/controllers/simulation/engine-request.ts";
import {
  decideRun,
  FIRST_STATUS_DELAY_MS,
} from "../../../src/controllers/simulation/run-policies.ts";
import { assessmentSpec, engineResult } from "../../fixtures/simulations.ts";
import {
  action,
  active,
  admitted,
  ago,
  gate,
  NOW,
  published,
  row,
  running,
  SUBMIT,
  settled,
  summary,
  types,
  UID,
  type Want,
} from "./observations.ts";

const withDeadline = (seconds: number) =>
  admitted({ ...assessmentSpec(), activeDeadlineSeconds: seconds });
const TIMEOUT = "no answer within SIMULATOR_TIMEOUT_SECONDS (30 s)";
const WAITING =
  "waiting for a free slot on MonteCarloPlatform default (limits.maxConcurrentRuns 20)";

describe("decide: the run policies of one generation's row", () => {
  it.each<{ name: string; given: Observation; want: Want }>([
    {
      name: "a completed row is Succeeded and calls nothing",
      given: active({ rows: [row({ status: "completed", result: engineResult() })] }),
      want: { phase: "Succeeded", reason: "Completed", actions: [] },
    },
    {
      name: "a completed row ends an execution still in memory",
      given: active({
        rows: [row({ status: "completed", result: engineResult() })],
        execution: running,
      }),
      want: { phase: "Succeeded", reason: "Completed", actions: ["abort"] },
    },
    {
      name: "a failed row shows its failureReason and its message as separate fields",
      given: active({
        rows: [row({ status: "failed", failureReason: "DeadlineExceeded", error: "too slow" })],
      }),
      want: { phase: "Failed", reason: "DeadlineExceeded", message: "too slow", actions: [] },
    },
    {
      name: "a cancelled row (orphan sweep, another replica) is Failed/Cancelled and aborts",
      given: active({ rows: [row({ status: "cancelled" })], execution: running }),
      want: { phase: "Failed", reason: "Cancelled", actions: ["abort"] },
    },
    {
      name: "a successful execution is stored, its slot and gate freed",
      given: active({ execution: settled({ kind: "ok", result: engineResult() }) }),
      want: {
        phase: "Succeeded",
        reason: "Completed",
        actions: ["complete", "release", "setGate"],
      },
    },
    {
      name: "a rejected request is InvalidSpec and not retried",
      given: active({ execution: settled({ kind: "rejected", message: "HTTP 422: paths" }) }),
      want: {
        phase: "Failed",
        reason: "InvalidSpec",
        message: "the simulator rejected the request: HTTP 422: paths",
        actions: ["release", "fail"],
      },
    },
    {
      name: "an unreachable backend returns the row to pending and counts no failure",
      given: active({
        rows: [row({ status: "running", attempts: 1 })],
        execution: settled({ kind: "unavailable", message: "ECONNREFUSED" }),
      }),
      want: {
        phase: "Pending",
        reason: "BackendUnavailable",
        message:
          "the simulator at http://sim is unavailable (ECONNREFUSED); attempt 1, next at 2026-11-28T12:00:05.000Z",
        actions: ["markPending", "release", "setGate"],
        requeueAfterMs: 5_000,
      },
    },
    {
      name: "a failed execution within backoffLimit is recorded and retried behind a gate",
      given: active({ execution: settled({ kind: "failed", message: "HTTP 500: boom" }) }),
      want: {
        phase: "Pending",
        reason: "RetryBackoff",
        message:
          "execution 1 of at most 4 failed (HTTP 500: boom); next attempt at 2026-11-28T12:00:10.000Z",
        actions: ["recordFailure", "release", "setGate"],
        requeueAfterMs: 10_000,
      },
    },
    {
      name: "defect 6: a timed-out execution past backoffLimit is BackoffLimitExceeded",
      given: active({
        rows: [row({ failures: 3 })],
        execution: settled({ kind: "failed", message: TIMEOUT }),
      }),
      want: {
        phase: "Failed",
        reason: "BackoffLimitExceeded",
        message: `4 failed executions, backoffLimit 3; last: ${TIMEOUT}`,
        actions: ["recordFailure", "release", "fail"],
      },
    },
    {
      name: "defect 10: a run that only waited has no deadline, however old its row",
      given: active({
        admission: withDeadline(60),
        rows: [row({ createdAt: ago(3600) })],
        inFlight: 20,
      }),
      want: {
        phase: "Pending",
        reason: "ConcurrencyLimitReached",
        message: WAITING,
        actions: ["wait"],
        requeueAfterMs: 300_000,
      },
    },
    {
      name: "defect 10: the deadline counts from the first submission (startedAt)",
      given: active({
        admission: withDeadline(60),
        rows: [row({ status: "running", createdAt: ago(3600), startedAt: ago(61) })],
        execution: running,
      }),
      want: {
        phase: "Failed",
        reason: "DeadlineExceeded",
        message:
          "the run did not finish within 60 seconds of its first submission (activeDeadlineSeconds)",
        actions: ["abort", "fail"],
      },
    },
    {
      name: "defect 10: a run within its deadline is requeued at the deadline",
      given: active({
        admission: withDeadline(60),
        rows: [row({ status: "running", createdAt: ago(3600), startedAt: ago(20) })],
        execution: running,
      }),
      want: { phase: "Running", reason: "Running", actions: [], requeueAfterMs: 40_000 },
    },
    {
      name: "defect 6: the platform's defaultActiveDeadlineSeconds applies when the spec sets none",
      given: active({
        admission: admitted(assessmentSpec(), { defaultActiveDeadlineSeconds: 30 }),
        rows: [row({ status: "running", startedAt: ago(31) })],
        execution: running,
      }),
      want: { phase: "Failed", reason: "DeadlineExceeded", actions: ["abort", "fail"] },
    },
    {
      name: "the spec's deadline wins over the platform's default",
      given: active({
        admission: admitted(
          { ...assessmentSpec(), activeDeadlineSeconds: 600 },
          { defaultActiveDeadlineSeconds: 30 },
        ),
        rows: [row({ status: "running", startedAt: ago(31) })],
        execution: running,
      }),
      want: { phase: "Running", reason: "Running", actions: [], requeueAfterMs: 569_000 },
    },
    {
      name: "an identical completed run is reused",
      given: active({
        reusable: row({ id: "job-0", status: "completed", result: engineResult() }),
      }),
      want: {
        phase: "Succeeded",
        reason: "ResultReused",
        message: "reused the result of run job-0: identical request, seed and engine version",
        actions: ["complete"],
      },
    },
    {
      name: "a reusable row without a simulator result is not reused",
      given: active({ reusable: row({ id: "job-0", status: "completed", result: { x: 1 } }) }),
      want: { actions: SUBMIT, requeueAfterMs: FIRST_STATUS_DELAY_MS },
    },
    {
      name: "an execution in flight is left alone",
      given: active({ rows: [row({ status: "running", startedAt: ago(5) })], execution: running }),
      want: { phase: "Running", reason: "Running", message: "running on http://sim", actions: [] },
    },
    {
      name: "a closed retry gate waits with the gate's own message",
      given: active({ gate: gate(NOW.getTime() + 7_000) }),
      want: {
        phase: "Pending",
        reason: "BackendUnavailable",
        message: "the simulator is down; next at 12:00:07",
        actions: [],
        requeueAfterMs: 7_000,
      },
    },
    {
      name: "an open retry gate submits",
      given: active({
        sim: published(),
        rows: [row({ attempts: 1, failures: 1, startedAt: ago(30) })],
        gate: gate(NOW.getTime() - 1),
      }),
      want: { phase: "Running", reason: "Running", actions: SUBMIT },
    },
    {
      name: "a run that waited in line is submitted, still shown Pending for its first second",
      given: active({ sim: published() }),
      want: { actions: SUBMIT, requeueAfterMs: FIRST_STATUS_DELAY_MS },
    },
    {
      name: "a new simulation is submitted and publishes nothing for its first second",
      given: active(),
      want: { actions: SUBMIT, requeueAfterMs: FIRST_STATUS_DELAY_MS },
    },
    {
      name: "a new simulation's run in flight stays unpublished until its first second is up",
      given: active({
        rows: [row({ status: "running", startedAt: ago(0.4) })],
        execution: running,
      }),
      want: { actions: [], requeueAfterMs: 600 },
    },
    {
      name: "a new simulation's run in flight after its first second is published Running",
      given: active({ rows: [row({ status: "running", startedAt: ago(1) })], execution: running }),
      want: { phase: "Running", reason: "Running", actions: [] },
    },
    {
      name: "a full platform puts the run in line; the message has no count",
      given: active({ inFlight: 20 }),
      want: {
        phase: "Pending",
        reason: "ConcurrencyLimitReached",
        message: WAITING,
        actions: ["wait"],
        requeueAfterMs: 300_000,
      },
    },
    {
      name: "a row left running by a dead process is submitted again",
      given: active({ rows: [row({ status: "running", attempts: 1, startedAt: ago(50) })] }),
      want: { phase: "Running", reason: "Running", actions: SUBMIT },
    },
  ])("$name", ({ given, want }) => {
    expect(summary(decide(given))).toMatchObject(want);
    expect(types(decide(given))).toEqual(want.actions);
  });
});

describe("decide: action details", () => {
  it("submits exactly reserve, markStarted(now), launch with the row's job id and seed", () => {
    const d = decide(active());
    expect(types(d)).toEqual(SUBMIT);
    expect(action(d, "markStarted")?.at).toEqual(NOW);
    expect(action(d, "launch")?.request).toMatchObject({ jobId: runIdOf(UID, 1), seed: 42 });
    expect(d.status).toBeUndefined();
    expect(d.requeueAfterMs).toBe(FIRST_STATUS_DELAY_MS);
    // The requeue a second later publishes the launched row.
    const launched = action(d, "launch")?.row;
    const second = new Date(NOW.getTime() + FIRST_STATUS_DELAY_MS);
    const next = decide(
      active({ now: second, rows: launched ? [launched] : [], execution: running }),
    );
    expect(next.status).toMatchObject({ phase: "Running", jobId: runIdOf(UID, 1), attempts: 1 });
    expect(next.status?.startTime).toBe(NOW.toISOString());
  });

  it("defect 10: a resubmission keeps the first submission's startedAt", () => {
    const first = ago(50);
    const d = decide(active({ rows: [row({ status: "pending", attempts: 1, startedAt: first })] }));
    expect(action(d, "markStarted")?.at).toEqual(first);
    expect(d.status?.startTime).toBe(first.toISOString());
  });

  it("backs off exponentially while the backend stays down", () => {
    const delay = (streak: number) =>
      decideRun({
        ...active({ execution: settled({ kind: "unavailable", message: "x" }) }),
        gate: { ...gate(NOW.getTime() - 1), streak },
        row: row(),
      }).requeueAfterMs;
    expect([0, 1, 2, 20].map(delay)).toEqual([5_000, 10_000, 20_000, 300_000]);
  });

  it("decideRun marks a reused result with the job it came from", () => {
    const reusable = row({ id: "job-0", status: "completed", result: engineResult() });
    const d = decideRun({ ...active({ reusable }), row: row() });
    expect(d).toMatchObject({
      phase: "Succeeded",
      reason: "ResultReused",
      reusedFromJobId: "job-0",
    });
    expect(decide(active({ reusable })).status?.result?.reusedFromJobId).toBe("job-0");
  });
});
