// The pure core of the simulation reconciler: from one Observation (the
// object, its platform, its SimulationJob rows, the in-memory execution,
// retry gate and slots, the clock) to one Decision: the durable actions to
// carry out, in order, and the status to publish. Nothing adjusts a decision
// after it is made. docs/simulation.md has the state machine as a table.
import type { SimulationObject } from "../../api/objects.ts";
import type { SimulationStatus } from "../../api/simulation.ts";
import { type Admitted, exceedsLimits, type Refused } from "./admit.ts";
import { retryTime, unavailableDelayMs, waitRecheckMs } from "./backoff.ts";
import { type EngineRequest, engineInputs, runIdOf } from "./engine-request.ts";
import type { ExecutionSnapshot, RetryGate } from "./executions.ts";
import type { NewRun, RunRow } from "./ports.ts";
import { Reason } from "./reasons.ts";
import { decideRun, type RunDecision } from "./run-policies.ts";
import { buildStatus, type StatusInput } from "./status.ts";

export type Phase = "Pending" | "Running" | "Succeeded" | "Failed";

export type Action =
  /** Take a slot on the platform. Always first, so no await separates it from observing the slots. */
  | { readonly type: "reserve" }
  /** Cancel the active rows of other generations and forget their executions, gates and waits. */
  | {
      readonly type: "cancelStale";
      readonly runKeys: readonly string[];
      /** Jobs of the stale rows, to stop on the simulator. */
      readonly jobIds: readonly string[];
      /** Whether the rows need cancelling in the database. */
      readonly rows: boolean;
    }
  | { readonly type: "createRow"; readonly run: NewRun }
  | { readonly type: "markStarted"; readonly at: Date }
  /** `row`: the run's row as this decision's writes leave it. */
  | { readonly type: "launch"; readonly request: EngineRequest; readonly row: RunRow }
  /** Persist the full result in the row (from this execution or a reused row). */
  | { readonly type: "complete"; readonly result: unknown }
  | { readonly type: "recordFailure"; readonly message: string }
  | { readonly type: "markPending" }
  | { readonly type: "fail"; readonly reason: Reason; readonly message: string }
  /** The outcome is persisted: free the slot. */
  | { readonly type: "release" }
  /** Abandon the execution; `cancel` also stops the simulator's computation. */
  | { readonly type: "abort"; readonly cancel: boolean }
  | { readonly type: "setGate"; readonly gate: RetryGate | undefined }
  | { readonly type: "wait" }
  | { readonly type: "deleteObject" };

export interface Decision {
  readonly actions: readonly Action[];
  /** The status to publish; written only if it differs from the stored one. */
  readonly status?: SimulationStatus;
  readonly requeueAfterMs?: number;
}

interface Base {
  readonly sim: SimulationObject;
  readonly now: Date;
  /** Uniform [0, 1) for jitter; injected to keep this pure. */
  readonly random: number;
  /** ttlSecondsAfterFinished of the spec, else of the platform. */
  readonly ttlSeconds?: number;
}

export interface ActiveObservation extends Base {
  readonly kind: "active";
  readonly admission: Admitted;
  /** Every row of the object, all generations. */
  readonly rows: readonly RunRow[];
  /** The hash of this generation's computation (its row's, or the one a new row gets). */
  readonly requestHash: string | undefined;
  /** Why the simulator's engine version (needed for a new row's hash) could not be read. */
  readonly versionError: string | undefined;
  readonly reusable: RunRow | undefined;
  readonly execution: ExecutionSnapshot | undefined;
  readonly gate: RetryGate | undefined;
  /** Run keys of other generations still holding memory (slots, gates, places in line). */
  readonly others: readonly string[];
  /** Slots held on the platform by other runs. */
  readonly inFlight: number;
}

export type Observation =
  | (Base & { readonly kind: "terminal" })
  | (Base & {
      readonly kind: "refused";
      readonly refusal: Refused;
      readonly others: readonly string[];
    })
  /** Still in line for a slot on a platform that is still full: nothing was read. */
  | (Base & { readonly kind: "waiting" })
  /** The API server has a newer generation than the cache, or no object: the watch will tell. */
  | (Base & { readonly kind: "outdated" })
  | ActiveObservation;

