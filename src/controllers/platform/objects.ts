/**
 * The two kinds the platform controller reads, as plain JSON the API server
 * sends. Only the fields the controller uses are typed; everything else is
 * carried through untouched.
 */
import type { PlatformStatus } from "../../api/platform.ts";

export { PlatformResource, RayServiceResource } from "../../api/resources.ts";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  annotations?: Record<string, string>;
}

export interface PlatformObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  /** Unvalidated: the controller re-validates it with zod. */
  spec?: unknown;
  status?: PlatformStatus;
}

/** What KubeRay reports on a RayService (ray.io/v1 RayServiceStatuses), as far as it is read. */
export interface RayServiceStatus {
  /** KubeRay >= 1.3: `Ready` is True once Serve answers on at least one endpoint. */
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  /** Before KubeRay 1.3 (still written, deprecated): "Running" when ready. */
  serviceStatus?: string;
  activeServiceStatus?: {
    applicationStatuses?: Record<string, { status?: string; message?: string }>;
  };
}

export interface RayServiceObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { serveConfigV2?: string; [key: string]: unknown };
  status?: RayServiceStatus;
  [key: string]: unknown;
}

/** Where a platform points, read leniently so that even an invalid spec maps to its RayService. */
export function rayServiceRefOf(
  platform: PlatformObject,
): { namespace: string; name: string } | undefined {
  const ref = (
    platform.spec as { rayService?: { namespace?: unknown; name?: unknown } } | undefined
  )?.rayService;
  if (typeof ref?.namespace !== "string" || typeof ref.name !== "string") return undefined;
  return { namespace: ref.namespace, name: ref.name };
}
