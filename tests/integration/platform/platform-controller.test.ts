/**
 * The platform controller against the real local control plane, with
 * KubeRay's real RayService CRD: bounds applied, a bounds change is a one-line
 * diff and then nothing more is written, hand edits are undone, a late
 * RayService gets the bounds, invalid bounds never get in, and Ray Serve's own
 * schema reads the edited documents as intended.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { PlatformStatus } from "../../../src/api/platform.ts";
import {
  createPlatformController,
  type PlatformController,
} from "../../../src/controllers/platform/controller.ts";
import { sha256 } from "../../../src/controllers/platform/decide.ts";
import type { RayServiceObject } from "../../../src/controllers/platform/objects.ts";
import { createControllerMetrics } from "../../../src/runtime/controller-metrics.ts";
import { KubeConfig } from "../../../src/runtime/kube-config.ts";
import { createKubeRequester } from "../../../src/runtime/kube-request.ts";
import { seriesValue } from "../../fixtures/metric-value.ts";
import { waitFor } from "../harness.ts";
import { readWithRayServe } from "./ray-schema.ts";

const REPO = new URL("../../../", import.meta.url);
const RAY_SERVE_CONFIG = new URL("ray/serve-config.yaml", REPO);
/** The project's serve config when the ray/ tree has it, else the unit tests' representative one. */
const SERVE_CONFIG = readFileSync(
  existsSync(RAY_SERVE_CONFIG)
    ? RAY_SERVE_CONFIG
    : new URL("tests/unit/platform/fixtures/serve-config.yaml", REPO),
  "utf8",
);
const START = parse(SERVE_CONFIG).applications.find((a: { name: string }) => a.name === "simulator")
  .deployments[0];
const BOUNDS = {
  minReplicas: START.autoscaling_config.min_replicas,
  maxReplicas: START.autoscaling_config.max_replicas,
  targetOngoingRequests: START.autoscaling_config.target_ongoing_requests,
};
const RESYNC_MS = 2000;

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

const kc = kubeConfig();
const request = createKubeRequester(kc);
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const RUN = randomBytes(3).toString("hex");
const LABEL = "montecarlo.vatic.io/test-run";
const ns = `platform-it-${RUN}`;
const registry = new Registry();
const controllerMetrics = createControllerMetrics(registry);
const platformNames: string[] = [];
let controller: PlatformController;

const PLATFORMS = "/apis/montecarlo.vatic.io/v1alpha1/montecarloplatforms";
const rayServicePath = (name: string) => `/apis/ray.io/v1/namespaces/${ns}/rayservices/${name}`;

interface Platform {
  metadata: { name: string; generation: number; resourceVersion: string };
  spec: Record<string, unknown>;
  status?: PlatformStatus;
}

async function createPlatform(short: string, spec: Record<string, unknown>): Promise<string> {
  const name = `it-${short}-${RUN}`;
  await request({
    method: "POST",
    path: PLATFORMS,
    body: {
      apiVersion: "montecarlo.vatic.io/v1alpha1",
      kind: "MonteCarloPlatform",
      metadata: { name, labels: { [LABEL]: RUN } },
      spec: { application: "simulator", deployment: "MonteCarloSimulator", ...spec },
    },
  });
  platformNames.push(name);
  return name;
}

const getPlatform = (name: string) =>
  request<Platform>({ method: "GET", path: `${PLATFORMS}/${name}` });
const getRayService = (name: string) =>
  request<RayServiceObject & { metadata: { resourceVersion: string } }>({
    method: "GET",
    path: rayServicePath(name),
  });
const serveConfigOf = async (name: string) => (await getRayService(name)).spec!.serveConfigV2!;

const mergePatch = (path: string, body: unknown) =>
  request({ method: "PATCH", path, body, contentType: "application/merge-patch+json" });

/** A RayService that KubeRay's CRD schema admits: a minimal Ray cluster plus the serve config. */
async function createRayService(name: string, serveConfigV2: string) {
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
}

