/**
 * Wiring of the platform controller on the shared runtime: an informer of
 * MonteCarloPlatforms (cluster-scoped) and one of KubeRay RayServices; a
 * platform event reconciles that platform, a RayService event every platform
 * naming it (drift correction, RayServices created after their platform).
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { type Clock, realClock } from "../../runtime/clock.ts";
import { type Controller, createController } from "../../runtime/controller.ts";
import type { ControllerMetrics } from "../../runtime/controller-metrics.ts";
import { createInformer, type Informer } from "../../runtime/informer.ts";
import type { KubeConfig } from "../../runtime/kube-config.ts";
import { createKubeRequester, type KubeRequester } from "../../runtime/kube-request.ts";
import { createKubePlatformPorts } from "./kube-ports.ts";
import { createPlatformMetrics } from "./metrics.ts";
import {
  type PlatformObject,
  PlatformResource,
  type RayServiceObject,
  RayServiceResource,
} from "./objects.ts";
import { CONTROLLER_NAME } from "./reasons.ts";
import { createPlatformReconciler, platformsReferring } from "./reconciler.ts";

export interface PlatformControllerOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** controller-runtime metrics shared by all controllers (createControllerMetrics). */
  controllerMetrics?: ControllerMetrics;
  /** Where the montecarlo_platform_* metrics go; omitted, they are not kept. */
  registry?: Registry;
  /** Reconcile only the platforms matching this label selector (sharding, tests); default all. */
  platformSelector?: string;
  /** Watch RayServices in this namespace only (a Role instead of a ClusterRole); default all. */
  rayServiceNamespace?: string;
  /** Events' reportingInstance; default the host name (the pod name in a cluster). */
  identity?: string;
  /** Informer resync; every platform is re-checked this often. Default 10 min. */
  resyncPeriodMs?: number;
  workers?: number;
  clock?: Clock;
  /** The requester for the reconciler's reads and writes; default one made from kubeConfig. */
  request?: KubeRequester;
}

export interface PlatformController {
  readonly name: string;
  readonly controller: Controller;
  /**
   * Its two informers, for a caller that starts and stops informers and
   * controllers itself (main.ts); start()/stop() below do both.
   */
  readonly informers: readonly [Informer<PlatformObject>, Informer<RayServiceObject>];
  /**
   * Starts both informers and, once they have synced, the workers; resolves
   * when the workers run. Aborting `signal` stops like stop().
   */
  start(signal?: AbortSignal): Promise<void>;
  /** Stops the workers (waiting for in-flight reconciles) and then the informers. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** True once both informers have synced (for a readiness check). */
  hasSynced(): boolean;
}

export function createPlatformController(options: PlatformControllerOptions): PlatformController {
  const clock = options.clock ?? realClock;
  const logger = options.logger;
  const informerOptions = {
    kubeConfig: options.kubeConfig,
    clock,
    logger,
    ...(options.resyncPeriodMs !== undefined ? { resyncPeriodMs: options.resyncPeriodMs } : {}),
  };
  const platforms: Informer<PlatformObject> = createInformer<PlatformObject>({
    ...informerOptions,
    name: "montecarloplatforms",
    resource: PlatformResource,
    ...(options.platformSelector
      ? { listWatchOptions: { labelSelector: options.platformSelector } }
      : {}),
  });
  const rayServices: Informer<RayServiceObject> = createInformer<RayServiceObject>({
    ...informerOptions,
    name: "rayservices",
    resource: RayServiceResource,
    ...(options.rayServiceNamespace
      ? { listWatchOptions: { namespace: options.rayServiceNamespace } }
      : {}),
  });

  const ports = createKubePlatformPorts({
    request: options.request ?? createKubeRequester(options.kubeConfig),
    listPlatforms: () => platforms.list(),
    clock,
    logger: logger.child({ controller: CONTROLLER_NAME }),
    identity: options.identity ?? hostname(),
  });
  const controller = createController({
    name: CONTROLLER_NAME,
    workers: options.workers ?? 1,
    logger,
    clock,
    ...(options.controllerMetrics ? { metrics: options.controllerMetrics } : {}),
    reconcile: createPlatformReconciler({
      ports,
      clock,
      metrics: options.registry ? createPlatformMetrics(options.registry) : undefined,
    }),
  });
  controller.watch(platforms);
  controller.watch(rayServices, (rs) => platformsReferring(rs, platforms.list()));

  let informersStopped: Promise<void> | undefined;
  const stop = async (stopOptions?: { timeoutMs?: number }) => {
    await controller.stop(stopOptions);
    informersStopped ??= Promise.all([platforms.stop(), rayServices.stop()]).then(() => {});
    await informersStopped;
  };

  return {
    name: CONTROLLER_NAME,
    controller,
    informers: [platforms, rayServices],
    async start(signal) {
      signal?.addEventListener("abort", () => void stop(), { once: true });
      platforms.start();
      rayServices.start();
      await controller.start(signal);
    },
    stop,
    hasSynced: () => controller.hasSynced(),
  };
}
