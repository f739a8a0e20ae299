/**
 * Which keys of a serve config the platform owns: in one deployment of one
 * application, `max_ongoing_requests` and the autoscaling bounds, plus the
 * removed Ray Serve names it replaces. Everything else belongs to whoever
 * wrote the document.
 */

/** The Serve settings the platform owns, in the platform's own names. */
export interface ServeBounds {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetOngoingRequests: number;
  readonly initialReplicas?: number | undefined;
  readonly upscaleDelaySeconds?: number | undefined;
  readonly downscaleDelaySeconds?: number | undefined;
  readonly maxOngoingRequests: number;
}

/** Which deployment of which application inside serveConfigV2. */
export interface ServeTarget {
  readonly application: string;
  readonly deployment: string;
}

export const AUTOSCALING = "autoscaling_config";

/** Current Ray Serve names of removed ones, in the deployment and in its autoscaling_config. */
export const REMOVED_DEPLOYMENT_KEYS = { max_concurrent_queries: "max_ongoing_requests" } as const;
export const REMOVED_AUTOSCALING_KEYS = {
  target_num_ongoing_requests_per_replica: "target_ongoing_requests",
} as const;

/** The autoscaling keys the platform sets, in the order new keys are written. */
export function ownedAutoscaling(bounds: ServeBounds): Record<string, number> {
  const owned: Record<string, number> = {
    min_replicas: bounds.minReplicas,
    max_replicas: bounds.maxReplicas,
  };
  if (bounds.initialReplicas !== undefined) owned.initial_replicas = bounds.initialReplicas;
  owned.target_ongoing_requests = bounds.targetOngoingRequests;
  if (bounds.upscaleDelaySeconds !== undefined) owned.upscale_delay_s = bounds.upscaleDelaySeconds;
  if (bounds.downscaleDelaySeconds !== undefined) {
    owned.downscale_delay_s = bounds.downscaleDelaySeconds;
  }
  return owned;
}

const OWNED_DEPLOYMENT_KEYS = [
  "max_ongoing_requests",
  "num_replicas",
  ...Object.keys(REMOVED_DEPLOYMENT_KEYS),
];
const OWNED_AUTOSCALING_KEYS = [
  "min_replicas",
  "max_replicas",
  "initial_replicas",
  "target_ongoing_requests",
  "upscale_delay_s",
  "downscale_delay_s",
  ...Object.keys(REMOVED_AUTOSCALING_KEYS),
];

type Obj = Record<string, unknown>;
const named = (list: unknown, name: string) =>
  (Array.isArray(list) ? (list as Obj[]) : []).find((x) => x?.name === name);

/**
 * A parsed serve config (plain data) with the owned keys of the target
 * deployment deleted in place: what must not change when the platform edits.
 */
export function withoutOwned(config: unknown, target: ServeTarget): unknown {
  const app = named((config as Obj | null)?.applications, target.application);
  const deployment = named(app?.deployments, target.deployment);
  if (!deployment) return config;
  for (const key of OWNED_DEPLOYMENT_KEYS) delete deployment[key];
  const autoscaling = deployment[AUTOSCALING];
  if (autoscaling && typeof autoscaling === "object") {
    for (const key of OWNED_AUTOSCALING_KEYS) delete (autoscaling as Obj)[key];
    if (Object.keys(autoscaling).length === 0) delete deployment[AUTOSCALING];
  }
  return config;
}
