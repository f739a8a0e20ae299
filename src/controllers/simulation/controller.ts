// Wires the simulation reconciler to the runtime: informers on simulations
// and platforms, the work queue, and the in-memory executions.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { createSimulationWriter } from "../../adapters/simulation-writer.ts";
import { PlatformResource, SimulationResource } from "../../api/resources.ts";
import { createController } from "../../runtime/controller.ts";
import type { ControllerMetrics } from "../../runtime/controller-metrics.ts";
import { createInformer } from "../../runtime/informer.ts";
import type { KubeRequester } from "../../runtime/kube-request.ts";
import type { Registry } from "../../runtime/metrics.ts";
import { Executions } from "./executions.ts";
import { createSimulationMetrics } from "./metrics.ts";
import { type PlatformObject, platformNameOf, type SimulationObject } from "./objects.ts";
import type { SimulationStore, SimulatorClient } from "./ports.ts";
import { createSimulationReconciler } from "./reconciler.ts";
import { isTerminal } from "./status.ts";

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
}

export function createSimulationController(options: SimulationControllerOptions) {
  const { kubeConfig, logger } = options;
  const simulations = createInformer<SimulationObject>({
    resource: SimulationResource,
    kubeConfig,
    resyncPeriodMs: options.resyncPeriodMs,
    ...(options.namespace ? { listWatchOptions: { namespace: options.namespace } } : {}),
    logger,
  });
  const platforms = createInformer<PlatformObject>({
    resource: PlatformResource,
    kubeConfig,
    resyncPeriodMs: options.resyncPeriodMs,
    logger,
  });
  // Late-bound: executions enqueue through the controller created below.
  let enqueue: (key: string) => void = () => {};
  const executions = new Executions((key) => enqueue(key));
  const reconcile = createSimulationReconciler({
    getSimulation: (key) => simulations.get(key),
    getPlatform: (name) => platforms.get(name),
    store: options.store,
    simulator: options.simulator,
    writer: createSimulationWriter(options.request, "montecarlo-operator", options.identity),
    executions,
    metrics: createSimulationMetrics(options.registry),
    now: () => new Date(),
    random: Math.random,
  });
  const controller = createController({
    name: "montecarlosimulation",
    workers: options.workers,
    reconcile,
    logger,
    metrics: options.controllerMetrics,
  });
  enqueue = (key) => controller.enqueue(key);
  controller.watch(simulations);
  // A platform change wakes the simulations that wait on it.
  controller.watch(platforms, (platform) =>
    simulations
      .list()
      .filter(
        (s) =>
          platformNameOf(s) === platform.metadata.name &&
          !isTerminal(s.status, s.metadata.generation),
      )
      .map((s) => `${s.metadata.namespace}/${s.metadata.name}`),
  );
  return {
    controller,
    informers: [simulations, platforms],
    executions,
    platforms,
  };
}
