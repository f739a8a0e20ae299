// Wires the simulation reconciler to the runtime: informers on simulations
// and platforms, the work queue, and the in-memory executions.

import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { createSimulationReader } from "../../adapters/simulation-reader.ts";
import { createSimulationWriter } from "../../adapters/simulation-writer.ts";
import type { PlatformObject, SimulationObject } from "../../api/objects.ts";
import { endpointOfPlatform } from "../../api/platform.ts";
import { PlatformResource, SimulationResource } from "../../api/resources.ts";
import { withoutBookkeeping } from "../../runtime/cache-transform.ts";
import { createController } from "../../runtime/controller.ts";
import type { ControllerMetrics } from "../../runtime/controller-metrics.ts";
import { createInformer, type Informer } from "../../runtime/informer.ts";
import type { KubeConfig } from "../../runtime/kube-config.ts";
import type { KubeRequester } from "../../runtime/kube-request.ts";
import { simulationCacheTransform } from "./cache-transform.ts";
import { Executions } from "./executions.ts";
import { createSimulationMetrics } from "./metrics.ts";
import { startOrphanSweeps } from "./orphan-sweep.ts";
import { isSpecUnchanged, simulationsOnPlatform } from "./platform-wake.ts";
import type { SimulationStore, SimulatorClient } from "./ports.ts";
import { createSimulationReconciler } from "./reconciler.ts";
import { isOwnEcho } from "./status-echo.ts";

export interface SimulationControllerOptions {
  readonly kubeConfig: KubeConfig;
  readonly request: KubeRequester;
  readonly store: SimulationStore;
  readonly simulator: SimulatorClient;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly controllerMetrics: ControllerMetrics;
  readonly workers: number;
  readonly resyncPeriodMs: number;
  /** Events' reportingInstance, e.g. the pod name. */
  readonly identity: string;
  /** Only simulations in this namespace; empty for all. */
  readonly namespace: string;
  /** A deleted simulation keeps its finalizer this long while the database is down. */
  readonly finalizerGraceMs: number;
  /** How often the leader cancels the active rows of simulations that no longer exist. */
  readonly orphanSweepMs: number;
  /** How often a run in flight asks the simulator how far it is (default 10 s). */
  readonly progressIntervalMs?: number;
}

export function createSimulationController(options: SimulationControllerOptions) {
  const { simulations, platforms } = createInformers(options);
  // Late-bound: executions enqueue through the controller created below.
  let enqueue: (key: string) => void = () => {};
  const executions = new Executions((key) => enqueue(key));
  const reconcile = createSimulationReconciler({
    getSimulation: (key) => simulations.get(key),
    getPlatform: (name) => platforms.get(name),
    store: options.store,
    simulator: options.simulator,
    reader: createSimulationReader(options.request),
    writer: createSimulationWriter(options.request, "montecarlo-operator", options.identity),
    executions,
    metrics: createSimulationMetrics(options.registry),
    now: () => new Date(),
    random: Math.random,
    finalizerGraceMs: options.finalizerGraceMs,
    progressIntervalMs: options.progressIntervalMs ?? 10_000,
  });
  const controller = createController({
    name: "montecarlosimulation",
    workers: options.workers,
    reconcile,
    logger: options.logger,
    metrics: options.controllerMetrics,
  });
  enqueue = (key) => controller.enqueue(key);
  controller.watch(simulations, undefined, { skipUpdate: isOwnEcho });
  // A change of a platform's spec wakes its unfinished simulations
  // (platform-wake.ts); its status writes wake none.
  controller.watch(platforms, (platform) => simulationsOnPlatform(platform, simulations.list()), {
    skipUpdate: isSpecUnchanged,
  });
  return {
    controller,
    informers: [simulations, platforms],
    executions,
    platforms,
    startSweeps: (signal: AbortSignal) => startSweeps(options, simulations, platforms, signal),
  };
}

function createInformers(options: SimulationControllerOptions) {
  const { kubeConfig, logger, resyncPeriodMs } = options;
  const simulations = createInformer<SimulationObject>({
    resource: SimulationResource,
    kubeConfig,
    resyncPeriodMs,
    // 100 a page: a page of simulations with 10,000-entry histories is
    // ~10 MB of JSON, held with its parsed objects until the transform.
    listWatchOptions: {
      pageSize: 100,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    },
    transform: simulationCacheTransform,
    logger,
  });
  const platforms = createInformer<PlatformObject>({
    resource: PlatformResource,
    kubeConfig,
    resyncPeriodMs,
    transform: withoutBookkeeping,
    logger,
  });
  return { simulations, platforms };
}

/** The orphan sweep against the leader's synced cache of simulations. */
function startSweeps(
  options: SimulationControllerOptions,
  simulations: Informer<SimulationObject>,
  platforms: Informer<PlatformObject>,
  signal: AbortSignal,
) {
  const log = options.logger.child({ controller: "montecarlosimulation" });
  startOrphanSweeps(
    {
      store: options.store,
      liveUids: () =>
        simulations.hasSynced()
          ? new Set(simulations.list().map((s) => s.metadata.uid))
          : undefined,
      namespace: options.namespace,
      now: () => new Date(),
      graceMs: options.finalizerGraceMs,
      stopJobs: (jobIds) => stopJobsEverywhere(options.simulator, platforms, jobIds, log),
      log,
    },
    options.orphanSweepMs,
    signal,
  );
}

/** Asks the simulator of every valid platform to stop these jobs; best effort. */
function stopJobsEverywhere(
  simulator: SimulatorClient,
  platforms: Informer<PlatformObject>,
  jobIds: readonly string[],
  log: Logger,
) {
  const endpoints = new Set(platforms.list().flatMap((p) => endpointOfPlatform(p) ?? []));
  for (const endpoint of endpoints) {
    for (const jobId of jobIds) {
      simulator.cancel(endpoint, jobId).catch((err: unknown) => {
        log.debug({ err, jobId }, "could not cancel the job on the simulator");
      });
    }
  }
}
