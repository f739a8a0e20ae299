// MonteCarloPlatform: cluster-wide configuration, conventionally one named
// `default`. Names the KubeRay RayService that serves the simulator, the
// Serve autoscaling bounds the platform controller keeps in its
// serveConfigV2, and the limits the simulation controller enforces.
import { z } from "zod";
import { ConditionList } from "./conditions.ts";
import { withRules } from "./rules.ts";
import { DEFAULT_MAX_PATH_STEPS, MAX_DAYS, MAX_PATH_STEPS, MAX_PATHS } from "./simulation.ts";

const dnsName = (description: string) =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
    .meta({ description });

const Autoscaling = withRules(
  z.object({
    minReplicas: z.int().min(0).max(1000).default(1).meta({
      description: "Serve autoscaling_config.min_replicas.",
    }),
    maxReplicas: z.int().min(1).max(1000).default(10).meta({
      description: "Serve autoscaling_config.max_replicas (> 0).",
    }),
    targetOngoingRequests: z.number().gt(0).lte(10000).default(5).meta({
      description: "Serve autoscaling_config.target_ongoing_requests per replica (> 0).",
    }),
    initialReplicas: z.int().min(0).max(1000).optional().meta({
      description: "Serve autoscaling_config.initial_replicas, between min and max.",
    }),
    upscaleDelaySeconds: z.number().min(0).max(86400).optional().meta({
      description: "Serve autoscaling_config.upscale_delay_s.",
    }),
    downscaleDelaySeconds: z.number().min(0).max(86400).optional().meta({
      description: "Serve autoscaling_config.downscale_delay_s.",
    }),
  }),
  "Serve autoscaling bounds of the simulator deployment.",
  [
    {
      cel: "self.minReplicas <= self.maxReplicas",
      check: (a) => a.minReplicas <= a.maxReplicas,
      message: "autoscaling.minReplicas must not exceed autoscaling.maxReplicas",
      fieldPath: ".minReplicas",
    },
    {
      cel: "!has(self.initialReplicas) || (self.initialReplicas >= self.minReplicas && self.initialReplicas <= self.maxReplicas)",
      check: (a) =>
        a.initialReplicas === undefined ||
        (a.initialReplicas >= a.minReplicas && a.initialReplicas <= a.maxReplicas),
      message: "autoscaling.initialReplicas must lie between minReplicas and maxReplicas",
      fieldPath: ".initialReplicas",
    },
  ],
);

const Limits = z
  .object({
    maxPaths: z.int().min(1).max(MAX_PATHS).default(MAX_PATHS).meta({
      description: "Largest spec.simulation.paths a simulation may request.",
    }),
    maxHorizonDays: z.int().min(1).max(MAX_DAYS).default(MAX_DAYS).meta({
      description: "Largest number of days a simulation may simulate.",
    }),
    maxConcurrentRuns: z.int().min(1).max(10000).default(20).meta({
      description: "Simulations of this platform in flight at once; others wait (Pending).",
    }),
    maxPathSteps: z.number().min(1).max(MAX_PATH_STEPS).default(DEFAULT_MAX_PATH_STEPS).meta({
      description:
        "Largest paths x days simulated x mean trades per day a simulation may ask for (its total work).",
    }),
    defaultActiveDeadlineSeconds: z.int().min(1).max(604800).optional().meta({
      description: "activeDeadlineSeconds of simulations that set none; unset means no deadline.",
    }),
    ttlSecondsAfterFinished: z.int().min(0).max(31_536_000).optional().meta({
      description:
        "ttlSecondsAfterFinished of simulations that set none; unset means finished simulations are kept.",
    }),
  })
  .meta({ description: "Limits the simulation controller enforces for this platform." });

