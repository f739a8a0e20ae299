import type { Logger } from "pino";
import { backoffDelay } from "./backoff.ts";
import type { CacheTransform } from "./cache-transform.ts";
import { type Clock, realClock, sleep, type TimerHandle } from "./clock.ts";
import { httpStatusOf } from "./errors.ts";
import type { KubeConfig } from "./kube-config.ts";
import { type KubeListWatcherOptions, kubeListWatcher, type ListWatcher } from "./list-watch.ts";
import { type CacheChange, ObjectCache } from "./object-cache.ts";
import type { ObjectMetaLike } from "./object-key.ts";
import type { ResourceRef } from "./resource.ts";

/** Notified of every change; a resync delivers onUpdate(obj, obj). */
export interface InformerHandlers<T> {
  onAdd?(object: T): void;
  onUpdate?(old: T, object: T): void;
  onDelete?(object: T): void;
}

export interface InformerOptions<T> {
  /** Names the informer in logs. Default: the resource's plural. */
  name?: string;
  /** What to list and watch; required unless listWatcher is given. */
  resource?: ResourceRef;
  kubeConfig?: KubeConfig;
  /** Namespace, selectors, page size for the Kubernetes list-watcher. */
  listWatchOptions?: KubeListWatcherOptions;
  /** Replaces the Kubernetes list-watcher (tests). */
  listWatcher?: ListWatcher<T>;
  /**
   * Applied to every object the list or the watch brings, before it is
   * cached or handed to handlers (client-go's SetTransform): keep only what
   * reconciling reads. It gets the freshly decoded object, which nothing
   * else holds. Default: as decoded.
   */
  transform?: CacheTransform<T>;
  /** Re-deliver every cached object this often; 0 disables. Default 10 min. */
  resyncPeriodMs?: number;
  /** Restart backoff after failures: 800 ms doubling to 30 s, +0-100% jitter (client-go's reflector). */
  backoff?: { initialMs?: number; maxMs?: number; jitter?: number };
  /** A watch that ends sooner than this without events counts as a failure. Default 1 s. */
  minHealthyWatchMs?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

export interface Informer<T> {
  readonly name: string;
  /** Begins list+watch in the background; safe to call once. */
  start(): void;
  /** Stops watching, aborts any request in flight, and resolves when the loop has ended. */
  stop(): Promise<void>;
  /** True once the first list has been applied to the cache. */
  hasSynced(): boolean;
  /** Resolves true when synced, false if stopped or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  /** The cached object for `namespace/name` (or `name`). */
  get(key: string): T | undefined;
  list(): T[];
  /** Registers handlers; objects already cached are replayed to them as adds. */
  addHandlers(handlers: InformerHandlers<T>): void;
  /** The resourceVersion the next watch starts from. */
  lastSyncResourceVersion(): string;
}

/**
 * An informer: list, then watch from the list's resourceVersion, keeping an
 * in-memory cache and notifying handlers. It never gives up while started:
 * - a watch that ends normally is resumed from the last resourceVersion seen
 *   (events and bookmarks both advance it);
 * - 410 Gone / "too old resource version" triggers a relist whose diff
 *   against the cache delivers the changes missed, deletes included;
 * - any other failure (API server down, RBAC, network) retries with capped
 *   exponential backoff and jitter, reset once a watch has been healthy.
 */
export function createInformer<T extends ObjectMetaLike>(options: InformerOptions<T>): Informer<T> {
  const name = options.name ?? options.resource?.plural ?? "informer";
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const log = options.logger?.child({ informer: name });
  const resyncPeriodMs = options.resyncPeriodMs ?? 10 * 60_000;
  const minHealthyWatchMs = options.minHealthyWatchMs ?? 1000;
  const backoff = {
    initialMs: options.backoff?.initialMs ?? 800,
    maxMs: options.backoff?.maxMs ?? 30_000,
    jitter: options.backoff?.jitter ?? 1,
    random,
  };
  const listWatcher = options.listWatcher ?? defaultListWatcher(options);
  const transform = options.transform ?? ((object: T) => object);

  const cache = new ObjectCache<T>();
  const handlers: Array<InformerHandlers<T>> = [];
  let resourceVersion = "";
  let synced = false;
  let started = false;
  let stopped = false;
  const stopController = new AbortController();
  let loop: Promise<void> | undefined;
  let resyncTimer: TimerHandle | undefined;
  const syncWaiters = new Set<(ok: boolean) => void>();

  const notify = (change: CacheChange<T>) => {
    for (const h of handlers) {
      try {
        if (change.type === "add") h.onAdd?.(change.object);
        else if (change.type === "update") h.onUpdate?.(change.old, change.object);
        else h.onDelete?.(change.object);
      } catch (err) {
        log?.error({ err, key: change.key }, "informer handler threw");
      }
    }
  };

  const markSynced = () => {
    if (synced) return;
    synced = true;
    for (const resolve of syncWaiters) resolve(true);
    syncWaiters.clear();
    scheduleResync();
  };

  const scheduleResync = () => {
    if (resyncPeriodMs <= 0 || stopped) return;
    resyncTimer = clock.setTimeout(() => {
      resyncTimer = undefined;
      if (stopped) return;
      for (const object of cache.list()) notify({ type: "update", key: "", old: object, object });
      scheduleResync();
    }, resyncPeriodMs);
  };

  const listOnce = async () => {
    // Transformed page by page: the untransformed list is never held whole.
    const result = await listWatcher.list(stopController.signal, transform);
    if (stopped) return;
    const changes = cache.replace(result.items);
    resourceVersion = result.resourceVersion;
    log?.debug(
      { objects: result.items.length, changes: changes.length, resourceVersion },
      "listed",
    );
    for (const change of changes) notify(change);
    markSynced();
  };

  /** Returns how many events the watch delivered before ending normally. */
  const watchOnce = async (): Promise<number> => {
    let events = 0;
    await listWatcher.watch(
      resourceVersion,
      (event) => {
        if (stopped) return;
        events++;
        const rv = event.object.metadata?.resourceVersion;
        if (event.type === "BOOKMARK") {
          if (rv) resourceVersion = rv;
          return;
        }
        const object = transform(event.object);
        const change = event.type === "DELETED" ? cache.remove(object) : cache.upsert(object);
        if (rv) resourceVersion = rv;
        if (change) notify(change);
        else if (event.type === "DELETED") {
          // Not cached (created and deleted between list and watch): still tell.
          notify({ type: "delete", key: "", object });
        }
      },
      stopController.signal,
    );
    return events;
  };

  const run = async () => {
    let failures = 0;
    let needList = true;
    while (!stopped) {
      let delay = 0;
      try {
        if (needList) {
          await listOnce();
          needList = false;
        }
        if (stopped) break;
        const startedAt = clock.now();
        const events = await watchOnce();
        if (stopped) break;
        if (events > 0 || clock.now() - startedAt >= minHealthyWatchMs) {
          failures = 0;
        } else {
          failures++;
          delay = backoffDelay(failures, backoff);
          log?.debug({ failures, delayMs: delay }, "watch closed at once; backing off");
        }
      } catch (err) {
        if (stopped) break;
        const status = httpStatusOf(err);
        if (status === 410) {
          // Our resourceVersion fell out of the API server's window: relist
          // and diff. Immediately the first time, with backoff if it repeats.
          needList = true;
          delay = failures > 0 ? backoffDelay(failures, backoff) : 0;
          failures++;
          log?.info({ resourceVersion }, "resourceVersion too old; relisting");
        } else {
          failures++;
          delay = backoffDelay(failures, backoff);
          log?.warn(
            { err, failures, delayMs: Math.round(delay), relist: needList },
            "list/watch failed; retrying",
          );
        }
      }
      if (delay > 0) await sleep(clock, delay, stopController.signal);
    }
  };

  return {
    name,
    start() {
      if (started) return;
      started = true;
      loop = run().catch((err: unknown) => {
        log?.error({ err }, "informer loop crashed");
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      stopController.abort();
      if (resyncTimer !== undefined) clock.clearTimeout(resyncTimer);
      for (const resolve of syncWaiters) resolve(false);
      syncWaiters.clear();
      await loop;
    },
    hasSynced: () => synced,
    waitForSync(signal) {
      if (synced) return Promise.resolve(true);
      if (stopped || signal?.aborted) return Promise.resolve(false);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          syncWaiters.delete(done);
          signal?.removeEventListener("abort", onAbort);
          resolve(ok);
        };
        const onAbort = () => done(false);
        syncWaiters.add(done);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    get: (key) => cache.get(key),
    list: () => cache.list(),
    addHandlers(h) {
      handlers.push(h);
      for (const object of cache.list()) {
        try {
          h.onAdd?.(object);
        } catch (err) {
          log?.error({ err }, "informer handler threw");
        }
      }
    },
    lastSyncResourceVersion: () => resourceVersion,
  };
}

function defaultListWatcher<T extends ObjectMetaLike>(options: InformerOptions<T>): ListWatcher<T> {
  if (!options.resource || !options.kubeConfig) {
    throw new Error("createInformer needs resource and kubeConfig, or a listWatcher");
  }
  return kubeListWatcher<T>(options.kubeConfig, options.resource, options.listWatchOptions);
}
