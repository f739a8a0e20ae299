/**
 * The RayService status KubeRay (1.5) writes, computed from what the Ray
 * dashboard reports: pure, so the stand-in's one decision is testable.
 *
 * KubeRay's `Ready` condition is about traffic, not about the last change:
 * it stays `Initializing` until every application of the config has run
 * once, and after that it is True while Serve has a healthy proxy
 * (`NonZeroServeEndpoints`), even during an in-place update.
 */

export interface Condition {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface AppStatus {
  status?: string;
  message?: string;
  serveDeploymentStatuses?: Record<string, { status?: string; message?: string }>;
}

/** The part of ray.io/v1 RayServiceStatuses the stand-in writes. */
export interface RayServiceStatus {
  conditions?: Condition[];
  serviceStatus?: string;
  numServeEndpoints?: number;
  observedGeneration?: number;
  lastUpdateTime?: string;
  activeServiceStatus?: { applicationStatuses?: Record<string, AppStatus> };
}

/** GET /api/serve/applications/ of the Ray dashboard, the fields read here. */
export interface ServeDetails {
  applications?: Record<
    string,
    {
      status: string;
      message?: string;
      deployments?: Record<string, { status: string; message?: string }>;
    }
  >;
  proxies?: Record<string, { status: string }>;
}

export interface Observation {
  /** metadata.generation of the RayService as read. */
  generation: number;
  /** The applications its serveConfigV2 names (none when it has no config). */
  applications: readonly string[];
  /** Serve holds this generation's config (it was sent, or was already). */
  configApplied: boolean;
  /** Why the config could not be delivered (bad YAML, a refused PUT), if it could not. */
  configError?: string | undefined;
  /** The dashboard's report; undefined when it could not be read (see serveError). */
  serve?: ServeDetails | undefined;
  serveError?: string | undefined;
}

/** The status to hold now; lastUpdateTime is the writer's to set. */
export function rayServiceStatus(
  previous: RayServiceStatus | undefined,
  seen: Observation,
  now: Date,
): RayServiceStatus {
  const apps = seen.serve?.applications ?? {};
  const running = seen.applications.filter((name) => apps[name]?.status === "RUNNING");
  const allRunning = seen.applications.length > 0 && running.length === seen.applications.length;
  const wasReady = ["NonZeroServeEndpoints", "ZeroServeEndpoints"].includes(
    findCondition(previous, "Ready")?.reason ?? "",
  );
  const endpoints = Object.values(seen.serve?.proxies ?? {}).filter(
    (p) => p.status === "HEALTHY",
  ).length;

  let ready: Omit<Condition, "type" | "lastTransitionTime">;
  // KubeRay makes a cluster active once Serve has accepted the config and runs all of it.
  if (!wasReady && !(seen.configApplied && allRunning)) {
    const waiting = seen.applications
      .filter((name) => !running.includes(name))
      .map((name) => `${name} ${apps[name]?.status ?? "absent"}`);
    const why =
      seen.configError ??
      seen.serveError ??
      (seen.applications.length === 0
        ? "no serveConfigV2"
        : `waiting for applications: ${waiting.join(", ")}`);
    ready = { status: "False", reason: "Initializing", message: why };
  } else if (endpoints > 0) {
    ready = { status: "True", reason: "NonZeroServeEndpoints", message: "" };
  } else {
    ready = { status: "False", reason: "ZeroServeEndpoints", message: seen.serveError ?? "" };
  }

  const conditions = [
    condition(previous, { type: "Ready", ...ready }, now),
    condition(
      previous,
      { type: "UpgradeInProgress", status: "False", reason: "NoPendingCluster", message: "" },
      now,
    ),
  ];
  const applicationStatuses = seen.serve
    ? appStatuses(seen.serve)
    : previous?.activeServiceStatus?.applicationStatuses;
  const observedGeneration = seen.configApplied ? seen.generation : previous?.observedGeneration;
  const serving = ready.status === "True";
  return {
    conditions,
    ...(serving ? { serviceStatus: "Running", numServeEndpoints: endpoints } : {}),
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    ...(applicationStatuses ? { activeServiceStatus: { applicationStatuses } } : {}),
  };
}

/** True when `next` says something `previous` does not; the update time alone does not count. */
export function statusDiffers(previous: RayServiceStatus | undefined, next: RayServiceStatus) {
  const { lastUpdateTime: _a, ...a } = previous ?? {};
  const { lastUpdateTime: _b, ...b } = next;
  return JSON.stringify(sorted(a)) !== JSON.stringify(sorted(b));
}

function appStatuses(serve: ServeDetails): Record<string, AppStatus> {
  const out: Record<string, AppStatus> = {};
  for (const [name, app] of Object.entries(serve.applications ?? {})) {
    const deployments: Record<string, { status?: string; message?: string }> = {};
    for (const [dep, d] of Object.entries(app.deployments ?? {})) {
      deployments[dep] = { status: d.status, ...(d.message ? { message: d.message } : {}) };
    }
    out[name] = {
      status: app.status,
      ...(app.message ? { message: app.message } : {}),
      serveDeploymentStatuses: deployments,
    };
  }
  return out;
}

function findCondition(status: RayServiceStatus | undefined, type: string) {
  return status?.conditions?.find((c) => c.type === type);
}

function condition(
  previous: RayServiceStatus | undefined,
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
): Condition {
  const before = findCondition(previous, next.type);
  const lastTransitionTime =
    before && before.status === next.status ? before.lastTransitionTime : now.toISOString();
  return { ...next, lastTransitionTime };
}

/** A copy with object keys in order, so that the API server's key order does not count. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, sorted(v)]),
  );
}
