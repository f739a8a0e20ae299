/** Objects shared by the platform controller's unit tests. */
import { readFileSync } from "node:fs";
import type {
  PlatformObject,
  RayServiceObject,
  RayServiceStatus,
} from "../../../src/controllers/platform/objects.ts";

export const SERVE_CONFIG = readFileSync(
  new URL("./fixtures/serve-config.yaml", import.meta.url),
  "utf8",
);

/** The serve config of the fixture with other bounds than the platform's defaults. */
export const SERVE_CONFIG_MAX_3 = SERVE_CONFIG.replace(
  "max_replicas: 10       # burst capacity",
  "max_replicas: 3       # burst capacity",
);

export const NOW = new Date("2030-01-01T00:00:00.000Z");

export interface PlatformOverrides {
  name?: string;
  generation?: number;
  creationTimestamp?: string;
  spec?: Record<string, unknown>;
  autoscaling?: Record<string, unknown>;
  status?: PlatformObject["status"];
}

/** A platform as the API server returns it (defaults applied). */
export function platform(o: PlatformOverrides = {}): PlatformObject {
  return {
    apiVersion: "montecarlo.vatic.io/v1alpha1",
    kind: "MonteCarloPlatform",
    metadata: {
      name: o.name ?? "default",
      uid: `uid-${o.name ?? "default"}`,
      generation: o.generation ?? 1,
      resourceVersion: "10",
      creationTimestamp: o.creationTimestamp ?? "2029-12-01T00:00:00Z",
    },
    spec: {
      rayService: { namespace: "ray-system", name: "vatic-prop-ray" },
      application: "simulator",
      deployment: "MonteCarloSimulator",
      endpoint: "",
      autoscaling: { minReplicas: 1, maxReplicas: 10, targetOngoingRequests: 5, ...o.autoscaling },
      maxOngoingRequests: 100,
      limits: { maxPaths: 1000000, maxHorizonDays: 365, maxConcurrentRuns: 20 },
      ...o.spec,
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

/** What KubeRay 1.5 reports on a RayService whose applications all run. */
export const READY_STATUS: RayServiceStatus = {
  conditions: [{ type: "Ready", status: "True", reason: "NonZeroServeEndpoints", message: "" }],
  serviceStatus: "Running",
  activeServiceStatus: { applicationStatuses: { simulator: { status: "RUNNING" } } },
};

export function rayService(
  serveConfigV2: string | undefined,
  o: {
    resourceVersion?: string;
    deletionTimestamp?: string;
    name?: string;
    /** KubeRay's status; READY_STATUS unless given (null: none at all). */
    status?: RayServiceStatus | null;
    /** The serve config base annotation (montecarlo.vatic.io/serve-config-base). */
    base?: string;
  } = {},
): RayServiceObject {
  const status = o.status === undefined ? READY_STATUS : o.status;
  return {
    apiVersion: "ray.io/v1",
    kind: "RayService",
    metadata: {
      name: o.name ?? "vatic-prop-ray",
      namespace: "ray-system",
      uid: "uid-rs",
      resourceVersion: o.resourceVersion ?? "100",
      ...(o.deletionTimestamp ? { deletionTimestamp: o.deletionTimestamp } : {}),
      ...(o.base !== undefined
        ? { annotations: { "montecarlo.vatic.io/serve-config-base": o.base } }
        : {}),
    },
    spec: serveConfigV2 === undefined ? {} : { serveConfigV2 },
    ...(status ? { status } : {}),
  };
}
