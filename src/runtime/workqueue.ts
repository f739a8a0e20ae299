import { type Clock, realClock, type TimerHandle } from "./clock.ts";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate-limiter.ts";

/** Hooks the queue calls so metrics stay outside it; durations in seconds. */
export interface WorkQueueMetricsSink {
  depth(n: number): void;
  added(): void;
  retried(): void;
  queueLatency(seconds: number): void;
  workDuration(seconds: number): void;
}

export interface WorkQueueOptions {
  clock?: Clock;
  /** Default: controller-runtime's (5 ms → 1000 s per key, 10 qps / 100 burst global). */
  rateLimiter?: RateLimiter;
  /** Per-key backoff, used only when rateLimiter is not given. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  jitter?: number;
  /** Global bucket, used only when rateLimiter is not given. */
  qps?: number;
  burst?: number;
  metrics?: WorkQueueMetricsSink;
}

export interface WorkQueue {
  /** Queues the key unless it is already queued; deferred while it is processing. */
  add(key: string): void;
  /** Adds after a delay; a key already waiting keeps the earlier of the two times. */
  addAfter(key: string, delayMs: number): void;
  /** Adds after the rate limiter's delay for this key (one more retry). */
  addRateLimited(key: string): void;
  /** Resets the key's backoff. */
  forget(key: string): void;
  numRequeues(key: string): number;
  /**
   * The next key, which the caller owns until done(key); undefined once the
   * queue is shut down (pending keys are dropped: a new leader relists).
   */
  get(): Promise<string | undefined>;
  done(key: string): void;
  /** Keys queued and not yet handed out. */
  len(): number;
  /** Keys handed out and not yet done. */
  processing(): number;
  /** Stops handing out keys and ignores adds; in-flight keys may still call done. */
  shutDown(): void;
  /** shutDown, then resolves once every in-flight key is done. */
  shutDownWithDrain(): Promise<void>;
  isShuttingDown(): boolean;
  /** Seconds the in-flight keys have been processing, summed (workqueue_unfinished_work_seconds). */
  unfinishedWorkSeconds(): number;
  /** Seconds the oldest in-flight key has been processing. */
  longestRunningProcessorSeconds(): number;
}

/**
 * client-go's workqueue semantics, which controller-runtime relies on:
 * - a key is queued at most once (dirty set);
 * - a key being processed is never handed to a second worker: re-added while
 *   processing, it is queued again when done() is called, once;
 * - delayed and rate-limited adds go through the same add() when due.
 */
export function createWorkQueue(options: WorkQueueOptions = {}): WorkQueue {
  const clock = options.clock ?? realClock;
  const limiter =
    options.rateLimiter ??
    defaultControllerRateLimiter({
      clock,
      baseDelayMs: options.baseDelayMs,
      maxDelayMs: options.maxDelayMs,
      jitter: options.jitter,
      qps: options.qps,
      burst: options.burst,
    });
  const metrics = options.metrics;

  const queue: string[] = [];
  let head = 0;
  const dirty = new Set<string>();
  const addedAt = new Map<string, number>();
  const inFlight = new Map<string, number>(); // key -> started at
  const waiting = new Map<string, { readyAt: number; timer: TimerHandle }>();
  const getters: Array<(key: string | undefined) => void> = [];
  let shuttingDown = false;
  let drained: (() => void) | undefined;
  let drainPromise: Promise<void> | undefined;

  const length = () => queue.length - head;

  const compact = () => {
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  };

  const handOut = () => {
    while (getters.length > 0 && length() > 0) {
      const key = queue[head++]!;
      const resolve = getters.shift()!;
      dirty.delete(key);
      const now = clock.now();
      inFlight.set(key, now);
      const queuedAt = addedAt.get(key);
      addedAt.delete(key);
      if (queuedAt !== undefined) metrics?.queueLatency((now - queuedAt) / 1000);
      resolve(key);
    }
    compact();
    metrics?.depth(length());
  };

  const add = (key: string) => {
    if (shuttingDown || dirty.has(key)) return;
    metrics?.added();
    dirty.add(key);
    if (inFlight.has(key)) return;
    queue.push(key);
    addedAt.set(key, clock.now());
    handOut();
  };

  const addAfter = (key: string, delayMs: number) => {
    if (shuttingDown) return;
    if (delayMs <= 0) {
      add(key);
      return;
    }
    const readyAt = clock.now() + delayMs;
    const existing = waiting.get(key);
    if (existing !== undefined) {
      if (existing.readyAt <= readyAt) return;
      clock.clearTimeout(existing.timer);
    }
    const timer = clock.setTimeout(() => {
      waiting.delete(key);
      add(key);
    }, delayMs);
    waiting.set(key, { readyAt, timer });
  };

  const shutDown = () => {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const { timer } of waiting.values()) clock.clearTimeout(timer);
    waiting.clear();
    queue.length = 0;
    head = 0;
    dirty.clear();
    addedAt.clear();
    for (const resolve of getters.splice(0)) resolve(undefined);
    metrics?.depth(0);
  };

  return {
    add,
    addAfter,
    addRateLimited(key) {
      if (shuttingDown) return;
      metrics?.retried();
      addAfter(key, limiter.when(key));
    },
    forget(key) {
      limiter.forget(key);
    },
    numRequeues(key) {
      return limiter.numRequeues(key);
    },
    get() {
      if (shuttingDown) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        getters.push(resolve);
        handOut();
      });
    },
    done(key) {
      const started = inFlight.get(key);
      if (started === undefined) return;
      inFlight.delete(key);
      metrics?.workDuration((clock.now() - started) / 1000);
      if (shuttingDown) {
        if (inFlight.size === 0) drained?.();
        return;
      }
      if (dirty.has(key)) {
        queue.push(key);
        addedAt.set(key, clock.now());
        handOut();
      }
    },
    len: length,
    processing: () => inFlight.size,
    shutDown,
    shutDownWithDrain() {
      shutDown();
      if (inFlight.size === 0) return Promise.resolve();
      drainPromise ??= new Promise((resolve) => {
        drained = resolve;
      });
      return drainPromise;
    },
    isShuttingDown: () => shuttingDown,
    unfinishedWorkSeconds() {
      const now = clock.now();
      let total = 0;
      for (const started of inFlight.values()) total += now - started;
      return total / 1000;
    },
    longestRunningProcessorSeconds() {
      const now = clock.now();
      let oldest = now;
      for (const started of inFlight.values()) oldest = Math.min(oldest, started);
      return (now - oldest) / 1000;
    },
  };
}
