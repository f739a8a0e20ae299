// The narrow ports the simulation reconciler talks through. Adapters in
// src/adapters implement them for Prisma, Ray Serve and Kubernetes; tests
// use in-memory fakes.
import type { SimulationObject } from "../../api/objects.ts";
import type { SimulationStatus } from "../../api/simulation.ts";
import { Reasons, TerminalError, TransientError } from "../../runtime/errors.ts";
import type { EngineRequest } from "./engine-request.ts";
import { Reason } from "./reasons.ts";
import type { EngineResult } from "./result-summary.ts";

export type RunStatus = "pending" | "running" | "completed" | "failed" | "cancelled";

/** A SimulationJob row as the reconciler sees it. */
export interface RunRow {
  readonly id: string;
  readonly generation: number;
  readonly status: RunStatus;
  readonly attempts: number;
  readonly failures: number;
  readonly result: unknown;
  /** Why a failed row failed (a Reason), kept apart from its message. */
  readonly failureReason: string | null;
  readonly error: string | null;
  readonly createdAt: Date;
  /** First submission: activeDeadlineSeconds counts from here. */
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly requestHash: string;
  readonly seed: number;
}

export interface NewRun {
  /** Derived from (uid, generation): creating twice finds the same row. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly assessmentId: string | undefined;
  readonly fundedAccountId: string | undefined;
  readonly inputData: unknown;
  readonly requestHash: string;
  readonly seed: number;
  /** Set when the run is submitted as it is created: the row starts running, attempt 1. */
  readonly startedAt?: Date;
}

/** An active row, as the orphan sweep lists them. */
export interface ActiveRun {
  readonly id: string;
  readonly uid: string;
  readonly namespace: string;
  readonly createdAt: Date;
}

export interface RunsAndReusable {
  readonly rows: RunRow[];
  readonly reusable: RunRow | undefined;
}

export interface SimulationStore {
  /** Every row of the object, all generations. */
  runsOf(uid: string): Promise<RunRow[]>;
  /** Creates the row of (uid, generation) unless it exists (pending, or running with startedAt); safe to call again. */
  createRun(run: NewRun): Promise<void>;
  /** The newest completed row of another run with the same request hash, if any. */
  findReusable(requestHash: string, excludeId: string): Promise<RunRow | undefined>;
  /** runsOf and findReusable in one statement. */
  runsWithReusable(uid: string, requestHash: string, excludeId: string): Promise<RunsAndReusable>;
  /** An execution starts: attempts + 1, status running, startedAt as given (decide keeps the first). */
  markStarted(id: string, startedAt: Date): Promise<void>;
  /** Stores the full result unless the row is already terminal; false when it was (nothing written). */
  complete(id: string, result: unknown): Promise<boolean>;
  /** An execution failed and will be retried: failures + 1, status pending. */
  recordFailure(id: string, message: string): Promise<void>;
  /** The backend was unreachable: back to pending, no failure counted. */
  markPending(id: string): Promise<void>;
  /** Terminal failure. */
  fail(id: string, reason: string, message: string): Promise<void>;
  /** Active rows of the object's other generations become cancelled. */
  cancelOtherGenerations(uid: string, generation: number): Promise<number>;
  /** Every active row of the object becomes cancelled. */
  cancelAll(uid: string): Promise<number>;
  /** Active rows of every object, oldest first (the orphan sweep). */
  activeRuns(): Promise<ActiveRun[]>;
  cancelRuns(ids: readonly string[]): Promise<number>;
  ping(): Promise<void>;
}

/** The database cannot be reached (connection refused, reset, timed out): retry. */
export class StoreUnavailableError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Reason.DatabaseUnavailable, message, options);
  }
}

/** The database answered with an error a retry will not fix (constraint, schema). */
export class StoreError extends TerminalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Reason.DatabaseError, message, options);
  }
}

/**
 * The row was no longer active when a result was to be stored (made
 * terminal elsewhere: the orphan sweep, by hand): read it again.
 */
export class RunChangedError extends TransientError {
  constructor(message: string) {
    super(Reasons.Conflict, message);
  }
}

/** How one POST /simulate ended. */
export type SimulateOutcome =
  | { readonly kind: "ok"; readonly result: EngineResult }
  /** Ray Serve down, 503, 429: wait and retry; not a failed execution. */
  | { readonly kind: "unavailable"; readonly message: string }
  /** 4xx for the request itself: the spec cannot run (InvalidSpec). */
  | { readonly kind: "rejected"; readonly message: string }
  /** The execution failed (500, bad response, no answer in time): counts against backoffLimit. */
  | { readonly kind: "failed"; readonly message: string };

/** A job as the simulator reports it (GET /jobs/{jobId}). */
export interface JobProgress {
  readonly state: "running" | "succeeded" | "failed" | "cancelled";
  readonly pathsDone: number;
  readonly pathsTotal: number;
  /** When the simulator started the job. */
  readonly startTime: Date;
  /** When this report was read: the estimate is made from it, not from each reconcile's clock. */
  readonly observedAt: Date;
}

export interface SimulatorClient {
  simulate(endpoint: string, request: EngineRequest, signal: AbortSignal): Promise<SimulateOutcome>;
  /** The engine version the simulator runs (GET /version); throws when unreachable. */
  engineVersion(endpoint: string): Promise<string>;
  /** Stops the job's computation if it still runs (DELETE /jobs/{jobId}); best effort. */
  cancel(endpoint: string, jobId: string): Promise<void>;
  /** How far the job is (GET /jobs/{jobId}); undefined when the simulator does not know it. */
  job(endpoint: string, jobId: string): Promise<JobProgress | undefined>;
  health(endpoint: string, signal?: AbortSignal): Promise<void>;
}

export interface SimulationRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
}

export interface KubeEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

export interface SimulationWriter {
  /** Replaces the status subresource, guarded by resourceVersion (Conflict when stale). */
  replaceStatus(ref: SimulationRef, status: SimulationStatus): Promise<void>;
  /** Sets the finalizers, guarded by resourceVersion; resolves to the new resourceVersion. */
  setFinalizers(ref: SimulationRef, finalizers: readonly string[]): Promise<string>;
  /** Deletes the object if it still has this uid; gone already is fine. */
  deleteObject(ref: SimulationRef): Promise<void>;
  recordEvent(ref: SimulationRef, event: KubeEvent): Promise<void>;
}

/** Reads an object from the API server, for what the informer's cache leaves out. */
export interface SimulationReader {
  /** The object as stored now; undefined when it no longer exists. */
  get(namespace: string, name: string): Promise<SimulationObject | undefined>;
}
