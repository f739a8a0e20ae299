import { describe, expect, it } from "vitest";
import {
  claimant,
  conflictStatus,
  type Decision,
  decide,
  sha256,
  statusChanged,
} from "../../../src/controllers/platform/decide.ts";
import type {
  PlatformObject,
  RayServiceStatus,
} from "../../../src/controllers/platform/objects.ts";
import {
  NOW,
  platform,
  READY_STATUS,
  rayService,
  SERVE_CONFIG,
  SERVE_CONFIG_MAX_3,
} from "./fixtures.ts";

const APPLIED = {
  minReplicas: 1,
  maxReplicas: 10,
  targetOngoingRequests: 5,
  maxOngoingRequests: 100,
  serveConfigHash: sha256(SERVE_CONFIG),
};

/** The status of a platform that applied its default bounds to SERVE_CONFIG earlier. */
const appliedStatus = (message = "earlier") => ({
  observedGeneration: 1,
  conditions: ["ServeConfigApplied", "Ready"].map((type) => ({
    type,
    status: "True" as const,
    reason: "Applied",
    message,
    observedGeneration: 1,
    lastTransitionTime: "2029-12-31T00:00:00.000Z",
  })),
  applied: APPLIED,
  endpoint: "http://vatic-prop-ray-serve-svc.ray-system.svc:8000",
});

function conditions(d: Decision) {
  return (d.status.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);
}

