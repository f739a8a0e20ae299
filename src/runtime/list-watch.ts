import type { KubeConfig } from "./kube-config.ts";
import { createKubeRequester, withQuery } from "./kube-request.ts";
import type { ObjectMetaLike } from "./object-key.ts";
import { collectionPath, type ResourceRef } from "./resource.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface ListResult<T> {
  items: T[];
  /** The collection's resourceVersion: where a watch continues from. */
  resourceVersion: string;
}

/**
 * The two calls an informer needs. The Kubernetes implementation is below;
 * tests pass a fake.
 */
export interface ListWatcher<T> {
  /**
   * A consistent, complete list (all pages). Each item goes through `each`
   * as its page arrives, so a list of large objects is never held whole
   * before the informer's transform has made them small.
   */
  list(signal: AbortSignal, each?: (item: T) => T): Promise<ListResult<T>>;
  /**
   * Streams events after `resourceVersion` to onEvent. Resolves when the
   * stream ends normally (server timeout, connection closed) or `signal`
   * aborts; rejects on an error, including an ERROR event, as WatchError.
   */
  watch(
    resourceVersion: string,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/** A failed watch; `code` is the HTTP status (410 when the resourceVersion is too old). */
export class WatchError extends Error {
  override readonly name = "WatchError";
  readonly code: number | undefined;
  readonly reason: string | undefined;

  constructor(message: string, code: number | undefined, reason?: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export interface KubeListWatcherOptions {
  /** Restrict a namespaced resource to one namespace; default all. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** List page size. Default 500 (client-go's). */
  pageSize?: number;
  /**
   * Server-side watch timeout, picked at random in [min, max] seconds per
   * watch. Default 20-28 s, well under the transport's 60 s silence limit:
   * the API server sends a bookmark 2 s before the deadline, so even a quiet
   * resource's watch ends cleanly with a fresh resourceVersion instead of
   * timing out with a stale one (which, once compacted, would force a full
   * relist).
   */
  watchTimeoutSeconds?: { min: number; max: number };
  random?: () => number;
}

interface RawList<T> {
  items?: T[] | null;
  metadata?: { resourceVersion?: string; continue?: string };
}

interface RawStatus {
  code?: number;
  reason?: string;
  message?: string;
}

const WATCH_TYPES = new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]);

/** list (paged, raw JSON) + watch (newline-delimited JSON, with bookmarks) for any resource. */
export function kubeListWatcher<T extends ObjectMetaLike>(
  kc: KubeConfig,
  resource: ResourceRef,
  options: KubeListWatcherOptions = {},
): ListWatcher<T> {
  const request = createKubeRequester(kc);
  const path = collectionPath(resource, options.namespace);
  const pageSize = options.pageSize ?? 500;
  const watchTimeout = options.watchTimeoutSeconds ?? { min: 20, max: 28 };
  const random = options.random ?? Math.random;
  const selectors = {
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
  };

  return {
    async list(signal, each) {
      const items: T[] = [];
      let continueToken: string | undefined;
      let resourceVersion = "";
      do {
        const page = await request<RawList<T>>({
          method: "GET",
          path,
          query: { ...selectors, limit: pageSize, continue: continueToken },
          signal,
          timeoutMs: 60_000,
        });
        for (const item of page.items ?? []) items.push(each ? each(item) : item);
        resourceVersion = page.metadata?.resourceVersion ?? "";
        continueToken = page.metadata?.continue || undefined;
      } while (continueToken);
      return { items, resourceVersion };
    },

    async watch(resourceVersion, onEvent, signal) {
      const timeoutSeconds = Math.round(
        watchTimeout.min + (watchTimeout.max - watchTimeout.min) * random(),
      );
      const query = {
        ...selectors,
        watch: true,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
      };
      const transport = await kc.transport();
      let failure: WatchError | undefined;
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        await transport.watch(
          withQuery(path, query),
          (type, object) => {
            if (failure) return;
            if (type === "ERROR") {
              const status = (object ?? {}) as RawStatus;
              failure = new WatchError(
                status.message ?? "watch error event",
                status.code,
                status.reason ?? undefined,
              );
              stop.abort();
              return;
            }
            if (WATCH_TYPES.has(type))
              onEvent({ type: type as WatchEventType, object: object as T });
          },
          stop.signal,
        );
      } catch (err) {
        // A silent watch is a normal end: continue from the last resourceVersion.
        if ((err as { name?: string }).name !== "TimeoutError") throw err;
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
      if (failure) throw failure;
    },
  };
}
