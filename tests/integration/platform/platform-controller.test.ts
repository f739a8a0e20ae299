/**
 * The platform controller against the real local control plane, with
 * KubeRay's real RayService CRD: bounds applied, a bounds change is a one-line
 * diff and then nothing more is written, hand edits are undone, a late
 * RayService gets the bounds, invalid bounds never get in, and Ray Serve's own
 * schema reads the edited documents as intended.
 */

import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { sha256 } from "../../../src/controllers/platform/decide.ts";
import { createControllerMetrics } from "../../../src/runtime/controller-metrics.ts";
import { seriesValue } from "../../fixtures/metric-value.ts";
import { kubectlOk, waitFor } from "../harness.ts";
import { BOUNDS, platformKit, SERVE_CONFIG, START } from "./kit.ts";
import { readWithRayServe } from "./ray-schema.ts";

const RESYNC_MS = 2000;
const kit = platformKit("platform-it");
const { ns, request, rayServicePath, getPlatform, getRayService, serveConfigOf, mergePatch } = kit;
const { createPlatform, createRayService, waitForReason, eventsAbout, apiserverWrites } = kit;
const controllerMetrics = createControllerMetrics(new Registry());

/** Writes the status KubeRay would, as the RayService's status subresource. */
function writeRayServiceStatus(name: string, ready: boolean) {
  const now = new Date().toISOString();
  return request({
    method: "PATCH",
    path: `${rayServicePath(name)}/status`,
    contentType: "application/merge-patch+json",
    body: {
      status: {
        conditions: [
          {
            type: "Ready",
            status: ready ? "True" : "False",
            reason: ready ? "NonZeroServeEndpoints" : "ZeroServeEndpoints",
            message: "",
            lastTransitionTime: now,
          },
        ],
        activeServiceStatus: {
          applicationStatuses: { simulator: { status: ready ? "RUNNING" : "UNHEALTHY" } },
        },
      },
    },
  });
}

/** The lines of `after` that differ from `before` (same number of lines expected). */
function changedLines(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return b.filter((line, i) => line !== a[i]).map((l) => l.trim());
}

/** `kubectl get montecarloplatform NAME` as column name -> value. */
async function kubectlColumns(name: string): Promise<Record<string, string>> {
  const [header = "", row = ""] = (await kubectlOk(["get", "montecarloplatform", name])).split(
    "\n",
  );
  const names = header.trim().split(/\s+/);
  const values = row.trim().split(/\s+/);
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? ""]));
}

const successfulReconciles = () =>
  seriesValue(controllerMetrics.reconcileTotal, {
    controller: "montecarloplatform",
    result: "success",
  });

beforeAll(async () => {
  await kit.setUp();
  await kit.startController({ resyncPeriodMs: RESYNC_MS, controllerMetrics });
});

afterAll(() => kit.tearDown());

describe("platform controller on the local control plane", () => {
  const rs = "sim-apply";
  let name: string;

  it("applies the bounds to the RayService, and is not Ready while nothing reports the RayService ready", async () => {
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
      "Ready=False/RayServiceNotReady",
    ]);
    expect(p.status?.conditions?.[1]?.message).toMatch(/reports no status yet/);
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
    await mergePatch(kit.platformPath(name), { spec: { autoscaling: { maxReplicas: 7 } } });
    const p = await waitFor("maxReplicas 7 applied", async () => {
      const q = await waitForReason(name, "Applied");
      return q.status?.applied?.maxReplicas === 7 ? q : undefined;
    });
    const after = await serveConfigOf(rs);
    expect(changedLines(before, after)).toEqual(["max_replicas: 7"]);
    expect(p.status?.applied?.serveConfigHash).toBe(sha256(after));

    // Settled: several resyncs and an unrelated platform update reconcile it
    // again, and neither the RayService nor the status is written.
    await mergePatch(kit.platformPath(name), { metadata: { labels: { poked: "yes" } } });
    await new Promise((r) => setTimeout(r, 500));
    const rsVersion = (await getRayService(rs)).metadata.resourceVersion;
    const platformVersion = (await getPlatform(name)).metadata.resourceVersion;
    const writes = {
      rayServices: await apiserverWrites("rayservices"),
      status: await apiserverWrites("montecarloplatforms", "status"),
    };
    const reconciles = await successfulReconciles();
    // Three resyncs, however late a loaded machine runs them.
    await waitFor(
      "three more reconciles",
      async () => (await successfulReconciles()) >= reconciles + 3,
      30 * RESYNC_MS,
    );
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
    kit.logger.info({ restoredMs }, "hand edit undone");
    console.log(`drift corrected ${restoredMs} ms after the hand edit`);
    // One write by hand, one correction, and nothing after it across a resync.
    await new Promise((r) => setTimeout(r, RESYNC_MS + 500));
    expect((await apiserverWrites("rayservices")) - writesBefore).toBe(2);
    expect(await eventsAbout(ns, rs)).toContain("Normal/DriftCorrected");
    expect(await eventsAbout("default", name)).toContain("Normal/DriftCorrected");
    const p = await getPlatform(name);
    expect(p.status?.conditions?.find((c) => c.type === "ServeConfigApplied")?.status).toBe("True");
    expect((await readWithRayServe(applied, "simulator", "MonteCarloSimulator")).max_replicas).toBe(
      7,
    );
  });

  it("is Ready only while the RayService reports itself ready, and the printer columns say why", async () => {
    await writeRayServiceStatus(rs, true);
    await waitForReason(name, "Applied", "Ready");
    const ready = await kubectlColumns(name);
    expect(ready).toMatchObject({ MIN: String(BOUNDS.minReplicas), MAX: "7", READY: "True" });

    await writeRayServiceStatus(rs, false);
    const p = await waitForReason(name, "RayServiceNotReady", "Ready");
    expect(p.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(
      /Ready is False \(ZeroServeEndpoints\); application simulator is UNHEALTHY/,
    );
    expect(await kubectlColumns(name)).toMatchObject({
      READY: "False",
      REASON: "RayServiceNotReady",
    });
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

    const update = await mergePatch(kit.platformPath(name), {
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