describe("decide: outcomes", () => {
  it.each<{
    name: string;
    platform: PlatformObject;
    rayService: ReturnType<typeof rayService> | undefined;
    claimedBy?: string;
    reason: string;
    write: boolean;
    events: string[];
    message?: RegExp;
  }>([
    {
      name: "applies the bounds to a document that lacks them",
      platform: platform(),
      rayService: rayService(SERVE_CONFIG_MAX_3),
      reason: "Applied",
      write: true,
      events: ["platform:Normal/ServeConfigUpdated", "rayService:Normal/ServeConfigUpdated"],
    },
    {
      name: "writes nothing when the document holds the bounds",
      platform: platform(),
      rayService: rayService(SERVE_CONFIG),
      reason: "Applied",
      write: false,
      events: [],
    },
    {
      name: "restores hand-edited bounds as drift",
      platform: platform({ status: appliedStatus() }),
      rayService: rayService(SERVE_CONFIG_MAX_3),
      reason: "Applied",
      write: true,
      events: ["platform:Normal/DriftCorrected", "rayService:Normal/DriftCorrected"],
      message:
        /restored autoscaling_config\.max_replicas 3 → 10 in simulator\/MonteCarloSimulator of RayService ray-system\/vatic-prop-ray \(it had been edited\)/,
    },
    {
      name: "a changed platform is an update, not drift",
      platform: platform({
        generation: 2,
        autoscaling: { maxReplicas: 20 },
        status: appliedStatus(),
      }),
      rayService: rayService(SERVE_CONFIG),
      reason: "Applied",
      write: true,
      events: ["platform:Normal/ServeConfigUpdated", "rayService:Normal/ServeConfigUpdated"],
      message: /^set autoscaling_config\.max_replicas 10 → 20 in simulator\/MonteCarloSimulator/,
    },
    {
      name: "removed names become Warning events on both objects",
      platform: platform(),
      rayService: rayService(
        SERVE_CONFIG.replace("max_ongoing_requests: 100", "max_concurrent_queries: 100"),
      ),
      reason: "Applied",
      write: true,
      events: ["platform:Warning/RemovedFieldReplaced", "rayService:Warning/RemovedFieldReplaced"],
      message: /renamed max_concurrent_queries to max_ongoing_requests/,
    },
    {
      name: "a missing RayService waits for it",
      platform: platform(),
      rayService: undefined,
      reason: "RayServiceNotFound",
      write: false,
      events: ["platform:Warning/RayServiceNotFound"],
      message:
        /RayService ray-system\/vatic-prop-ray not found; the bounds are applied when it exists/,
    },
    {
      name: "a RayService being deleted counts as missing",
      platform: platform(),
      rayService: rayService(SERVE_CONFIG_MAX_3, { deletionTimestamp: "2030-01-01T00:00:00Z" }),
      reason: "RayServiceNotFound",
      write: false,
      events: ["platform:Warning/RayServiceNotFound"],
      message: /is being deleted/,
    },
    {
      name: "a RayService without serveConfigV2",
      platform: platform(),
      rayService: rayService(undefined),
      reason: "InvalidServeConfig",
      write: false,
      events: ["platform:Warning/InvalidServeConfig"],
      message: /has no spec\.serveConfigV2/,
    },
    {
      name: "unparsable serveConfigV2",
      platform: platform(),
      rayService: rayService("applications: [\n"),
      reason: "InvalidServeConfig",
      write: false,
      events: ["platform:Warning/InvalidServeConfig"],
    },
    {
      name: "the application is missing",
      platform: platform({ spec: { application: "pricer" } }),
      rayService: rayService(SERVE_CONFIG),
      reason: "ApplicationNotFound",
      write: false,
      events: ["platform:Warning/ApplicationNotFound"],
      message:
        /application "pricer" not found in serveConfigV2 \(applications: health-probe, simulator\)/,
    },
    {
      name: "the deployment is missing",
      platform: platform({ spec: { deployment: "Pricer" } }),
      rayService: rayService(SERVE_CONFIG),
      reason: "DeploymentNotFound",
      write: false,
      events: ["platform:Warning/DeploymentNotFound"],
    },
    {
      name: "min above max is refused by the controller too",
      platform: platform({ autoscaling: { minReplicas: 5, maxReplicas: 2 } }),
      rayService: rayService(SERVE_CONFIG),
      reason: "InvalidBounds",
      write: false,
      events: ["platform:Warning/InvalidBounds"],
      message:
        /spec\.autoscaling\.minReplicas: autoscaling\.minReplicas must not exceed autoscaling\.maxReplicas/,
    },
    {
      name: "initial replicas outside the bounds",
      platform: platform({ autoscaling: { initialReplicas: 11 } }),
      rayService: rayService(SERVE_CONFIG),
      reason: "InvalidBounds",
      write: false,
      events: ["platform:Warning/InvalidBounds"],
      message: /initialReplicas must lie between minReplicas and maxReplicas/,
    },
    {
      name: "a non-positive target",
      platform: platform({ autoscaling: { targetOngoingRequests: 0 } }),
      rayService: rayService(SERVE_CONFIG),
      reason: "InvalidBounds",
      write: false,
      events: ["platform:Warning/InvalidBounds"],
      message: /spec\.autoscaling\.targetOngoingRequests/,
    },
    {
      name: "a second platform for the same deployment stands back",
      platform: platform({ name: "second" }),
      rayService: rayService(SERVE_CONFIG_MAX_3),
      claimedBy: "default",
      reason: "DuplicateTarget",
      write: false,
      events: ["platform:Warning/DuplicateTarget"],
      message: /platform default already manages deployment MonteCarloSimulator/,
    },
  ])("$name", (c) => {
    const d = decide({
      platform: c.platform,
      rayService: c.rayService,
      now: NOW,
      claimedBy: c.claimedBy,
    });
    expect(d.reason).toBe(c.reason);
    expect(d.write !== undefined).toBe(c.write);
    expect(d.events.map((e) => `${e.regarding}:${e.type}/${e.reason}`)).toEqual(c.events);
    const truth = c.reason === "Applied" ? "True" : "False";
    expect(conditions(d)).toEqual([
      `ServeConfigApplied=${truth}/${c.reason}`,
      `Ready=${truth}/${c.reason}`,
    ]);
    if (c.message) {
      const text = d.events[0]?.message ?? d.status.conditions?.[0]?.message ?? "";
      expect(text).toMatch(c.message);
    }
  });
});

