// In-flight executions of POST /simulate, kept in memory by the leader. An
// execution outlives the reconcile that started it; when it settles it
// enqueues its object, and the next reconcile persists the outcome. The
// durable record is the SimulationJob row: after a restart, a row left
// `running` without an execution here is submitted again (same job id and
// seed, so the same result).
import type { SimulateOutcome } from "./ports.ts";

export interface ExecutionSnapshot {
  readonly state: "running" | "settled";
  readonly outcome?: SimulateOutcome;
  readonly platform: string;
}

interface Execution {
  readonly key: string;
  readonly platform: string;
  readonly abort: AbortController;
  readonly done: Promise<void>;
  outcome?: SimulateOutcome;
}

/**
 * Retry gate of one run: not before `atMs`; `streak` consecutive unavailable
 * outcomes; the reason and message the status shows while it waits (fixed
 * when the gate is set, so reconciles during the wait write nothing).
 */
export interface RetryGate {
  readonly atMs: number;
  readonly streak: number;
  readonly reason: "BackendUnavailable" | "RetryBackoff";
  readonly message: string;
}

export class Executions {
  readonly #running = new Map<string, Execution>();
  readonly #gates = new Map<string, RetryGate>();
  readonly #onSettled: (key: string) => void;

  constructor(onSettled: (key: string) => void) {
    this.#onSettled = onSettled;
  }

  /** Starts `run` for `runKey` (uid/generation) unless one is already there. */
  start(
    runKey: string,
    key: string,
    platform: string,
    run: (signal: AbortSignal) => Promise<SimulateOutcome>,
  ): void {
    if (this.#running.has(runKey)) return;
    const abort = new AbortController();
    const execution: Execution = {
      key,
      platform,
      abort,
      done: run(abort.signal).then(
        (outcome) => {
          execution.outcome = outcome;
        },
        (err: unknown) => {
          execution.outcome = abort.signal.aborted
            ? { kind: "unavailable", message: "execution abandoned" }
            : { kind: "failed", message: err instanceof Error ? err.message : String(err) };
        },
      ),
    };
    this.#running.set(runKey, execution);
    void execution.done.then(() => {
      if (!abort.signal.aborted) this.#onSettled(key);
    });
  }

  get(runKey: string): ExecutionSnapshot | undefined {
    const e = this.#running.get(runKey);
    if (!e) return undefined;
    return e.outcome
      ? { state: "settled", outcome: e.outcome, platform: e.platform }
      : { state: "running", platform: e.platform };
  }

  /** Forgets a settled execution once its outcome is persisted. */
  clear(runKey: string): void {
    const e = this.#running.get(runKey);
    if (e?.outcome) this.#running.delete(runKey);
  }

  /** Abandons the execution of `runKey` (deadline, deletion, new generation). */
  abort(runKey: string): void {
    const e = this.#running.get(runKey);
    if (!e) return;
    e.abort.abort();
    this.#running.delete(runKey);
  }

  /** Abandons every execution of object `key` except `keepRunKey`. */
  abortOthers(key: string, keepRunKey?: string): void {
    for (const [runKey, e] of this.#running) {
      if (e.key === key && runKey !== keepRunKey) this.abort(runKey);
    }
  }

  /** Executions in flight (not settled) for a platform. */
  running(platform: string): number {
    let n = 0;
    for (const e of this.#running.values()) if (e.platform === platform && !e.outcome) n++;
    return n;
  }

  gate(runKey: string): RetryGate | undefined {
    return this.#gates.get(runKey);
  }

  setGate(runKey: string, gate: RetryGate | undefined): void {
    if (gate) this.#gates.set(runKey, gate);
    else this.#gates.delete(runKey);
  }

  /** Waits up to `timeoutMs` for executions to settle (graceful shutdown); returns how many are left. */
  async settle(timeoutMs: number): Promise<number> {
    const pending = [...this.#running.values()].filter((e) => !e.outcome).map((e) => e.done);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pending),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return [...this.#running.values()].filter((e) => !e.outcome).length;
  }

  abortAll(): void {
    for (const runKey of [...this.#running.keys()]) this.abort(runKey);
  }
}
