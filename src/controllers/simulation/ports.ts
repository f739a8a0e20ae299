// The narrow ports the simulation reconciler talks through. Adapters in
// src/adapters implement them for Prisma, Ray Serve and Kubernetes; tests
// use in-memory fakes.
import type { Condition } from "../../api/conditions.ts";
import type { SimulationStatus } from "../../api/simulation.ts";
import type { EngineRequest } from "./engine-request.ts";
import type { EngineResult } from "./result-summary.ts";

export type RunStatus = "pending" | "running" | "completed" | "failed" | "cancelled";

/** A SimulationJob row as the reconciler sees it. */
export interface RunRow {
  readonly id: string;
  readonly status: RunStatus;
  readonly attempts: number;
  readonly failures: number;
  readonly result: unknown;
  readonly error: string | null;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
  readonly requestHash: string;
  readonly seed: number;
}

export interface NewRun {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly assessmentId: string | undefined;
  readonly fundedAccountId: string | undefined;
  readonly inputData: unknown;
  readonly requestHash: string;
  readonly seed: number;
}

export interface SimulationStore {
  /** The row of (uid, generation), created if absent; safe to call again. */
  ensureRun(run: NewRun): Promise<RunRow>;
  /** A completed row of another run with the same request hash, if any. */
  findReusable(requestHash: string, excludeId: string): Promise<RunRow | undefined>;
  /** An execution starts: attempts + 1, status running. */
  markStarted(id: string): Promise<void>;
  /** Stores the full result unless the row is already terminal. */
  complete(id: string, result: unknown): Promise<void>;
  /** An execution failed and will be retried: failures + 1, status pending. */
  recordFailure(id: string, message: string): Promise<void>;
  /** Terminal failure. */
  fail(id: string, reason: string, message: string): Promise<void>;
  /** Every non-terminal row of the object becomes cancelled. */
  cancelAll(uid: string): Promise<number>;
  ping(): Promise<void>;
}

/** How one POST /simulate ended. */
export type SimulateOutcome =
  | { readonly kind: "ok"; readonly result: EngineResult }
  /** Ray Serve down, 503, 429, timeout: wait and retry; not a failed execution. */
  | { readonly kind: "unavailable"; readonly message: string }
  /** 4xx for the request itself: the spec cannot run (InvalidSpec). */
  | { readonly kind: "rejected"; readonly message: string }
  /** The execution failed (500, bad response): counts against backoffLimit. */
  | { readonly kind: "failed"; readonly message: string };

export interface SimulatorClient {
  simulate(endpoint: string, request: EngineRequest, signal: AbortSignal): Promise<SimulateOutcome>;
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
  /** Replaces the status subresource, guarded by resourceVersion (409 on conflict). */
  replaceStatus(ref: SimulationRef, status: SimulationStatus): Promise<void>;
  setFinalizers(ref: SimulationRef, finalizers: readonly string[]): Promise<void>;
  recordEvent(ref: SimulationRef, event: KubeEvent): Promise<void>;
}

export type { Condition };