export const PlatformSpec = withRules(
  z.object({
    rayService: z
      .object({
        namespace: dnsName("Namespace of the RayService."),
        name: dnsName("Name of the RayService."),
      })
      .meta({ description: "The KubeRay ray.io/v1 RayService that serves the simulator." }),
    application: z.string().min(1).max(253).default("simulator").meta({
      description: "Application name inside the RayService's serveConfigV2.",
    }),
    deployment: z.string().min(1).max(253).default("MonteCarloSimulator").meta({
      description: "Deployment name inside that application.",
    }),
    endpoint: z
      .string()
      .max(2048)
      .regex(/^(https?:\/\/.+)?$/)
      .default("")
      .meta({
        description:
          "Simulator base URL; empty means http://<rayService.name>-serve-svc.<rayService.namespace>.svc:8000.",
      }),
    autoscaling: Autoscaling.default({ minReplicas: 1, maxReplicas: 10, targetOngoingRequests: 5 }),
    maxOngoingRequests: z.int().min(1).max(100000).default(100).meta({
      description: "Serve max_ongoing_requests per replica.",
    }),
    limits: Limits.default({
      maxPaths: MAX_PATHS,
      maxHorizonDays: MAX_DAYS,
      maxConcurrentRuns: 20,
      maxPathSteps: DEFAULT_MAX_PATH_STEPS,
    }),
  }),
  "Desired platform configuration.",
  [
    {
      cel: "self.maxOngoingRequests >= self.autoscaling.targetOngoingRequests",
      check: (p) => p.maxOngoingRequests >= p.autoscaling.targetOngoingRequests,
      message: "maxOngoingRequests must be at least autoscaling.targetOngoingRequests",
      fieldPath: ".maxOngoingRequests",
    },
  ],
);
export type PlatformSpec = z.output<typeof PlatformSpec>;

export const AppliedBounds = z
  .object({
    minReplicas: z.int().meta({ description: "Applied min_replicas." }),
    maxReplicas: z.int().meta({ description: "Applied max_replicas." }),
    targetOngoingRequests: z.number().meta({ description: "Applied target_ongoing_requests." }),
    initialReplicas: z.int().optional().meta({ description: "Applied initial_replicas." }),
    upscaleDelaySeconds: z.number().optional().meta({ description: "Applied upscale_delay_s." }),
    downscaleDelaySeconds: z
      .number()
      .optional()
      .meta({ description: "Applied downscale_delay_s." }),
    maxOngoingRequests: z.int().meta({ description: "Applied max_ongoing_requests." }),
    serveConfigHash: z.string().meta({
      description: "SHA-256 of the serveConfigV2 document as last written or verified.",
    }),
  })
  .meta({ description: "The bounds last applied to the RayService." });
export type AppliedBounds = z.infer<typeof AppliedBounds>;

export const PlatformStatus = z
  .object({
    observedGeneration: z.int().min(0).optional().meta({
      description: "The metadata.generation this status describes.",
    }),
    conditions: ConditionList.optional(),
    applied: AppliedBounds.optional(),
    endpoint: z.string().optional().meta({ description: "The simulator URL in use." }),
  })
  .meta({ description: "Observed state of the platform." });
export type PlatformStatus = z.infer<typeof PlatformStatus>;

/** The simulator URL: the explicit endpoint, or the RayService's Serve service in-cluster. */
export function platformEndpoint(spec: Pick<PlatformSpec, "endpoint" | "rayService">): string {
  if (spec.endpoint) return spec.endpoint.replace(/\/+$/, "");
  return `http://${spec.rayService.name}-serve-svc.${spec.rayService.namespace}.svc:8000`;
}

/** The simulator URL of a platform object whose spec is valid; undefined otherwise. */
export function endpointOfPlatform(platform: { spec?: unknown } | undefined): string | undefined {
  const spec = PlatformSpec.safeParse(platform?.spec);
  return spec.success ? platformEndpoint(spec.data) : undefined;
}

/**
 * A RayService annotation holding the serve config (YAML) that a platform
 * renders `spec.serveConfigV2` from: this base plus the platform's bounds.
 * With it, Git owns the base and the platform owns serveConfigV2 whole, so a
 * Git change reaches Serve and the bounds stay in force (docs/platform.md).
 */
export const SERVE_CONFIG_BASE_ANNOTATION = "montecarlo.vatic.io/serve-config-base";
