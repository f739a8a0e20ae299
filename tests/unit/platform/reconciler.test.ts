import { ApiException } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { PlatformStatus } from "../../../src/api/platform.ts";
import type { PlannedEvent, ServeConfigWrite } from "../../../src/controllers/platform/decide.ts";
import { createPlatformMetrics } from "../../../src/controllers/platform/metrics.ts";
import type {
  PlatformObject,
  RayServiceObject,
} from "../../../src/controllers/platform/objects.ts";
import type { PlatformPorts } from "../../../src/controllers/platform/ports.ts";
import {
  createPlatformReconciler,
  platformsReferring,
} from "../../../src/controllers/platform/reconciler.ts";
import type { ReconcileContext } from "../../../src/runtime/controller.ts";
import { TransientError } from "../../../src/runtime/errors.ts";
import { FakeClock } from "../../../src/runtime/fake-clock.ts";
import { seriesValue } from "../../fixtures/metric-value.ts";
import {
  NOW,
  platform,
  READY_STATUS,
  rayService,
  SERVE_CONFIG,
  SERVE_CONFIG_MAX_3,
} from "./fixtures.ts";

const silent = pino({ level: "silent" });

/** The API server, in memory: objects with resourceVersions, and what was written. */
class FakeWorld implements PlatformPorts {
  readonly platforms = new Map<string, PlatformObject>();
  readonly rayServices = new Map<string, RayServiceObject>();
  readonly events: Array<{ about: string; type: string; reason: string; message: string }> = [];
  serveConfigWrites = 0;
  statusWrites = 0;
  /** Makes the next n serveConfig writes fail with 409, as if someone wrote first. */
  injectConflicts = 0;
  private rv = 1000;

  put(object: PlatformObject | RayServiceObject) {
    const copy = structuredClone(object);
    copy.metadata.resourceVersion = String(++this.rv);
    if (copy.kind === "RayService") {
      this.rayServices.set(
        `${copy.metadata.namespace}/${copy.metadata.name}`,
        copy as RayServiceObject,
      );
    } else {
      this.platforms.set(copy.metadata.name, copy as PlatformObject);
    }
  }

  serveConfig(): string | undefined {
    return this.rayServices.get("ray-system/vatic-prop-ray")?.spec?.serveConfigV2;
  }

  async getPlatform(name: string) {
    const p = this.platforms.get(name);
    return p && structuredClone(p);
  }

  async getRayService(namespace: string, name: string) {
    const rs = this.rayServices.get(`${namespace}/${name}`);
    return rs && structuredClone(rs);
  }

  listPlatforms() {
    return [...this.platforms.values()];
  }

  async writeServeConfig(write: ServeConfigWrite) {
    const rs = this.rayServices.get(`${write.namespace}/${write.name}`);
    if (!rs) throw new ApiException(404, "not found", {}, {});
    if (this.injectConflicts > 0 || rs.metadata.resourceVersion !== write.resourceVersion) {
      this.injectConflicts = Math.max(0, this.injectConflicts - 1);
      throw new ApiException(409, "the object has been modified", { reason: "Conflict" }, {});
    }
    this.serveConfigWrites++;
    this.put({ ...rs, spec: { ...rs.spec, serveConfigV2: write.serveConfigV2 } });
  }

  async writeStatus(p: PlatformObject, status: PlatformStatus) {
    this.statusWrites++;
    const current = this.platforms.get(p.metadata.name)!;
    this.put({ ...current, status: structuredClone(status) });
  }

  async recordEvent(event: PlannedEvent, about: PlatformObject | RayServiceObject) {
    this.events.push({
      about: `${about.kind}/${about.metadata.name}`,
      type: event.type,
      reason: event.reason,
      message: event.message,
    });
  }

  writes() {
    return { serveConfig: this.serveConfigWrites, status: this.statusWrites };
  }
}

