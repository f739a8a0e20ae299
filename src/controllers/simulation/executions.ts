// In-flight executions of POST /simulate, kept in memory by the leader, and
// the slots they hold on their platform. An execution outlives the reconcile
// that started it; when it settles it enqueues its object, and the next
// reconcile persists the outcome and releases the slot. The durable record
// is the SimulationJob row: after a restart, a row left `running` without an
// execution here is submitted again (same job id and seed, same result).
//
// A slot is held from reserve() until release() or abort(), so a settled
// outcome still counts until it is persisted: at no moment are more rows
// `running` on a platform than its maxConcurrentRuns. reserve() is
// synchronous, and the reconciler calls it with no await between reading
// inFlight() and reserving, so parallel workers cannot both take the last
// slot. Simulations that wait for a slot queue here, first come first
// woken, and a freed slot wakes the next of them.
import type { JobProgress, RunRow, SimulateOutcome } from "./ports.ts";

export interface ExecutionSnapshot {
  /** starting: slot reserved, row being marked; running: request in flight. */
  readonly state: "starting" | "running" | "settled";
  readonly outcome?: SimulateOutcome;
  readonly platform: string;
  /** The simulator's last report on the job (long runs only). */
  readonly progress?: JobProgress;
  /**
   * The row as the decision that launched this execution left it (running,
   * that attempt counted): a result is stored without reading the rows
   * again, and a row changed meanwhile shows when storing it finds the row
   * no longer active (forgetRow, then the rows are read).
   */
  readonly row?: RunRow;
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

interface Execution {
  readonly key: string;
  readonly platform: string;
  readonly rowId: string;
  readonly abort: AbortController;
  launched: boolean;
  outcome?: SimulateOutcome;
  progress?: JobProgress;
  row?: RunRow;
}

/** What a graceful shutdown persists: results that arrived but were not stored yet. */
export interface SettledResult {
  readonly rowId: string;
  readonly result: unknown;
}

export class Executions {
  readonly #executions = new Map<string, Execution>();
  /** platform -> executions holding a slot there: every reconcile reads it, O(1). */
  readonly #slots = new Map<string, number>();
  readonly #gates = new Map<string, RetryGate>();
  /** platform -> runKey -> object key, in arrival order. */
  readonly #waiting = new Map<string, Map<string, string>>();
  /** runKey -> platform of waiters woken but not yet reconciled. */
  readonly #woken = new Map<string, string>();
  /**
   * Object key -> the run keys it ever reserved, gated or queued: othersOf()
   * looks at these instead of every execution and waiter (O(1), not O(n)).
   * Run keys found in none of the maps above are pruned when looked at.
   */
  readonly #runKeysOf = new Map<string, Set<string>>();
  readonly #enqueue: (key: string) => void;

  constructor(enqueue: (key: string) => void) {
    this.#enqueue = enqueue;
  }

  /** Takes a slot on `platform` for `runKey` (uid/generation) of object `key`. */
  reserve(runKey: string, key: string, platform: string, rowId: string): void {
    this.#unwait(runKey);
    if (this.#executions.has(runKey)) return;
    this.#track(key, runKey);
    this.#slots.set(platform, this.inFlight(platform) + 1);
    this.#executions.set(runKey, {
      key,
      platform,
      rowId,
      abort: new AbortController(),
      launched: false,
    });
  }

  /** Runs the request of a reserved slot; its outcome waits here until released. */
  launch(
    runKey: string,
    run: (signal: AbortSignal) => Promise<SimulateOutcome>,
    row?: RunRow,
  ): void {
    const e = this.#executions.get(runKey);
    if (!e || e.launched) return;
    e.launched = true;
    e.row = row;
    run(e.abort.signal)
      .catch(
        (err: unknown): SimulateOutcome => ({
          kind: "failed",
          message: err instanceof Error ? err.message : String(err),
        }),
      )
      .then((outcome) => {
        if (e.abort.signal.aborted) return;
        e.outcome = outcome;
        this.#enqueue(e.key);
      });
  }

  get(runKey: string): ExecutionSnapshot | undefined {
    const e = this.#executions.get(runKey);
    if (!e) return undefined;
    const state = e.outcome ? "settled" : e.launched ? "running" : "starting";
    return {
      state,
      platform: e.platform,
      ...(e.outcome ? { outcome: e.outcome } : {}),
      ...(e.progress ? { progress: e.progress } : {}),
      ...(e.row ? { row: e.row } : {}),
    };
  }

  /** The row changed elsewhere: the next reconcile reads it instead of trusting the launch's. */
  forgetRow(runKey: string): void {
    const e = this.#executions.get(runKey);
    if (e) e.row = undefined;
  }

  /** Records the simulator's report on a running job; a change enqueues the object. */
  setProgress(runKey: string, progress: JobProgress): void {
    const e = this.#executions.get(runKey);
    if (!e || e.outcome || e.abort.signal.aborted) return;
    const same =
      e.progress?.pathsDone === progress.pathsDone && e.progress.pathsTotal === progress.pathsTotal;
    e.progress = progress;
    if (!same) this.#enqueue(e.key);
  }

