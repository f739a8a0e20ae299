// In-memory fakes of the simulation reconciler's ports. They follow the
// Prisma adapter's semantics (src/adapters/simulation-store.ts): updates touch
// active rows only, markStarted writes the startedAt it is given.
import { ApiException } from "@kubernetes/client-node";
import type { SimulationObject } from "../../../src/api/objects.ts";
import type { SimulationStatus } from "../../../src/api/simulation.ts";
import type { EngineRequest } from "../../../src/controllers/simulation/engine-request.ts";
import {
  type ActiveRun,
  type JobProgress,
  type KubeEvent,
  type NewRun,
  type RunRow,
  type SimulateOutcome,
  type SimulationReader,
  type SimulationRef,
  type SimulationStore,
  type SimulationWriter,
  type SimulatorClient,
  StoreError,
  StoreUnavailableError,
} from "../../../src/controllers/simulation/ports.ts";

export type FakeRow = RunRow & { uid: string; namespace: string; name: string; inputData: unknown };

const isActive = (r: RunRow) => r.status === "pending" || r.status === "running";

export class FakeStore implements SimulationStore {
  rows: FakeRow[] = [];
  /** up; down: StoreUnavailableError; broken: StoreError (the database refuses). */
  mode: "up" | "down" | "broken" = "up";
  /** Methods that fail as if the database were down, whatever the mode. */
  downFor = new Set<string>();
  /** Every method call, in order. */
  calls: string[] = [];
  /** Awaited at the start of every call (to make the store slow). */
  latency: () => Promise<void> = async () => {};
  /** Called after every mutation (to sample invariants). */
  onChange: () => void = () => {};
  now: () => Date = () => new Date("2026-11-28T12:00:00Z");

  async #enter(method: string) {
    this.calls.push(method);
    await this.latency();
    if (this.mode === "down" || this.downFor.has(method)) {
      throw new StoreUnavailableError(`the database is unreachable (P1001) during ${method}`);
    }
    if (this.mode === "broken") {
      throw new StoreError(`the database refused ${method} (P2021)`);
    }
  }

  #update(where: (r: FakeRow) => boolean, change: (r: FakeRow) => Partial<FakeRow>): number {
    let n = 0;
    this.rows = this.rows.map((r) => {
      if (!where(r) || !isActive(r)) return r;
      n++;
      return { ...r, ...change(r) };
    });
    this.onChange();
    return n;
  }

  row(id: string): FakeRow | undefined {
    return this.rows.find((r) => r.id === id);
  }

  async runsOf(uid: string) {
    await this.#enter("runsOf");
    return this.rows.filter((r) => r.uid === uid);
  }
  async createRun(run: NewRun) {
    await this.#enter("createRun");
    const found = this.rows.find((r) => r.uid === run.uid && r.generation === run.generation);
    if (found) return;
    const row: FakeRow = {
      id: run.id,
      uid: run.uid,
      namespace: run.namespace,
      name: run.name,
      generation: run.generation,
      status: run.startedAt ? "running" : "pending",
      attempts: run.startedAt ? 1 : 0,
      failures: 0,
      result: null,
      failureReason: null,
      error: null,
      createdAt: this.now(),
      startedAt: run.startedAt ?? null,
      completedAt: null,
      requestHash: run.requestHash,
      seed: run.seed,
      inputData: run.inputData,
    };
    this.rows.push(row);
    this.onChange();
  }
  async findReusable(requestHash: string, excludeId: string) {
    await this.#enter("findReusable");
    return this.#reusable(requestHash, excludeId);
  }
  async runsWithReusable(uid: string, requestHash: string, excludeId: string) {
    await this.#enter("runsWithReusable");
    return {
      rows: this.rows.filter((r) => r.uid === uid),
      reusable: this.#reusable(requestHash, excludeId),
    };
  }
  #reusable(requestHash: string, excludeId: string) {
    return this.rows
      .filter(
        (r) => r.requestHash === requestHash && r.status === "completed" && r.id !== excludeId,
      )
      .sort((a, b) => (b.completedAt?.getTime() ?? 0) - (a.completedAt?.getTime() ?? 0))[0];
  }
  async markStarted(id: string, startedAt: Date) {
    await this.#enter("markStarted");
    this.#update(
      (r) => r.id === id,
      (r) => ({ status: "running", attempts: r.attempts + 1, startedAt }),
    );
  }
  async complete(id: string, result: unknown) {
    await this.#enter("complete");
    const updated = this.#update(
      (r) => r.id === id,
      () => ({
        status: "completed",
        result,
        failureReason: null,
        error: null,
        completedAt: this.now(),
      }),
    );
    return updated === 1;
  }
  async recordFailure(id: string, message: string) {
    await this.#enter("recordFailure");
    this.#update(
      (r) => r.id === id,
      (r) => ({ status: "pending", failures: r.failures + 1, error: message }),
    );
  }
  async markPending(id: string) {
    await this.#enter("markPending");
    this.#update(
      (r) => r.id === id,
      () => ({ status: "pending" }),
    );
  }
  async fail(id: string, reason: string, message: string) {
    await this.#enter("fail");
    this.#update(
      (r) => r.id === id,
      () => ({ status: "failed", failureReason: reason, error: message, completedAt: this.now() }),
    );
  }
  async cancelOtherGenerations(uid: string, generation: number) {
    await this.#enter("cancelOtherGenerations");
    return this.#cancel((r) => r.uid === uid && r.generation !== generation);
  }
  async cancelAll(uid: string) {
    await this.#enter("cancelAll");
    return this.#cancel((r) => r.uid === uid);
  }
  async activeRuns(): Promise<ActiveRun[]> {
    await this.#enter("activeRuns");
    return this.rows
      .filter(isActive)
      .map(({ id, uid, namespace, createdAt }) => ({ id, uid, namespace, createdAt }));
  }
  async cancelRuns(ids: readonly string[]) {
    await this.#enter("cancelRuns");
    return this.#cancel((r) => ids.includes(r.id));
  }
  async ping() {
    await this.#enter("ping");
  }
  #cancel(where: (r: FakeRow) => boolean): number {
    return this.#update(where, () => ({ status: "cancelled", completedAt: this.now() }));
  }
}