function setup() {
  const world = new FakeWorld();
  const clock = new FakeClock(NOW.getTime());
  const registry = new Registry();
  const metrics = createPlatformMetrics(registry);
  const reconcileFn = createPlatformReconciler({ ports: world, clock, metrics });
  const ctx: ReconcileContext = {
    log: silent,
    signal: new AbortController().signal,
    reconcileID: "r1",
    retries: 0,
  };
  const reconcile = async (key = "default") => {
    await reconcileFn(key, ctx);
    await clock.advance(1000);
  };
  return { world, clock, metrics, reconcile };
}

function condition(world: FakeWorld, type = "Ready", name = "default") {
  const c = world.platforms.get(name)?.status?.conditions?.find((x) => x.type === type);
  return c && `${c.status}/${c.reason}`;
}

describe("platform reconciler", () => {
  it("applies the bounds, and a second reconcile writes nothing", async () => {
    const { world, reconcile, metrics } = setup();
    world.put(platform());
    world.put(rayService(SERVE_CONFIG_MAX_3));

    await reconcile();
    expect(world.serveConfig()).toBe(SERVE_CONFIG);
    expect(world.writes()).toEqual({ serveConfig: 1, status: 1 });
    expect(condition(world)).toBe("True/Applied");
    expect(world.events.map((e) => `${e.about} ${e.reason}`)).toEqual([
      "MonteCarloPlatform/default ServeConfigUpdated",
      "RayService/vatic-prop-ray ServeConfigUpdated",
    ]);

    const rv = world.rayServices.get("ray-system/vatic-prop-ray")!.metadata.resourceVersion;
    await reconcile();
    await reconcile();
    expect(world.writes()).toEqual({ serveConfig: 1, status: 1 });
    expect(world.events).toHaveLength(2);
    expect(world.rayServices.get("ray-system/vatic-prop-ray")!.metadata.resourceVersion).toBe(rv);
    expect(await seriesValue(metrics.serveConfigWrites, { result: "success" })).toBe(1);
  });

  it("undoes a hand edit of the bounds with a DriftCorrected Event", async () => {
    const { world, reconcile, metrics } = setup();
    world.put(platform());
    world.put(rayService(SERVE_CONFIG));
    await reconcile();
    expect(world.writes()).toEqual({ serveConfig: 0, status: 1 });

    // Someone edits max_replicas on the RayService.
    const rs = world.rayServices.get("ray-system/vatic-prop-ray")!;
    world.put({ ...rs, spec: { serveConfigV2: SERVE_CONFIG_MAX_3 } });
    await reconcile();

    expect(world.serveConfig()).toBe(SERVE_CONFIG);
    expect(world.events.map((e) => `${e.about} ${e.type}/${e.reason}`)).toEqual([
      "MonteCarloPlatform/default Normal/DriftCorrected",
      "RayService/vatic-prop-ray Normal/DriftCorrected",
    ]);
    expect(world.events[0]!.message).toMatch(/max_replicas 3 → 10/);
    expect(await seriesValue(metrics.driftCorrections)).toBe(1);
    // The status only records the new hash; nothing else moves afterwards.
    expect(world.writes()).toEqual({ serveConfig: 1, status: 1 });
    await reconcile();
    expect(world.writes()).toEqual({ serveConfig: 1, status: 1 });
  });

  it("applies the bounds to a RayService created after the platform", async () => {
    const { world, reconcile } = setup();
    world.put(platform());
    await reconcile();
    expect(condition(world)).toBe("False/RayServiceNotFound");
    expect(world.events.map((e) => e.reason)).toEqual(["RayServiceNotFound"]);
    await reconcile();
    expect(world.writes()).toEqual({ serveConfig: 0, status: 1 });

    world.put(rayService(SERVE_CONFIG_MAX_3));
    await reconcile();
    expect(world.serveConfig()).toBe(SERVE_CONFIG);
    expect(condition(world)).toBe("True/Applied");
    expect(condition(world, "ServeConfigApplied")).toBe("True/Applied");
  });

  it("on a 409 reports Conflict, asks for a retry, and applies on the next reconcile", async () => {
    const { world, reconcile, metrics } = setup();
    world.put(platform());
    world.put(rayService(SERVE_CONFIG_MAX_3));
    world.injectConflicts = 1;

    const failed = await reconcile().catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(TransientError);
    expect((failed as TransientError).reason).toBe("Conflict");
    expect(condition(world)).toBe("False/Conflict");
    expect(world.events).toEqual([]);
    expect(await seriesValue(metrics.serveConfigWrites, { result: "conflict" })).toBe(1);

    await reconcile();
    expect(condition(world)).toBe("True/Applied");
    expect(world.serveConfig()).toBe(SERVE_CONFIG);
  });

  it("refuses invalid bounds without touching the RayService or retrying", async () => {
    const { world, reconcile } = setup();
    world.put(platform({ autoscaling: { minReplicas: 9, maxReplicas: 2 } }));
    world.put(rayService(SERVE_CONFIG_MAX_3));
    await reconcile();
    expect(world.serveConfig()).toBe(SERVE_CONFIG_MAX_3);
    expect(condition(world)).toBe("False/InvalidBounds");
    expect(world.events.map((e) => `${e.type}/${e.reason}`)).toEqual(["Warning/InvalidBounds"]);
  });

  it("lets only the oldest of two platforms manage one deployment", async () => {
    const { world, reconcile } = setup();
    world.put(platform({ name: "default", creationTimestamp: "2029-01-01T00:00:00Z" }));
    world.put(
      platform({
        name: "second",
        creationTimestamp: "2029-06-01T00:00:00Z",
        autoscaling: { maxReplicas: 3 },
      }),
    );
    world.put(rayService(SERVE_CONFIG));
    await reconcile("second");
    await reconcile("default");
    expect(world.serveConfig()).toBe(SERVE_CONFIG);
    expect(condition(world, "Ready", "second")).toBe("False/DuplicateTarget");
    expect(condition(world, "Ready", "default")).toBe("True/Applied");
  });

  it("holds Ready False while the RayService is not ready, and turns it True without touching the RayService", async () => {
    const { world, reconcile } = setup();
    world.put(platform());
    world.put(rayService(SERVE_CONFIG_MAX_3, { status: null }));
    await reconcile();
    expect(condition(world, "ServeConfigApplied")).toBe("True/Applied");
    expect(condition(world)).toBe("False/RayServiceNotReady");
    await reconcile();
    expect(world.writes()).toEqual({ serveConfig: 1, status: 1 });

    // KubeRay applies the config and reports the RayService ready.
    const rs = world.rayServices.get("ray-system/vatic-prop-ray")!;
    world.put({ ...rs, status: READY_STATUS });
    await reconcile();
    await reconcile();
    expect(condition(world)).toBe("True/Applied");
    expect(world.writes()).toEqual({ serveConfig: 1, status: 2 });
  });

  it("does nothing for a deleted platform", async () => {
    const { world, reconcile } = setup();
    world.put(rayService(SERVE_CONFIG_MAX_3));
    await reconcile("gone");
    expect(world.writes()).toEqual({ serveConfig: 0, status: 0 });
    expect(world.events).toEqual([]);
  });
});

describe("platformsReferring", () => {
  it.each([
    { name: "the platforms naming it", rs: rayService(SERVE_CONFIG), keys: ["a", "b"] },
    {
      name: "none for another RayService",
      rs: rayService(SERVE_CONFIG, { name: "other" }),
      keys: [],
    },
  ])("$name", ({ rs, keys }) => {
    const platforms = [
      platform({ name: "a" }),
      platform({ name: "b", spec: { deployment: "Other" } }),
      platform({ name: "c", spec: { rayService: { namespace: "x", name: "vatic-prop-ray" } } }),
    ];
    expect(platformsReferring(rs, platforms)).toEqual(keys);
  });
});