  /** Slots held on `platform`, settled-but-unpersisted outcomes included. */
  inFlight(platform: string): number {
    return this.#slots.get(platform) ?? 0;
  }

  /** The outcome is persisted (or the request never left): forget it and free the slot. */
  release(runKey: string): void {
    const e = this.#executions.get(runKey);
    if (!e) return;
    this.#executions.delete(runKey);
    const held = this.inFlight(e.platform) - 1;
    if (held > 0) this.#slots.set(e.platform, held);
    else this.#slots.delete(e.platform);
    this.#prune(runKey);
    this.#wakeNext(e.platform);
  }

  /**
   * Abandons the execution of `runKey` (deadline, deletion, new generation,
   * shutdown) and forgets its gate and place in line; returns the job id of
   * the request it abandoned, if any.
   */
  abort(runKey: string): string | undefined {
    this.#gates.delete(runKey);
    this.settleWake(runKey);
    this.#unwait(runKey);
    const e = this.#executions.get(runKey);
    if (!e) return this.#prune(runKey);
    e.abort.abort();
    this.release(runKey);
    return e.launched ? e.rowId : undefined;
  }

  /** Run keys of object `key` other than `keepRunKey` that hold a slot, a gate or a place in line. */
  othersOf(key: string, keepRunKey?: string): string[] {
    const runKeys = this.#runKeysOf.get(key);
    if (!runKeys) return [];
    const others: string[] = [];
    for (const runKey of runKeys) {
      if (!this.#holds(runKey)) runKeys.delete(runKey);
      else if (runKey !== keepRunKey) others.push(runKey);
    }
    if (runKeys.size === 0) this.#runKeysOf.delete(key);
    return others;
  }

  gate(runKey: string): RetryGate | undefined {
    return this.#gates.get(runKey);
  }

  setGate(runKey: string, gate: RetryGate | undefined): void {
    if (gate) {
      this.#track(keyOfRunKey(runKey), runKey);
      this.#gates.set(runKey, gate);
    } else {
      this.#gates.delete(runKey);
      this.#prune(runKey);
    }
  }

  /**
   * `runKey` waits for a slot on `platform`; a freed slot there will enqueue
   * `key`. A waiter woken for a slot that someone else took first goes back
   * to the head of the line, not the end: it keeps its place.
   */
  wait(runKey: string, key: string, platform: string): void {
    const woken = this.#woken.delete(runKey);
    const line = this.#waiting.get(platform) ?? new Map<string, string>();
    if (line.has(runKey)) return;
    this.#track(key, runKey);
    this.#waiting.set(platform, woken ? new Map([[runKey, key], ...line]) : line.set(runKey, key));
  }

  isWaiting(runKey: string, platform: string): boolean {
    return this.#waiting.get(platform)?.has(runKey) ?? false;
  }

  /**
   * Ends a reconcile of `runKey`: if it was woken for a slot and neither took
   * it nor went back in line (it finished, was deleted, reused a result), the
   * wake passes to the next in line.
   */
  settleWake(runKey: string): void {
    const platform = this.#woken.get(runKey);
    if (platform === undefined) return;
    this.#woken.delete(runKey);
    this.#prune(runKey);
    this.#wakeNext(platform);
  }

  /** Results that arrived and were not persisted yet (graceful shutdown). */
  settledResults(): SettledResult[] {
    return [...this.#executions.values()].flatMap((e) =>
      e.outcome?.kind === "ok" ? [{ rowId: e.rowId, result: e.outcome.result }] : [],
    );
  }

  abortAll(): void {
    for (const runKey of [...this.#executions.keys()]) this.abort(runKey);
  }

  #track(key: string, runKey: string): void {
    const runKeys = this.#runKeysOf.get(key);
    if (runKeys) runKeys.add(runKey);
    else this.#runKeysOf.set(key, new Set([runKey]));
  }

  /** Forgets `runKey` in the index once it holds nothing (keeps the index as small as the maps). */
  #prune(runKey: string): undefined {
    if (this.#holds(runKey)) return;
    const key = keyOfRunKey(runKey);
    const runKeys = this.#runKeysOf.get(key);
    runKeys?.delete(runKey);
    if (runKeys?.size === 0) this.#runKeysOf.delete(key);
  }

  /** Whether `runKey` holds a slot, a gate, a wake or a place in line. */
  #holds(runKey: string): boolean {
    if (this.#executions.has(runKey) || this.#gates.has(runKey) || this.#woken.has(runKey)) {
      return true;
    }
    for (const line of this.#waiting.values()) if (line.has(runKey)) return true;
    return false;
  }

  #unwait(runKey: string): void {
    this.#woken.delete(runKey);
    for (const line of this.#waiting.values()) line.delete(runKey);
  }

  #wakeNext(platform: string): void {
    const line = this.#waiting.get(platform);
    const next = line?.entries().next();
    if (!line || !next || next.done) return;
    const [runKey, key] = next.value;
    line.delete(runKey);
    this.#woken.set(runKey, platform);
    this.#enqueue(key);
  }
}

/** A run key is `${key}#${uid}/${generation}` (observe.ts runKeyOf); object keys hold no '#'. */
const keyOfRunKey = (runKey: string) => runKey.slice(0, runKey.indexOf("#"));
