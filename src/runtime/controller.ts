import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { type Clock, realClock, type TimerHandle } from "./clock.ts";
import { type ControllerMetrics, ReconcileResults } from "./controller-metrics.ts";
import { normalizeError, TerminalError } from "./errors.ts";
import type { Informer } from "./informer.ts";
import { splitKey } from "./object-key.ts";
import { createWorkQueue, type WorkQueue, type WorkQueueOptions } from "./workqueue.ts";

export interface ReconcileContext {
  /** Child logger bound to {controller, key, namespace, name, reconcileID}. */
  log: Logger;
  /** Aborted when the controller must stop now (shutdown timeout, lost leadership). */
  signal: AbortSignal;
  reconcileID: string;
  /** Failed attempts for this key since its last success (0 on the first try). */
  retries: number;
}

/** What a reconcile asks for besides the default (forget the key on success). */
export type ReconcileResult = {
  /** Reconcile again after this long, even without a change (e.g. to poll). */
  requeueAfterMs?: number;
  /** Reconcile again with the key's rate-limited backoff. */
  requeue?: boolean;
};

/**
 * Reconciles one key. Reads the world afresh (the key only says *which*
 * object), acts, and returns; a thrown TerminalError is not retried, anything
 * else thrown is retried with per-key backoff.
 */
export type ReconcileFn = (
  key: string,
  ctx: ReconcileContext,
) => Promise<ReconcileOutcome> | ReconcileOutcome;

/** What a reconcile returns: a result, or nothing (`Promise<void>` reconcilers are fine). */
// biome-ignore lint/suspicious/noConfusingVoidType: lets reconcilers be declared as returning Promise<void>
export type ReconcileOutcome = ReconcileResult | undefined | void;

export interface WatchOptions<T> {
  /** True for an update (old, new) that needs no reconcile. */
  readonly skipUpdate?: (old: T, object: T) => boolean;
}

export interface ControllerOptions {
  /** Names the controller in logs and metric labels. */
  name: string;
  /** Concurrent reconciles; a key is never reconciled by two at once. Default 1. */
  workers?: number;
  reconcile: ReconcileFn;
  logger: Logger;
  metrics?: ControllerMetrics;
  /** Backoff and global rate limit of the queue (see WorkQueueOptions). */
  queueOptions?: Omit<WorkQueueOptions, "clock" | "metrics">;
  /** How long stop() waits for in-flight reconciles before aborting them. Default 30 s. */
  shutdownTimeoutMs?: number;
  clock?: Clock;
  newReconcileID?: () => string;
}

export interface Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  enqueue(key: string): void;
  enqueueAfter(key: string, delayMs: number): void;
  /**
   * Enqueues keys for each informer event. `mapToKeys` defaults to the
   * object's own key; return other keys to reconcile owners or dependents.
   * `options.skipUpdate` drops an update event (never an add, a delete or a
   * resync) whose change needs no reconcile, as controller-runtime's
   * predicates do.
   */
  watch<T>(
    informer: Informer<T>,
    mapToKeys?: (object: T) => string | string[] | undefined,
    options?: WatchOptions<T>,
  ): void;
  /**
   * Waits for the watched informers to sync, then starts the workers; resolves
   * once they run (or without starting them if `signal` aborts first). Aborting
   * `signal` later stops the controller as stop() does.
   */
  start(signal?: AbortSignal): Promise<void>;
  /**
   * Stops taking work and waits for in-flight reconciles up to `timeoutMs`
   * (default shutdownTimeoutMs), then aborts their signal and returns.
   * timeoutMs 0 aborts at once (lost leadership).
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** True when every watched informer has synced. */
  hasSynced(): boolean;
}