describe("decide: status", () => {
  it("reports the applied bounds, the hash of the written document, the generation and the endpoint", () => {
    const d = decide({
      platform: platform({ generation: 4, autoscaling: { initialReplicas: 2 } }),
      rayService: rayService(SERVE_CONFIG_MAX_3, { resourceVersion: "77" }),
      now: NOW,
    });
    expect(d.write).toMatchObject({
      namespace: "ray-system",
      name: "vatic-prop-ray",
      resourceVersion: "77",
    });
    expect(d.status).toEqual({
      observedGeneration: 4,
      conditions: [
        {
          type: "ServeConfigApplied",
          status: "True",
          reason: "Applied",
          message:
            "RayService ray-system/vatic-prop-ray serves simulator/MonteCarloSimulator with min_replicas=1, max_replicas=10, target_ongoing_requests=5, initial_replicas=2, max_ongoing_requests=100",
          observedGeneration: 4,
          lastTransitionTime: NOW.toISOString(),
        },
        expect.objectContaining({ type: "Ready", status: "True", reason: "Applied" }),
      ],
      applied: {
        minReplicas: 1,
        maxReplicas: 10,
        targetOngoingRequests: 5,
        initialReplicas: 2,
        maxOngoingRequests: 100,
        serveConfigHash: sha256(d.write!.serveConfigV2),
      },
      endpoint: "http://vatic-prop-ray-serve-svc.ray-system.svc:8000",
    });
  });

  it("uses an explicit endpoint", () => {
    const d = decide({
      platform: platform({ spec: { endpoint: "http://sim.example:8000/" } }),
      rayService: rayService(SERVE_CONFIG),
      now: NOW,
    });
    expect(d.status.endpoint).toBe("http://sim.example:8000");
  });

  it("keeps lastTransitionTime while the condition status stays", () => {
    const d = decide({
      platform: platform({ status: appliedStatus() }),
      rayService: rayService(SERVE_CONFIG),
      now: NOW,
    });
    expect(d.status.conditions?.map((c) => c.lastTransitionTime)).toEqual([
      "2029-12-31T00:00:00.000Z",
      "2029-12-31T00:00:00.000Z",
    ]);
  });

  it("keeps the last applied bounds while it cannot apply", () => {
    const d = decide({
      platform: platform({ status: appliedStatus() }),
      rayService: undefined,
      now: NOW,
    });
    expect(d.status.applied).toEqual(APPLIED);
    expect(d.status.conditions?.[0]).toMatchObject({
      status: "False",
      reason: "RayServiceNotFound",
      lastTransitionTime: NOW.toISOString(),
    });
  });

  it("warns once per failure, not on every resync", () => {
    const first = decide({ platform: platform(), rayService: undefined, now: NOW });
    const again = decide({
      platform: platform({ status: first.status }),
      rayService: undefined,
      now: new Date(NOW.getTime() + 600_000),
    });
    expect(first.events).toHaveLength(1);
    expect(again.events).toEqual([]);
    expect(statusChanged(first.status, again.status)).toBe(false);
  });

  it("settles: once applied and reported, deciding again changes nothing", () => {
    const first = decide({
      platform: platform(),
      rayService: rayService(SERVE_CONFIG_MAX_3),
      now: NOW,
    });
    const second = decide({
      platform: platform({ status: first.status }),
      rayService: rayService(first.write!.serveConfigV2, { resourceVersion: "101" }),
      now: new Date(NOW.getTime() + 1000),
    });
    expect(second.write).toBeUndefined();
    expect(second.events).toEqual([]);
    expect(statusChanged(first.status, second.status)).toBe(false);
  });

  it("reports a conflict without losing what was applied", () => {
    const status = conflictStatus(
      { platform: platform({ status: appliedStatus() }), rayService: undefined, now: NOW },
      "the object has been modified",
    );
    expect(status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      "ServeConfigApplied=False/Conflict",
      "Ready=False/Conflict",
    ]);
    expect(status.applied).toEqual(APPLIED);
  });
});

