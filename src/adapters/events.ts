// core/v1 Events, as `kubectl describe` shows them. Events about a
// cluster-scoped object go to the `default` namespace, as client-go's
// recorder does. No aggregation: callers emit only on changes.
import type { KubeRequester } from "../runtime/kube-request.ts";

export interface EventSubject {
  readonly apiVersion?: string | undefined;
  readonly kind?: string | undefined;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string | undefined;
    readonly uid?: string | undefined;
    readonly resourceVersion?: string | undefined;
  };
}

export interface EventRecord {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

export const CLUSTER_EVENT_NAMESPACE = "default";

let sequence = 0;

/**
 * `<object>.<hex>`, unique within the process, as client-go names Events
 * (the time in nanoseconds): random bytes cost a system call per Event.
 */
function eventName(object: string, nowMs: number): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${object.slice(0, 200)}.${(BigInt(nowMs) * 1_000_000n + BigInt(sequence)).toString(16)}`;
}

export type EventRecorder = (about: EventSubject, event: EventRecord) => Promise<void>;

export function createEventRecorder(
  request: KubeRequester,
  options: { component: string; instance: string; now?: () => number },
): EventRecorder {
  const now = options.now ?? Date.now;
  return async (about, event) => {
    const meta = about.metadata;
    const namespace = meta.namespace ?? CLUSTER_EVENT_NAMESPACE;
    const time = new Date(now()).toISOString();
    await request({
      method: "POST",
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      body: {
        apiVersion: "v1",
        kind: "Event",
        metadata: {
          name: eventName(meta.name, now()),
          namespace,
        },
        involvedObject: {
          apiVersion: about.apiVersion,
          kind: about.kind,
          name: meta.name,
          ...(meta.namespace ? { namespace: meta.namespace } : {}),
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        type: event.type,
        reason: event.reason,
        action: event.reason,
        message: event.message.slice(0, 1024),
        source: { component: options.component },
        reportingComponent: options.component,
        reportingInstance: options.instance,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
      },
      ignoreResponse: true,
    });
  };
}
