// In-memory fakes of the reconciler's ports.
import type { SimulationStatus } from "../../../src/api/simulation.ts";
import type {
  KubeEvent,
  NewRun,
  RunRow,
  SimulateOutcome,
  SimulationRef,
  SimulationStore,
  SimulationWriter,
  SimulatorClient,
} from "../../../src/controllers/simulation/ports.ts";
import { TransientError } from "../../../src/runtime/errors.ts";

type Row = RunRow & { uid: string; generation: number };

export class FakeStore implements SimulationStore {
  rows: Row[] = [];
  down = false;
  #n = 0;
  #check() {
    if (this.down)
      throw new TransientError("DatabaseUnavailable", "database ensureRun: connection refused");
  }
  #update(id: string, f: (r: Row) => Partial<Row>, onlyActive = true) {
    this.rows = this.rows.map((r) =>
      r.id === id && (!onlyActive || r.status === "pending" || r.status === "running")
        ? { ...r, ...f(r) }
        : r,
    );
  }
  async ensureRun(run: NewRun) {
    this.#check();
    const found = this.rows.find((r) => r.uid === run.uid && r.generation === run.generation);
    if (found) return found;
    const row: Row = {
      id: `job-${++this.#n}`,
      uid: run.uid,
      generation: run.generation,
      status: "pending",
      attempts: 0,
      failures: 0,
      result: null,
      error: null,
      createdAt: new Date("2026-11-28T12:00:00Z"),
      completedAt: null,
      requestHash: run.requestHash,
      seed: run.seed,
    };
    this.rows.push(row);
    return row;
  }
  async findReusable(hash: string, excludeId: string) {
    this.#check();
    return this.rows.find(
      (r) => r.requestHash === hash && r.status === "completed" && r.id !== excludeId,
    );
  }
  async markStarted(id: string) {
    this.#check();
    this.#update(id, (r) => ({ status: "running", attempts: r.attempts + 1 }));
  }
  async complete(id: string, result: unknown) {
    this.#check();
    this.#update(id, () => ({ status: "completed", result, completedAt: new Date() }));
  }
  async recordFailure(id: string, message: string) {
    this.#check();
    this.#update(id, (r) => ({ status: "pending", failures: r.failures + 1, error: message }));
  }
  async fail(id: string, reason: string, message: string) {
    this.#check();
    this.#update(id, () => ({ status: "failed", error: `${reason}: ${message}` }));
  }
  async cancelAll(uid: string) {
    this.#check();
    let n = 0;
    this.rows = this.rows.map((r) => {
      if (r.uid !== uid || (r.status !== "pending" && r.status !== "running")) return r;
      n++;
      return { ...r, status: "cancelled" };
    });
    return n;
  }
  async ping() {
    this.#check();
  }
}

/** A simulator whose calls stay open until the test settles them. */
export class FakeSimulator implements SimulatorClient {
  calls: { endpoint: string; request: unknown; settle: (o: SimulateOutcome) => void }[] = [];
  simulate(endpoint: string, request: unknown, signal: AbortSignal) {
    return new Promise<SimulateOutcome>((resolve, reject) => {
      this.calls.push({ endpoint, request, settle: resolve });
      signal.addEventListener("abort", () => reject(new Error("aborted")));
    });
  }
  async health() {}
}

export class FakeWriter implements SimulationWriter {
  statuses: SimulationStatus[] = [];
  finalizers: (readonly string[])[] = [];
  events: KubeEvent[] = [];
  async replaceStatus(_ref: SimulationRef, status: SimulationStatus) {
    this.statuses.push(structuredClone(status));
  }
  async setFinalizers(_ref: SimulationRef, finalizers: readonly string[]) {
    this.finalizers.push(finalizers);
  }
  async recordEvent(_ref: SimulationRef, event: KubeEvent) {
    this.events.push(event);
  }
}