// The watch event of the newer object enqueues it anyway; this is the net.
const OUTDATED_RECHECK_MS = 1000;

export function decide(o: Observation): Decision {
  switch (o.kind) {
    case "terminal":
      return decideTerminal(o);
    case "refused":
      return withTtl(o, decideRefused(o));
    case "waiting":
      return { actions: [], requeueAfterMs: waitRecheckMs(o.random) };
    case "outdated":
      return { actions: [], requeueAfterMs: OUTDATED_RECHECK_MS };
    case "active":
      return withTtl(o, decideActive(o));
  }
}

/**
 * A decision that finishes the simulation schedules its TTL itself: the
 * watch echo of that status write is skipped (status-echo.ts).
 */
function withTtl(o: Base, d: Decision): Decision {
  const phase = d.status?.phase;
  if (o.ttlSeconds === undefined || (phase !== "Succeeded" && phase !== "Failed")) return d;
  return { ...d, requeueAfterMs: Math.max(1, o.ttlSeconds * 1000) };
}

/** A finished simulation is deleted once its ttlSecondsAfterFinished has passed. */
function decideTerminal(o: Base): Decision {
  const completed = Date.parse(o.sim.status?.completionTime ?? "");
  if (o.ttlSeconds === undefined || Number.isNaN(completed)) return { actions: [] };
  const left = completed + o.ttlSeconds * 1000 - o.now.getTime();
  if (left <= 0) return { actions: [{ type: "deleteObject" }] };
  return { actions: [], requeueAfterMs: left };
}

function decideRefused(o: Base & { refusal: Refused; others: readonly string[] }): Decision {
  const { phase, reason, message } = o.refusal;
  // A refused generation stops the runs of earlier ones; a Pending refusal
  // (no platform yet) touches no database.
  const rows = phase === "Failed";
  const stale = rows || o.others.length > 0 ? [cancelStale(o.others, [], rows)] : [];
  return {
    actions: stale,
    status: statusOf(o, { phase, reason, message, accepted: false }),
  };
}

function decideActive(o: ActiveObservation): Decision {
  const generation = o.sim.metadata.generation;
  const staleRows = o.rows.filter((r) => r.generation !== generation && isActive(r));
  const stale =
    staleRows.length > 0 || o.others.length > 0
      ? [
          cancelStale(
            o.others,
            staleRows.map((r) => r.id),
            staleRows.length > 0,
          ),
        ]
      : [];
  const existing = o.rows.find((r) => r.generation === generation);
  if (existing) return assemble(o, existing, stale, undefined);

  const overLimit = exceedsLimits(o.admission.spec, o.admission.platform);
  if (overLimit) {
    return {
      actions: stale,
      status: statusOf(o, {
        phase: "Failed",
        reason: Reason.InvalidSpec,
        message: overLimit,
        accepted: false,
      }),
    };
  }
  if (o.requestHash === undefined) return versionUnavailable(o, stale);
  const run = newRun(o, o.requestHash);
  return assemble(o, virtualRow(run), stale, run);
}

/** The run's decision with the stale-run cleanup and row creation around it, `reserve` first. */
function assemble(
  o: ActiveObservation,
  row: RunRow,
  stale: readonly Action[],
  created: NewRun | undefined,
): Decision {
  const run = decideRun({ ...o, row });
  const reserve = run.actions.filter((a) => a.type === "reserve");
  const rest = run.actions.filter((a) => a.type !== "reserve");
  // A row created to be submitted at once is created started: one statement.
  const started = created ? rest.find((a) => a.type === "markStarted") : undefined;
  const create: Action[] = created
    ? [{ type: "createRow", run: started ? { ...created, startedAt: started.at } : created }]
    : [];
  const requeue = Math.min(run.requeueAfterMs ?? Infinity, run.quietMs ?? Infinity);
  return {
    actions: [...reserve, ...stale, ...create, ...rest.filter((a) => a !== started)],
    ...(run.quietMs === undefined ? { status: statusOf(o, runStatusInput(run, row, o.now)) } : {}),
    ...(requeue !== Infinity ? { requeueAfterMs: Math.max(1, Math.ceil(requeue)) } : {}),
  };
}

