/**
 * The platform reconciler's ports on the Kubernetes API: fresh GETs, the
 * resourceVersion-guarded write of serveConfigV2, the status subresource and
 * core/v1 Events.
 */
import type { Logger } from "pino";
import { createEventRecorder } from "../../adapters/events.ts";
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

export function createKubePlatformPorts(options: KubePlatformPortsOptions): PlatformPorts {
  const { request, clock, logger, identity } = options;
  const record = createEventRecorder(request, {
    component: FIELD_MANAGER,
    instance: identity,
    now: () => clock.now(),
  });
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
      try {
        await record(about, event);
      } catch (err) {
        logger.warn(
          { err, reason: event.reason, object: about.metadata.name },
          "recording an Event failed",
        );
      }
    },
  };
}
