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
}

export interface PlatformObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  /** Unvalidated: the controller re-validates it with zod. */
  spec?: unknown;
  status?: PlatformStatus;
}

export interface RayServiceObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { serveConfigV2?: string; [key: string]: unknown };
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
