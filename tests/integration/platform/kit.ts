/**
 * What the platform's integration tests share: the local API server, a
 * namespace and label of the test file's own, platforms and RayServices made
 * there, platform controllers that reconcile only those platforms, the API
 * server's own write counts, and the clean-up (the stack runs no namespace
 * controller, so the kit finalizes its namespace itself).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { Registry } from "prom-client";
import { parse } from "yaml";
import type { PlatformStatus } from "../../../src/api/platform.ts";
import {
  createPlatformController,
  type PlatformController,
} from "../../../src/controllers/platform/controller.ts";
import type { RayServiceObject } from "../../../src/controllers/platform/objects.ts";
import {
  type ControllerMetrics,
  createControllerMetrics,
} from "../../../src/runtime/controller-metrics.ts";
import { KubeConfig } from "../../../src/runtime/kube-config.ts";
import { createKubeRequester } from "../../../src/runtime/kube-request.ts";
import { waitFor } from "../harness.ts";

export const REPO = new URL("../../../", import.meta.url);
/** The project's serve config: the document the platform controller edits in production. */
export const SERVE_CONFIG = readFileSync(new URL("ray/serve-config.yaml", REPO), "utf8");
/** The MonteCarloSimulator deployment of SERVE_CONFIG. */
export const START = parse(SERVE_CONFIG).applications.find(
  (a: { name: string }) => a.name === "simulator",
).deployments[0];
export const BOUNDS = {
  minReplicas: START.autoscaling_config.min_replicas,
  maxReplicas: START.autoscaling_config.max_replicas,
  targetOngoingRequests: START.autoscaling_config.target_ongoing_requests,
};

const PLATFORMS = "/apis/montecarlo.vatic.io/v1alpha1/montecarloplatforms";
const LABEL = "montecarlo.vatic.io/test-run";

export interface Platform {
  metadata: { name: string; generation: number; resourceVersion: string };
  spec: Record<string, unknown>;
  status?: PlatformStatus;
}

export type RayService = RayServiceObject & {
  metadata: {
    resourceVersion: string;
    managedFields?: Array<{ manager: string; fieldsV1?: unknown }>;
  };
};