describe("decide: Ready includes the RayService's own readiness", () => {
  const notReady = {
    conditions: [{ type: "Ready", status: "False", reason: "Initializing", message: "" }],
    activeServiceStatus: {
      applicationStatuses: { simulator: { status: "DEPLOYING", message: "replicas starting" } },
    },
  };
  it.each<{
    name: string;
    status: RayServiceStatus | null;
    want: string[];
    message?: RegExp;
  }>([
    {
      name: "KubeRay's Ready condition True",
      status: READY_STATUS,
      want: ["ServeConfigApplied=True/Applied", "Ready=True/Applied"],
    },
    {
      name: "KubeRay's Ready condition False, with the application's state",
      status: notReady,
      want: ["ServeConfigApplied=True/Applied", "Ready=False/RayServiceNotReady"],
      message:
        /^the bounds are applied, but RayService ray-system\/vatic-prop-ray is not ready: Ready is False \(Initializing\); application simulator is DEPLOYING: replicas starting$/,
    },
    {
      name: "no status at all: KubeRay has not seen it",
      status: null,
      want: ["ServeConfigApplied=True/Applied", "Ready=False/RayServiceNotReady"],
      message: /reports no status yet/,
    },
    {
      name: "an older KubeRay's serviceStatus Running",
      status: { serviceStatus: "Running" },
      want: ["ServeConfigApplied=True/Applied", "Ready=True/Applied"],
    },
    {
      name: "an older KubeRay's serviceStatus WaitForServeDeploymentReady",
      status: { serviceStatus: "WaitForServeDeploymentReady" },
      want: ["ServeConfigApplied=True/Applied", "Ready=False/RayServiceNotReady"],
      message: /serviceStatus is WaitForServeDeploymentReady/,
    },
  ])("$name", ({ status, want, message }) => {
    const d = decide({
      platform: platform(),
      rayService: rayService(SERVE_CONFIG, { status }),
      now: NOW,
    });
    expect(d.write).toBeUndefined();
    expect(conditions(d)).toEqual(want);
    if (message) expect(d.status.conditions?.[1]?.message).toMatch(message);
  });

  it("a failure to apply wins over the RayService's readiness", () => {
    const d = decide({
      platform: platform({ spec: { deployment: "Pricer" } }),
      rayService: rayService(SERVE_CONFIG, { status: null }),
      now: NOW,
    });
    expect(conditions(d)).toEqual([
      "ServeConfigApplied=False/DeploymentNotFound",
      "Ready=False/DeploymentNotFound",
    ]);
  });

  it("turns Ready True once KubeRay reports ready, keeping ServeConfigApplied's transition time", () => {
    const first = decide({
      platform: platform(),
      rayService: rayService(SERVE_CONFIG, { status: notReady }),
      now: NOW,
    });
    const later = new Date(NOW.getTime() + 5000);
    const second = decide({
      platform: platform({ status: first.status }),
      rayService: rayService(SERVE_CONFIG),
      now: later,
    });
    expect(conditions(second)).toEqual(["ServeConfigApplied=True/Applied", "Ready=True/Applied"]);
    expect(second.status.conditions?.map((c) => c.lastTransitionTime)).toEqual([
      NOW.toISOString(),
      later.toISOString(),
    ]);
  });
});

