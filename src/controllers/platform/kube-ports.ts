/**
 * The platform reconciler's ports on the Kubernetes API: fresh GETs, the
 * resourceVersion-guarded write of serveConfigV2, the status subresource and
 * core/v1 Events.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { PlatformStatus } from "../../api/platform.ts";
import type { Clock } from "../../runtime/clock.ts";
import { httpStatusOf } from "../../runtime/errors.ts";
import type { KubeRequester } from "../../runtime/kube-request.ts";
import { objectPath } from "../../runtime/resource.ts";
import type { PlannedEvent, ServeConfigWrite } from "./decide.ts";
import {
  type PlatformObject,
  PlatformResource,
  type RayServiceObject,
  RayServiceResource,
} from "./objects.ts";
import type { PlatformPorts } from "./ports.ts";
import { FIELD_MANAGER } from "./reasons.ts";

export interface KubePlatformPortsOptions {
  request: KubeRequester;
  /** The informer cache of platforms (for listPlatforms). */
  listPlatforms: () => PlatformObject[];
  clock: Clock;
  logger: Logger;
  /** Events' reportingInstance, e.g. the pod name. */
  identity: string;
}

/** Where core/v1 Events about cluster-scoped objects live (as client-go's recorder does). */
const CLUSTER_EVENT_NAMESPACE = "default";

export function createKubePlatformPorts(options: KubePlatformPortsOptions): PlatformPorts {
  const { request, clock, logger, identity } = options;
  const fieldManager = FIELD_MANAGER;

  const getOrUndefined = async <T>(path: string, signal: AbortSignal): Promise<T | undefined> => {
    try {
      return await request<T>({ method: "GET", path, signal });
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  };

  return {
    getPlatform: (name, signal) =>
      getOrUndefined<PlatformObject>(objectPath(PlatformResource, name), signal),

    getRayService: (namespace, name, signal) =>
      getOrUndefined<RayServiceObject>(objectPath(RayServiceResource, name, namespace), signal),

    listPlatforms: options.listPlatforms,

    async writeServeConfig(write: ServeConfigWrite, signal) {
      // A merge patch that carries metadata.resourceVersion is an optimistic
      // lock (controller-runtime's MergeFromWithOptimisticLock): the API
      // server answers 409 if the object moved on. It touches nothing but
      // serveConfigV2, and managedFields name us for Argo CD's ignoreDifferences.
      await request({
        method: "PATCH",
        path: objectPath(RayServiceResource, write.name, write.namespace),
        query: { fieldManager },
        contentType: "application/merge-patch+json",
        body: {
          metadata: { resourceVersion: write.resourceVersion },
          spec: { serveConfigV2: write.serveConfigV2 },
        },
        signal,
      });
    },

    async writeStatus(platform: PlatformObject, status: PlatformStatus, signal) {
      // "add" replaces /status whole, so fields we dropped really go away.
      await request({
        method: "PATCH",
        path: `${objectPath(PlatformResource, platform.metadata.name)}/status`,
        query: { fieldManager },
        contentType: "application/json-patch+json",
        body: [{ op: "add", path: "/status", value: status }],
        signal,
      });
    },

    async recordEvent(event: PlannedEvent, about: PlatformObject | RayServiceObject) {
      const meta = about.metadata;
      const namespace = meta.namespace ?? CLUSTER_EVENT_NAMESPACE;
      const time = new Date(clock.now()).toISOString();
      const body = {
        apiVersion: "v1",
        kind: "Event",
        metadata: {
          name: `${meta.name.slice(0, 200)}.${clock.now().toString(16)}${randomBytes(4).toString("hex")}`,
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
        reason: event.reason,
        message: event.message.slice(0, 1024),
        type: event.type,
        source: { component: FIELD_MANAGER },
        reportingComponent: FIELD_MANAGER,
        reportingInstance: identity,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
      };
      try {
        await request({ method: "POST", path: `/api/v1/namespaces/${namespace}/events`, body });
      } catch (err) {
        logger.warn({ err, reason: event.reason, object: meta.name }, "recording an Event failed");
      }
    },
  };
}
