import { type KubeConfig, Watch } from "@kubernetes/client-node";
import { createKubeRequester } from "./kube-request.ts";
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
  /** A consistent, complete list (all pages). */
  list(signal: AbortSignal): Promise<ListResult<T>>;
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
   * watch. Default 20-28 s, under client-node's fixed 30 s inactivity
   * timeout: the API server sends a bookmark 2 s before the deadline, so even
   * a quiet resource's watch ends cleanly with a fresh resourceVersion
   * instead of timing out with a stale one (which, once compacted, would
   * force a full relist).
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

/** list (paged, raw JSON) + watch (client-node's Watch, with bookmarks) for any resource. */
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
    async list(signal) {
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
        items.push(...(page.items ?? []));
        resourceVersion = page.metadata?.resourceVersion ?? "";
        continueToken = page.metadata?.continue || undefined;
      } while (continueToken);
      return { items, resourceVersion };
    },

    watch(resourceVersion, onEvent, signal) {
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        let request: AbortController | undefined;
        const settle = (err?: unknown) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener("abort", onAbort);
          request?.abort();
          if (err === undefined) resolve();
          else reject(err);
        };
        const onAbort = () => settle();
        signal.addEventListener("abort", onAbort, { once: true });

        const timeoutSeconds = Math.round(
          watchTimeout.min + (watchTimeout.max - watchTimeout.min) * random(),
        );
        new Watch(kc)
          .watch(
            path,
            {
              ...selectors,
              resourceVersion,
              allowWatchBookmarks: true,
              timeoutSeconds,
            },
            (type: string, object: unknown) => {
              if (settled) return;
              if (type === "ERROR") {
                const status = (object ?? {}) as RawStatus;
                settle(
                  new WatchError(
                    status.message ?? "watch error event",
                    status.code,
                    status.reason ?? undefined,
                  ),
                );
                return;
              }
              if (
                type === "ADDED" ||
                type === "MODIFIED" ||
                type === "DELETED" ||
                type === "BOOKMARK"
              ) {
                onEvent({ type, object: object as T });
              }
            },
            (err: unknown) => {
              if (err === null || err === undefined || signal.aborted) {
                settle();
                return;
              }
              const name = (err as { name?: string }).name;
              // client-node ends a silent watch after 30 s without data; that
              // is a normal end: continue from the last resourceVersion.
              if (name === "TimeoutError") settle();
              else if (name === "AbortError") settle();
              else settle(err);
            },
          )
          .then(
            (controller) => {
              request = controller;
              if (settled || signal.aborted) controller.abort();
            },
            (err: unknown) => settle(err),
          );
      });
    },
  };
}