describe("decide: a RayService with a serve config base (GitOps)", () => {
  const base = SERVE_CONFIG_MAX_3;
  const rendered = SERVE_CONFIG; // the base with the platform's max_replicas 10
  const newBase = base.replace("chunk_paths: 10000", "chunk_paths: 20000");

  it.each<{
    name: string;
    live: string | undefined;
    base: string;
    status?: ReturnType<typeof appliedStatus>;
    write?: string;
    events: string[];
    message?: RegExp;
  }>([
    {
      name: "renders serveConfigV2 from the base when it has none yet",
      live: undefined,
      base,
      write: rendered,
      events: ["platform:Normal/ServeConfigUpdated", "rayService:Normal/ServeConfigUpdated"],
      message:
        /^rendered serveConfigV2 of RayService ray-system\/vatic-prop-ray from its montecarlo.vatic.io\/serve-config-base annotation with min_replicas=1, max_replicas=10/,
    },
    { name: "writes nothing once rendered", live: rendered, base, events: [] },
    {
      name: "brings a new base (a Git change) in, keeping the bounds",
      live: rendered,
      base: newBase,
      status: appliedStatus(),
      write: SERVE_CONFIG.replace("chunk_paths: 10000", "chunk_paths: 20000"),
      events: ["platform:Normal/ServeConfigUpdated", "rayService:Normal/ServeConfigUpdated"],
    },
    {
      name: "restores any hand edit of serveConfigV2, not only of the bounds",
      live: rendered.replace("chunk_paths: 10000", "chunk_paths: 1"),
      base,
      status: appliedStatus(),
      write: rendered,
      events: ["platform:Normal/DriftCorrected", "rayService:Normal/DriftCorrected"],
      message: /^restored serveConfigV2 .* \(it had been edited\)$/,
    },
  ])("$name", (c) => {
    const d = decide({
      platform: platform(c.status ? { status: c.status } : {}),
      rayService: rayService(c.live, { base: c.base }),
      now: NOW,
    });
    expect(d.write?.serveConfigV2).toBe(c.write);
    expect(d.events.map((e) => `${e.regarding}:${e.type}/${e.reason}`)).toEqual(c.events);
    if (c.message) expect(d.events[0]?.message).toMatch(c.message);
    expect(d.status.applied?.serveConfigHash).toBe(sha256(c.write ?? c.live ?? ""));
  });

  it("names the annotation when the base cannot be edited", () => {
    const d = decide({
      platform: platform(),
      rayService: rayService(SERVE_CONFIG, { base: "applications: [\n" }),
      now: NOW,
    });
    expect(d.write).toBeUndefined();
    expect(d.status.conditions?.[0]).toMatchObject({
      reason: "InvalidServeConfig",
      message: expect.stringMatching(
        /^RayService ray-system\/vatic-prop-ray \(montecarlo.vatic.io\/serve-config-base\): serveConfigV2 is not valid YAML/,
      ),
    });
  });
});

describe("claimant", () => {
  const a = platform({ name: "a", creationTimestamp: "2030-01-01T00:00:00Z" });
  const b = platform({ name: "b", creationTimestamp: "2029-01-01T00:00:00Z" });
  const c = platform({ name: "c", creationTimestamp: "2029-01-01T00:00:00Z" });
  const otherDeployment = platform({ name: "d", spec: { deployment: "Other" } });

  it.each([
    { name: "the oldest wins", self: a, all: [a, b], owner: "b" },
    { name: "the oldest manages", self: b, all: [a, b], owner: undefined },
    { name: "ties go to the first name", self: c, all: [a, b, c], owner: "b" },
    {
      name: "other deployments do not compete",
      self: otherDeployment,
      all: [a, otherDeployment],
      owner: undefined,
    },
    { name: "alone", self: a, all: [a], owner: undefined },
  ])("$name", ({ self, all, owner }) => {
    expect(claimant(self, all)).toBe(owner);
  });
});

describe("statusChanged", () => {
  it.each([
    { name: "equal", a: appliedStatus(), b: appliedStatus(), changed: false },
    {
      name: "undefined fields do not count",
      a: { observedGeneration: 1 },
      b: { observedGeneration: 1, endpoint: undefined },
      changed: false,
    },
    { name: "message differs", a: appliedStatus("x"), b: appliedStatus("y"), changed: true },
    { name: "no status yet", a: undefined, b: appliedStatus(), changed: true },
  ])("$name", ({ a, b, changed }) => {
    expect(statusChanged(a, b)).toBe(changed);
  });
});