export function createController(options: ControllerOptions): Controller {
  const name = options.name;
  const workers = Math.max(1, options.workers ?? 1);
  const clock = options.clock ?? realClock;
  const metrics = options.metrics;
  const logger = options.logger.child({ controller: name });
  const newReconcileID = options.newReconcileID ?? randomUUID;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  const labels = { controller: name };

  const queue = createWorkQueue({
    ...options.queueOptions,
    clock,
    metrics: metrics?.queueSink(name),
  });
  metrics?.trackQueue(name, queue);
  if (metrics) {
    for (const result of ReconcileResults) metrics.reconcileTotal.inc({ ...labels, result }, 0);
    metrics.reconcileErrors.inc(labels, 0);
    metrics.terminalReconcileErrors.inc(labels, 0);
    metrics.activeWorkers.set(labels, 0);
  }

  const informers: Array<Informer<unknown>> = [];
  // Aborted when the reconciles must stop now; `stopRequested` as soon as stop begins.
  const abort = new AbortController();
  const stopRequested = new AbortController();
  let workerLoops: Array<Promise<void>> = [];
  let started = false;
  let stopping: Promise<void> | undefined;
  const stopTimers: TimerHandle[] = [];

  const processKey = async (key: string) => {
    const reconcileID = newReconcileID();
    const { namespace, name: objectName } = splitKey(key);
    const log = logger.child({ key, namespace, name: objectName, reconcileID });
    const retries = queue.numRequeues(key);
    const startedAt = clock.now();
    metrics?.activeWorkers.inc(labels);
    let result: ReconcileOutcome;
    let error: unknown;
    let failed = false;
    try {
      result = await options.reconcile(key, { log, signal: abort.signal, reconcileID, retries });
    } catch (err) {
      failed = true;
      error = err;
    } finally {
      metrics?.activeWorkers.dec(labels);
      metrics?.reconcileTime.observe(labels, (clock.now() - startedAt) / 1000);
    }

    if (failed) {
      const normalized = normalizeError(error);
      metrics?.reconcileErrors.inc(labels);
      metrics?.reconcileTotal.inc({ ...labels, result: "error" });
      if (normalized instanceof TerminalError) {
        metrics?.terminalReconcileErrors.inc(labels);
        queue.forget(key);
        log.error(
          { err: error, reason: normalized.reason },
          "reconcile failed; terminal, not retrying",
        );
      } else {
        queue.addRateLimited(key);
        log.warn(
          { err: error, reason: normalized.reason, retries: retries + 1 },
          "reconcile failed; retrying with backoff",
        );
      }
      return;
    }
    const after = result?.requeueAfterMs;
    if (after !== undefined && after > 0) {
      queue.forget(key);
      queue.addAfter(key, after);
      metrics?.reconcileTotal.inc({ ...labels, result: "requeue_after" });
    } else if (result?.requeue) {
      queue.addRateLimited(key);
      metrics?.reconcileTotal.inc({ ...labels, result: "requeue" });
    } else {
      queue.forget(key);
      metrics?.reconcileTotal.inc({ ...labels, result: "success" });
    }
  };

  const workerLoop = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await processKey(key);
      } catch (err) {
        // processKey handles reconcile errors; this is a bug in the loop itself.
        logger.error({ err, key }, "worker failed processing key");
      } finally {
        queue.done(key);
      }
    }
  };

  const enqueueMapped = <T>(mapToKeys: (object: T) => string | string[] | undefined, object: T) => {
    let keys: string | string[] | undefined;
    try {
      keys = mapToKeys(object);
    } catch (err) {
      logger.error({ err }, "mapping an event to keys failed");
      return;
    }
    if (keys === undefined) return;
    for (const key of Array.isArray(keys) ? keys : [keys]) queue.add(key);
  };

  const forceAbort = () => {
    if (abort.signal.aborted) return;
    if (queue.processing() > 0) {
      logger.warn(
        { inFlight: queue.processing() },
        "in-flight reconciles did not finish in time; aborting them",
      );
    }
    abort.abort();
  };

  // Each call may shorten the grace period (e.g. a graceful stop already
  // under way, then leadership is lost: stop({ timeoutMs: 0 })).
  const stop = (stopOptions?: { timeoutMs?: number }): Promise<void> => {
    const timeoutMs = stopOptions?.timeoutMs ?? shutdownTimeoutMs;
    stopRequested.abort();
    const timer = timeoutMs > 0 ? clock.setTimeout(forceAbort, timeoutMs) : undefined;
    if (timer === undefined) forceAbort();
    if (!stopping) {
      const inFlight = queue.processing();
      const drained = queue.shutDownWithDrain();
      if (inFlight > 0) {
        logger.info({ inFlight, timeoutMs }, "stopping; waiting for in-flight reconciles");
      }
      const aborted = new Promise<void>((resolve) => {
        if (abort.signal.aborted) resolve();
        else abort.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      stopping = (async () => {
        const finished = await Promise.race([drained.then(() => true), aborted.then(() => false)]);
        for (const t of stopTimers) clock.clearTimeout(t);
        abort.abort();
        if (finished) await Promise.all(workerLoops);
        metrics?.activeWorkers.set(labels, 0);
        logger.info("stopped");
      })();
    }
    if (timer !== undefined) stopTimers.push(timer);
    return stopping;
  };

  return {
    name,
    queue,
    enqueue: (key) => queue.add(key),
    enqueueAfter: (key, delayMs) => queue.addAfter(key, delayMs),
    watch<T>(
      informer: Informer<T>,
      mapToKeys?: (object: T) => string | string[] | undefined,
      options?: WatchOptions<T>,
    ) {
      const map = mapToKeys ?? defaultKeyOf;
      const skip = options?.skipUpdate;
      informers.push(informer as Informer<unknown>);
      informer.addHandlers({
        onAdd: (o) => enqueueMapped(map, o),
        // A resync hands the same object as old and new: never skipped.
        onUpdate: (old, o) => {
          if (old !== o && skip?.(old, o)) return;
          enqueueMapped(map, o);
        },
        onDelete: (o) => enqueueMapped(map, o),
      });
    },
    async start(signal) {
      if (started) throw new Error(`controller ${name} already started`);
      started = true;
      if (signal?.aborted) {
        await stop();
        return;
      }
      signal?.addEventListener("abort", () => void stop(), { once: true });
      logger.info({ informers: informers.length }, "waiting for caches to sync");
      const waitSignal = signal
        ? AbortSignal.any([signal, stopRequested.signal])
        : stopRequested.signal;
      for (const informer of informers) {
        if (!(await informer.waitForSync(waitSignal))) return;
      }
      if (stopping) return;
      metrics?.maxConcurrentReconciles.set(labels, workers);
      workerLoops = Array.from({ length: workers }, () => workerLoop());
      logger.info({ workers }, "started workers");
    },
    stop,
    hasSynced: () => informers.every((i) => i.hasSynced()),
  };
}

function defaultKeyOf(object: unknown): string | undefined {
  const meta = (object as { metadata?: { name?: string; namespace?: string } }).metadata;
  if (!meta?.name) return undefined;
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}