export interface SimulatorCall {
  readonly endpoint: string;
  readonly request: EngineRequest;
  readonly signal: AbortSignal;
  readonly settle: (outcome: SimulateOutcome) => void;
}

/** A simulator whose calls stay open until the test settles them (or the caller aborts). */
export class FakeSimulator implements SimulatorClient {
  calls: SimulatorCall[] = [];
  /** Calls neither settled nor aborted. */
  open = 0;
  /** The most calls ever open at once. */
  maxOpen = 0;
  version = "engine-1";
  versionDown = false;
  versionCalls = 0;
  cancelled: { endpoint: string; jobId: string }[] = [];
  /** Called whenever a call opens or closes (to sample invariants). */
  onChange: () => void = () => {};

  simulate(endpoint: string, request: EngineRequest, signal: AbortSignal) {
    return new Promise<SimulateOutcome>((resolve, reject) => {
      let done = false;
      const finish = () => {
        if (done) return false;
        done = true;
        this.open--;
        this.onChange();
        return true;
      };
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      this.calls.push({
        endpoint,
        request,
        signal,
        settle: (outcome) => finish() && resolve(outcome),
      });
      this.onChange();
      signal.addEventListener("abort", () => finish() && reject(new Error("aborted")));
    });
  }
  async engineVersion(_endpoint: string) {
    this.versionCalls++;
    if (this.versionDown) throw new Error("cannot read its engine version: ECONNREFUSED");
    return this.version;
  }
  async cancel(endpoint: string, jobId: string) {
    this.cancelled.push({ endpoint, jobId });
  }
  /** What GET /jobs/{jobId} answers, by job id. */
  jobs = new Map<string, JobProgress>();
  async job(_endpoint: string, jobId: string) {
    return this.jobs.get(jobId);
  }
  async health() {}
}

export class FakeWriter implements SimulationWriter {
  statuses: SimulationStatus[] = [];
  /** The last status written, by object name. */
  byName = new Map<string, SimulationStatus>();
  finalizers: (readonly string[])[] = [];
  events: (KubeEvent & { name: string })[] = [];
  deletions: SimulationRef[] = [];
  /** The next status write fails with 409 Conflict, once. */
  conflictOnce = false;
  /** The object each status write was guarded by. */
  readonly statusRefs: SimulationRef[] = [];

  async replaceStatus(ref: SimulationRef, status: SimulationStatus) {
    if (this.conflictOnce) {
      this.conflictOnce = false;
      throw new ApiException(409, "the object has been modified", { reason: "Conflict" }, {});
    }
    this.statuses.push(structuredClone(status));
    this.statusRefs.push(ref);
    this.byName.set(ref.name, structuredClone(status));
  }
  async setFinalizers(ref: SimulationRef, finalizers: readonly string[]) {
    this.finalizers.push(finalizers);
    return `${ref.resourceVersion}+finalizer`;
  }
  async deleteObject(ref: SimulationRef) {
    this.deletions.push(ref);
  }
  async recordEvent(ref: SimulationRef, event: KubeEvent) {
    this.events.push({ ...event, name: ref.name });
  }
}

/** The API server's copies of the objects, read when a cached copy left part of its spec out. */
export class FakeReader implements SimulationReader {
  objects = new Map<string, SimulationObject>();
  /** `namespace/name` of every GET, in order. */
  gets: string[] = [];

  async get(namespace: string, name: string) {
    this.gets.push(`${namespace}/${name}`);
    return this.objects.get(`${namespace}/${name}`);
  }
}