function runStatusInput(
  run: RunDecision,
  row: RunRow,
  now: Date,
): Omit<StatusInput, "generation" | "now"> {
  const submitted = run.actions.some((a) => a.type === "launch");
  return {
    phase: run.phase,
    reason: run.reason,
    message: run.message,
    accepted: true,
    run: {
      id: row.id,
      seed: row.seed,
      attempts: row.attempts + (submitted ? 1 : 0),
      startedAt: row.startedAt ?? (submitted ? now : null),
      completedAt: row.completedAt,
    },
    ...(run.result ? { result: run.result } : {}),
    ...(run.reusedFromJobId ? { reusedFromJobId: run.reusedFromJobId } : {}),
    ...(run.progress ? { progress: run.progress } : {}),
  };
}

function versionUnavailable(o: ActiveObservation, stale: readonly Action[]): Decision {
  const streak = (o.gate?.streak ?? 0) + 1;
  const atMs = o.now.getTime() + unavailableDelayMs(streak, o.random);
  const gate: RetryGate = {
    atMs,
    streak,
    reason: Reason.BackendUnavailable,
    message: `the simulator at ${o.admission.platform.endpoint} is unavailable (${o.versionError ?? "unknown error"}); attempt ${streak}, next at ${retryTime(atMs)}`,
  };
  if (o.gate && o.gate.atMs > o.now.getTime()) {
    return {
      actions: stale,
      status: statusOf(o, {
        phase: "Pending",
        reason: o.gate.reason,
        message: o.gate.message,
        accepted: true,
      }),
      requeueAfterMs: Math.ceil(o.gate.atMs - o.now.getTime()),
    };
  }
  return {
    actions: [...stale, { type: "setGate", gate }],
    status: statusOf(o, {
      phase: "Pending",
      reason: gate.reason,
      message: gate.message,
      accepted: true,
    }),
    requeueAfterMs: Math.ceil(atMs - o.now.getTime()),
  };
}

function newRun(o: ActiveObservation, requestHash: string): NewRun {
  const { metadata } = o.sim;
  const { spec, seed } = o.admission;
  return {
    id: runIdOf(metadata.uid, metadata.generation),
    namespace: metadata.namespace,
    name: metadata.name,
    uid: metadata.uid,
    generation: metadata.generation,
    assessmentId: spec.assessmentId,
    fundedAccountId: spec.fundedAccountId,
    inputData: { ...engineInputs(spec), seed },
    requestHash,
    seed,
  };
}

/** The row createRow will write, as decide sees it before it exists. */
function virtualRow(run: NewRun): RunRow {
  return {
    id: run.id,
    generation: run.generation,
    status: "pending",
    attempts: 0,
    failures: 0,
    result: null,
    failureReason: null,
    error: null,
    createdAt: new Date(0),
    startedAt: null,
    completedAt: null,
    requestHash: run.requestHash,
    seed: run.seed,
  };
}

const cancelStale = (
  runKeys: readonly string[],
  jobIds: readonly string[],
  rows: boolean,
): Action => ({ type: "cancelStale", runKeys, jobIds, rows });

export const isActive = (row: RunRow) => row.status === "pending" || row.status === "running";

function statusOf(o: Base, input: Omit<StatusInput, "generation" | "now">): SimulationStatus {
  return buildStatus(o.sim.status, { ...input, generation: o.sim.metadata.generation, now: o.now });
}

/**
 * The status while the database fails: Pending with the error's reason
 * (DatabaseUnavailable or DatabaseError) and its message, which the store
 * keeps free of hosts, users and SQL. The run fields already published stay.
 */
export function storeFailureStatus(
  o: Base,
  error: { readonly reason: string; readonly message: string },
): SimulationStatus {
  const previous = o.sim.status;
  const sameGeneration = previous?.observedGeneration === o.sim.metadata.generation;
  const run =
    sameGeneration && previous?.jobId !== undefined && previous.seed !== undefined
      ? {
          id: previous.jobId,
          seed: previous.seed,
          attempts: previous.attempts ?? 0,
          startedAt: previous.startTime ? new Date(previous.startTime) : null,
          completedAt: null,
        }
      : undefined;
  return statusOf(o, {
    phase: "Pending",
    reason: error.reason as Reason,
    message: error.message,
    accepted: true,
    ...(run ? { run } : {}),
  });
}
