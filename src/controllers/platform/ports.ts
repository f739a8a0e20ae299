/**
 * What the platform reconciler needs from the world, as narrow ports: the
 * Kubernetes implementation is in kube-ports.ts, the tests use in-memory fakes.
 */
import type { PlatformStatus } from "../../api/platform.ts";
import type { PlannedEvent, ServeConfigWrite } from "./decide.ts";
import type { PlatformObject, RayServiceObject } from "./objects.ts";

export interface PlatformPorts {
  /**
   * The platform as the API server has it now. Reads are fresh rather than
   * from the informer cache: the write is guarded by the RayService's
   * resourceVersion, and the two informers deliver our own writes in no
   * particular order, so a cached read right after a write would conflict or
   * write the same status twice.
   */
  getPlatform(name: string, signal: AbortSignal): Promise<PlatformObject | undefined>;
  getRayService(
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<RayServiceObject | undefined>;
  /** Every platform, to find which one claims a deployment (the informer cache serves). */
  listPlatforms(): PlatformObject[];
  /** Replaces spec.serveConfigV2 only if the RayService is still at `write.resourceVersion`; 409 otherwise. */
  writeServeConfig(write: ServeConfigWrite, signal: AbortSignal): Promise<void>;
  /** Replaces the platform's status through the status subresource. */
  writeStatus(platform: PlatformObject, status: PlatformStatus, signal: AbortSignal): Promise<void>;
  /** Records an Event; failures are the port's to log, never the reconcile's. */
  recordEvent(event: PlannedEvent, about: PlatformObject | RayServiceObject): Promise<void>;
}