/** Waits until the platform's status describes its current generation with `reason`. */
function waitForReason(name: string, reason: string) {
  return waitFor(`${name} to report ${reason}`, async () => {
    const p = await getPlatform(name);
    const ready = p.status?.conditions?.find((c) => c.type === "Ready");
    return p.status?.observedGeneration === p.metadata.generation && ready?.reason === reason
      ? p
      : undefined;
  });
}

/** The lines of `after` that differ from `before` (same number of lines expected). */
function changedLines(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return b.filter((line, i) => line !== a[i]).map((l) => l.trim());
}

async function eventsAbout(namespace: string, name: string): Promise<string[]> {
  const list = await request<{ items: Array<{ reason: string; type: string; message: string }> }>({
    method: "GET",
    path: `/api/v1/namespaces/${namespace}/events`,
    query: { fieldSelector: `involvedObject.name=${name}` },
  });
  return list.items.map((e) => `${e.type}/${e.reason}`);
}

/** The API server's own count of write requests (apiserver_request_total) for a resource. */
async function apiserverWrites(resource: string, subresource = ""): Promise<number> {
  const text = await request<string>({ method: "GET", path: "/metrics" });
  let total = 0;
  for (const line of String(text).split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const labels = line.slice(line.indexOf("{") + 1, line.lastIndexOf("}"));
    const verb = /verb="([A-Z]+)"/.exec(labels)?.[1];
    if (!verb || !["PATCH", "PUT", "POST", "DELETE", "APPLY"].includes(verb)) continue;
    if (!labels.includes(`resource="${resource}"`)) continue;
    if (!labels.includes(`subresource="${subresource}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

const successfulReconciles = () =>
  seriesValue(controllerMetrics.reconcileTotal, {
    controller: "montecarloplatform",
    result: "success",
  });

beforeAll(async () => {
  // The CRD as generated from src/api (status.applied may have grown since the stack started).
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
  controller = createPlatformController({
    kubeConfig: kc,
    logger,
    controllerMetrics,
    registry,
    platformSelector: `${LABEL}=${RUN}`,
    resyncPeriodMs: RESYNC_MS,
    identity: `platform-it-${RUN}`,
  });
  await controller.start();
});

afterAll(async () => {
  await controller?.stop({ timeoutMs: 5000 });
  for (const name of platformNames) {
    await request({ method: "DELETE", path: `${PLATFORMS}/${name}` }).catch(() => {});
    // Events about cluster-scoped platforms live in "default"; the namespace takes the rest.
    await request({
      method: "DELETE",
      path: "/api/v1/namespaces/default/events",
      query: { fieldSelector: `involvedObject.name=${name}` },
    }).catch(() => {});
  }
  // The stack runs no namespace controller: empty the namespace, then finalize it as that
  // controller would, so nothing of ours stays behind in etcd.
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
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns }, spec: { finalizers: [] } },
  }).catch(() => {});
});

describe("platform controller on the local control plane", () => {
  const rs = "sim-apply";
  let name: string;

  it("applies the bounds to the RayService and reports Ready", async () => {
    await createRayService(rs, SERVE_CONFIG);
    name = await createPlatform("apply", {
      rayService: { namespace: ns, name: rs },
      autoscaling: { ...BOUNDS, maxReplicas: BOUNDS.maxReplicas + 2 },
      maxOngoingRequests: START.max_ongoing_requests,
    });
    const p = await waitForReason(name, "Applied");
    const doc = await serveConfigOf(rs);

    expect(changedLines(SERVE_CONFIG, doc)).toEqual([`max_replicas: ${BOUNDS.maxReplicas + 2}`]);
    expect(p.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      "ServeConfigApplied=True/Applied",
      "Ready=True/Applied",
    ]);
    expect(p.status?.applied).toEqual({
      ...BOUNDS,
      maxReplicas: BOUNDS.maxReplicas + 2,
      maxOngoingRequests: START.max_ongoing_requests,
      serveConfigHash: sha256(doc),
    });
    expect(p.status?.endpoint).toBe(`http://${rs}-serve-svc.${ns}.svc:8000`);
    expect(await eventsAbout(ns, rs)).toContain("Normal/ServeConfigUpdated");
    expect(await eventsAbout("default", name)).toContain("Normal/ServeConfigUpdated");

    const serve = await readWithRayServe(doc, "simulator", "MonteCarloSimulator");
    expect(serve).toMatchObject({
      applications: parse(SERVE_CONFIG).applications.map((a: { name: string }) => a.name),
      min_replicas: BOUNDS.minReplicas,
      max_replicas: BOUNDS.maxReplicas + 2,
      target_ongoing_requests: BOUNDS.targetOngoingRequests,
      max_ongoing_requests: START.max_ongoing_requests,
    });
  });

  it("changes exactly one line for a new maxReplicas, then writes nothing more", async () => {
    const before = await serveConfigOf(rs);
    await mergePatch(`${PLATFORMS}/${name}`, { spec: { autoscaling: { maxReplicas: 7 } } });
    const p = await waitFor("maxReplicas 7 applied", async () => {
      const q = await waitForReason(name, "Applied");
      return q.status?.applied?.maxReplicas === 7 ? q : undefined;
    });
    const after = await serveConfigOf(rs);
    expect(changedLines(before, after)).toEqual(["max_replicas: 7"]);
    expect(p.status?.applied?.serveConfigHash).toBe(sha256(after));

    // Settled: several resyncs and an unrelated platform update reconcile it
    // again, and neither the RayService nor the status is written.
    await mergePatch(`${PLATFORMS}/${name}`, { metadata: { labels: { poked: "yes" } } });
    await new Promise((r) => setTimeout(r, 500));
    const rsVersion = (await getRayService(rs)).metadata.resourceVersion;
    const platformVersion = (await getPlatform(name)).metadata.resourceVersion;
    const writes = {
      rayServices: await apiserverWrites("rayservices"),
      status: await apiserverWrites("montecarloplatforms", "status"),
    };
    const reconciles = await successfulReconciles();
    await new Promise((r) => setTimeout(r, 3 * RESYNC_MS + 500));

    expect(await successfulReconciles()).toBeGreaterThanOrEqual(reconciles + 3);
    expect((await getRayService(rs)).metadata.resourceVersion).toBe(rsVersion);
    expect((await getPlatform(name)).metadata.resourceVersion).toBe(platformVersion);
    expect({
      rayServices: await apiserverWrites("rayservices"),
      status: await apiserverWrites("montecarloplatforms", "status"),
    }).toEqual(writes);
  });

  it("undoes a hand edit of the bounds within one reconcile, with a DriftCorrected Event", async () => {
    const applied = await serveConfigOf(rs);
    const edited = applied.replace(/max_replicas: 7\b/, "max_replicas: 2");
    expect(edited).not.toBe(applied);
    const writesBefore = await apiserverWrites("rayservices");
    const editedAt = performance.now();
    await mergePatch(rayServicePath(rs), { spec: { serveConfigV2: edited } });

    await waitFor("the bounds restored", async () => (await serveConfigOf(rs)) === applied);
    const restoredMs = Math.round(performance.now() - editedAt);
    logger.info({ restoredMs }, "hand edit undone");
    console.log(`drift corrected ${restoredMs} ms after the hand edit`);
    // One write by hand, one correction, and nothing after it across a resync.
    await new Promise((r) => setTimeout(r, RESYNC_MS + 500));
    expect((await apiserverWrites("rayservices")) - writesBefore).toBe(2);
    expect(await eventsAbout(ns, rs)).toContain("Normal/DriftCorrected");
    expect(await eventsAbout("default", name)).toContain("Normal/DriftCorrected");
    const p = await getPlatform(name);
    expect(p.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect((await readWithRayServe(applied, "simulator", "MonteCarloSimulator")).max_replicas).toBe(
      7,
    );
  });

  it("refuses invalid bounds at admission with the CEL message", async () => {
    const create = await createPlatform("bad", {
      rayService: { namespace: ns, name: rs },
      autoscaling: { minReplicas: 5, maxReplicas: 2, targetOngoingRequests: 5 },
    }).catch((err: Error) => err);
    expect(create).toBeInstanceOf(Error);
    expect((create as Error).message).toMatch(
      /autoscaling\.minReplicas must not exceed autoscaling\.maxReplicas/,
    );

    const update = await mergePatch(`${PLATFORMS}/${name}`, {
      spec: { autoscaling: { initialReplicas: 50 } },
    }).catch((err: Error) => err);
    expect(update).toBeInstanceOf(Error);
    expect((update as Error).message).toMatch(
      /autoscaling\.initialReplicas must lie between minReplicas and maxReplicas/,
    );
    expect((await getPlatform(name)).spec.autoscaling).not.toHaveProperty("initialReplicas");
  });
});

describe("a RayService created after its platform", () => {
  it("gets the bounds once it exists", async () => {
    const rs = "sim-late";
    const name = await createPlatform("late", {
      rayService: { namespace: ns, name: rs },
      autoscaling: { ...BOUNDS, minReplicas: 2, maxReplicas: 5, initialReplicas: 3 },
      maxOngoingRequests: 64,
    });
    const waiting = await waitForReason(name, "RayServiceNotFound");
    expect(waiting.status?.conditions?.[0]?.message).toMatch(/not found/);

    await createRayService(rs, SERVE_CONFIG);
    const p = await waitForReason(name, "Applied");
    const doc = await serveConfigOf(rs);
    expect(p.status?.applied?.serveConfigHash).toBe(sha256(doc));
    expect(await readWithRayServe(doc, "simulator", "MonteCarloSimulator")).toMatchObject({
      min_replicas: 2,
      max_replicas: 5,
      initial_replicas: 3,
      max_ongoing_requests: 64,
    });
  });
});

describe("a document with removed Ray Serve names", () => {
  it("gets the current names, which Ray Serve then reads", async () => {
    const rs = "sim-legacy";
    const legacy = [
      "applications:",
      "  - name: simulator",
      "    import_path: montecarlo_sim.serve_app:simulator_app",
      "    deployments:",
      "      - name: MonteCarloSimulator",
      "        num_replicas: 2",
      "        max_concurrent_queries: 100",
      "        autoscaling_config:",
      "          min_replicas: 1",
      "          max_replicas: 10",
      "          target_num_ongoing_requests_per_replica: 5",
      "",
    ].join("\n");
    // Why the renames matter: Ray Serve ignores the removed names without a
    // word and uses its defaults (target 2, max_ongoing_requests 5), and it
    // refuses num_replicas beside autoscaling_config.
    const withoutNumReplicas = legacy.replace("        num_replicas: 2\n", "");
    expect(
      await readWithRayServe(withoutNumReplicas, "simulator", "MonteCarloSimulator"),
    ).toMatchObject({ target_ongoing_requests: 2, max_ongoing_requests: 5 });
    await expect(readWithRayServe(legacy, "simulator", "MonteCarloSimulator")).rejects.toThrow(
      /num_replicas is not allowed when autoscaling_config is provided/,
    );

    await createRayService(rs, legacy);
    const name = await createPlatform("legacy", {
      rayService: { namespace: ns, name: rs },
      autoscaling: { minReplicas: 1, maxReplicas: 10, targetOngoingRequests: 5 },
      maxOngoingRequests: 100,
    });
    await waitForReason(name, "Applied");
    const doc = await serveConfigOf(rs);
    expect(doc).not.toMatch(/num_replicas|max_concurrent_queries|target_num_ongoing/);
    expect(await readWithRayServe(doc, "simulator", "MonteCarloSimulator")).toMatchObject({
      max_ongoing_requests: 100,
      target_ongoing_requests: 5,
    });
    const events = await eventsAbout(ns, rs);
    expect(events.filter((e) => e === "Warning/RemovedFieldReplaced")).toHaveLength(2);
    expect(events).toContain("Warning/NumReplicasRemoved");
  });
});