function kubeConfig(): KubeConfig {
  const path = process.env.KUBECONFIG;
  if (!path) {
    throw new Error(
      'KUBECONFIG is not set: start the stack (hack/stack/up.sh) and eval "$(hack/stack/env.sh)"',
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function platformKit(prefix: string) {
  const kc = kubeConfig();
  const request = createKubeRequester(kc);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const run = randomBytes(3).toString("hex");
  const ns = `${prefix}-${run}`;
  const platformNames: string[] = [];
  const controllers: PlatformController[] = [];
  const rayServicePath = (name: string) => `/apis/ray.io/v1/namespaces/${ns}/rayservices/${name}`;
  const getPlatform = (name: string) =>
    request<Platform>({ method: "GET", path: `${PLATFORMS}/${name}` });
  const getRayService = (name: string) =>
    request<RayService>({ method: "GET", path: rayServicePath(name) });

  return {
    kc,
    request,
    logger,
    run,
    ns,
    rayServicePath,
    platformPath: (name: string) => `${PLATFORMS}/${name}`,
    getPlatform,
    getRayService,
    serveConfigOf: async (name: string) => (await getRayService(name)).spec?.serveConfigV2 ?? "",
    mergePatch: (path: string, body: unknown) =>
      request({ method: "PATCH", path, body, contentType: "application/merge-patch+json" }),

    /** The current CRD (status may have grown since the stack started) and the namespace. */
    async setUp() {
      const crd = parse(
        readFileSync(new URL("crds/montecarloplatforms.montecarlo.vatic.io.yaml", REPO), "utf8"),
      );
      await request({
        method: "PATCH",
        path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
        query: { fieldManager: "platform-integration-test", force: true },
        contentType: "application/apply-patch+yaml",
        body: crd,
      });
      await request({
        method: "POST",
        path: "/api/v1/namespaces",
        body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      });
    },

    /** A platform controller for this file's platforms only; tearDown stops it if a test did not. */
    async startController(
      options: { resyncPeriodMs?: number; controllerMetrics?: ControllerMetrics } = {},
    ) {
      const registry = new Registry();
      const controller = createPlatformController({
        kubeConfig: kc,
        logger,
        controllerMetrics: options.controllerMetrics ?? createControllerMetrics(registry),
        registry,
        platformSelector: `${LABEL}=${run}`,
        resyncPeriodMs: options.resyncPeriodMs ?? 2000,
        identity: `${prefix}-${run}`,
      });
      await controller.start();
      controllers.push(controller);
      return controller;
    },

    async createPlatform(short: string, spec: Record<string, unknown>): Promise<string> {
      const name = `it-${short}-${run}`;
      await request({
        method: "POST",
        path: PLATFORMS,
        body: {
          apiVersion: "montecarlo.vatic.io/v1alpha1",
          kind: "MonteCarloPlatform",
          metadata: { name, labels: { [LABEL]: run } },
          spec: { application: "simulator", deployment: "MonteCarloSimulator", ...spec },
        },
      });
      platformNames.push(name);
      return name;
    },

    /** A RayService that KubeRay's CRD schema admits: a minimal Ray cluster plus the serve config. */
    async createRayService(name: string, serveConfigV2: string) {
      const container = (n: string) => ({ name: n, image: "rayproject/ray:2.60.0" });
      await request({
        method: "POST",
        path: `/apis/ray.io/v1/namespaces/${ns}/rayservices`,
        body: {
          apiVersion: "ray.io/v1",
          kind: "RayService",
          metadata: { name, namespace: ns },
          spec: {
            serveConfigV2,
            rayClusterConfig: {
              rayVersion: "2.60.0",
              headGroupSpec: {
                rayStartParams: {},
                template: { spec: { containers: [container("ray-head")] } },
              },
              workerGroupSpecs: [
                {
                  groupName: "workers",
                  replicas: 1,
                  minReplicas: 1,
                  maxReplicas: 4,
                  rayStartParams: {},
                  template: { spec: { containers: [container("ray-worker")] } },
                },
              ],
            },
          },
        },
      });
    },

    /** Waits until the platform's status describes its current generation with `reason` on `type`. */
    waitForReason(name: string, reason: string, type = "ServeConfigApplied", timeoutMs?: number) {
      return waitFor(
        `${name} to report ${type} ${reason}`,
        async () => {
          const p = await getPlatform(name);
          const condition = p.status?.conditions?.find((c) => c.type === type);
          const current = p.status?.observedGeneration === p.metadata.generation;
          return current && condition?.reason === reason ? p : undefined;
        },
        timeoutMs,
      );
    },

    async eventsAbout(namespace: string, name: string): Promise<string[]> {
      const list = await request<{ items: Array<{ reason: string; type: string }> }>({
        method: "GET",
        path: `/api/v1/namespaces/${namespace}/events`,
        query: { fieldSelector: `involvedObject.name=${name}` },
      });
      return list.items.map((e) => `${e.type}/${e.reason}`);
    },

    /** The API server's own count of write requests (apiserver_request_total) for a resource; dry runs write nothing. */
    async apiserverWrites(resource: string, subresource = ""): Promise<number> {
      const text = await request<string>({ method: "GET", path: "/metrics" });
      let total = 0;
      for (const line of String(text).split("\n")) {
        if (!line.startsWith("apiserver_request_total{")) continue;
        const labels = line.slice(line.indexOf("{") + 1, line.lastIndexOf("}"));
        const verb = /verb="([A-Z]+)"/.exec(labels)?.[1];
        if (!verb || !["PATCH", "PUT", "POST", "DELETE", "APPLY"].includes(verb)) continue;
        if (!labels.includes(`resource="${resource}"`)) continue;
        if (!labels.includes(`subresource="${subresource}"`)) continue;
        if (/dry_run="[^"]+"/.test(labels)) continue;
        total += Number(line.slice(line.lastIndexOf(" ") + 1));
      }
      return total;
    },

    async tearDown() {
      for (const controller of controllers) await controller.stop({ timeoutMs: 5000 });
      for (const name of platformNames) {
        await request({ method: "DELETE", path: `${PLATFORMS}/${name}` }).catch(() => {});
        // Events about cluster-scoped platforms live in "default"; the namespace takes the rest.
        await request({
          method: "DELETE",
          path: "/api/v1/namespaces/default/events",
          query: { fieldSelector: `involvedObject.name=${name}` },
        }).catch(() => {});
      }
      for (const collection of [
        `/apis/ray.io/v1/namespaces/${ns}/rayservices`,
        `/api/v1/namespaces/${ns}/events`,
      ]) {
        await request({ method: "DELETE", path: collection }).catch(() => {});
      }
      await request({ method: "DELETE", path: `/api/v1/namespaces/${ns}` }).catch(() => {});
      await request({
        method: "PUT",
        path: `/api/v1/namespaces/${ns}/finalize`,
        body: {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: ns },
          spec: { finalizers: [] },
        },
      }).catch(() => {});
    },
  };
}
