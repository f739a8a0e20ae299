/**
 * The platform's bounds on the real Ray Serve of the local stack, observed
 * through Ray's own API (the dashboard's GET /api/serve/applications/), not
 * through the operator's status: the platform controller writes the bounds
 * into a RayService, the local KubeRay stand-in delivers its serveConfigV2
 * to Serve as KubeRay does, and Serve reports the bounds and scales within
 * them under load.
 *
 * Bounds for two cores: MonteCarloSimulator replicas ask for 0.1 CPU
 * (ray/serve-config.yaml), so two fit beside the simulation work; target 1
 * with four requests always in flight asks Serve for four, so two is the max
 * holding it back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { PlatformController } from "../../../src/controllers/platform/controller.ts";
import { waitFor } from "../harness.ts";
import { platformKit, SERVE_CONFIG } from "./kit.ts";
import {
  type DeploymentState,
  dashboard,
  deploymentState,
  type Load,
  type Process,
  startLoad,
  startStandin,
} from "./serve-state.ts";

const APP = "simulator";
const DEPLOYMENT = "MonteCarloSimulator";
const RS = "sim-serve";
/** Concurrent clients of the load: twice the max, so that max is what stops the scale-out. */
const CLIENTS = 4;
/** Serve decides from 10 s metrics over a 30 s look-back (its defaults); a loaded machine adds more. */
const SCALE_TIMEOUT_MS = 300_000;

const kit = platformKit("serve-it");
let standin: Process | undefined;
let load: Load | undefined;
let platform: string;
let controller: PlatformController;

const state = () => deploymentState(APP, DEPLOYMENT);
const bounds = (s: DeploymentState) => ({
  min: s.minReplicas,
  max: s.maxReplicas,
  target: s.targetOngoingRequests,
});

/** Waits until Serve reports `want`, sampling its replicas on the way; returns the samples. */
async function waitForServe(
  what: string,
  want: (s: DeploymentState) => boolean,
  timeoutMs: number,
): Promise<DeploymentState[]> {
  const samples: DeploymentState[] = [];
  await waitFor(
    what,
    async () => {
      const s = await state();
      samples.push(s);
      return want(s);
    },
    timeoutMs,
    1000,
  );
  return samples;
}

beforeAll(async () => {
  await kit.setUp();
  await kit.createRayService(RS, SERVE_CONFIG);
  standin = await startStandin(kit.ns, RS);
  controller = await kit.startController();
  platform = await kit.createPlatform("serve", {
    rayService: { namespace: kit.ns, name: RS },
    endpoint: process.env.RAY_SERVE_URL,
    autoscaling: { minReplicas: 1, maxReplicas: 3, targetOngoingRequests: 2 },
    maxOngoingRequests: 10,
  });
  // The stand-in reports the RayService ready once Serve runs its config.
  await kit.waitForReason(platform, "Applied", "Ready", 180_000);
}, 240_000);

afterAll(async () => {
  await load?.stop();
  await standin?.stop();
  await kit.tearDown();
  // The next test files expect Serve as the stack started it.
  await dashboard().deploy(parse(SERVE_CONFIG));
  await waitForServe("Serve back to ray/serve-config.yaml", (s) => s.maxReplicas === 10, 120_000);
}, 300_000);

describe("the platform's bounds on the local Ray Serve", () => {
  it("reach Serve within 30 s of a platform change", async () => {
    await waitForServe("the first bounds", (s) => s.maxReplicas === 3, 60_000);
    const changed = performance.now();
    await kit.mergePatch(kit.platformPath(platform), {
      spec: {
        autoscaling: {
          minReplicas: 1,
          maxReplicas: 2,
          targetOngoingRequests: 1,
          upscaleDelaySeconds: 1,
          downscaleDelaySeconds: 5,
        },
      },
    });
    const samples = await waitForServe(
      "Serve to report min 1, max 2, target 1",
      (s) => s.minReplicas === 1 && s.maxReplicas === 2 && s.targetOngoingRequests === 1,
      30_000,
    );
    console.log(
      `bounds reached Serve ${Math.round(performance.now() - changed)} ms after the change`,
    );
    expect(bounds(samples[samples.length - 1]!)).toEqual({ min: 1, max: 2, target: 1 });
    const p = await kit.waitForReason(platform, "Applied", "Ready");
    expect(p.status?.applied).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
  });

  it("scales out to max under sustained load, and not beyond", { timeout: 420_000 }, async () => {
    await waitForServe("one running replica before the load", (s) => s.running === 1, 120_000);
    load = startLoad(CLIENTS, Date.now() + SCALE_TIMEOUT_MS + 120_000);
    const rising = await waitForServe(
      "two running replicas under load",
      (s) => s.running === 2,
      SCALE_TIMEOUT_MS,
    );
    // Serve wants four now; for a few more decisions it must stay at two.
    const holding = await sampleFor(25_000);
    for (const s of [...rising, ...holding]) {
      expect(s.replicas).toBeLessThanOrEqual(2);
      expect(s.targetNumReplicas).toBeLessThanOrEqual(2);
    }
    expect(holding.every((s) => s.targetNumReplicas === 2)).toBe(true);
  });

  it("scales back down when max is lowered, under the same load", {
    timeout: 420_000,
  }, async () => {
    await kit.mergePatch(kit.platformPath(platform), {
      spec: { autoscaling: { maxReplicas: 1 } },
    });
    await waitForServe(
      "one running replica with max 1",
      (s) => s.maxReplicas === 1 && s.running === 1 && s.replicas === 1,
      SCALE_TIMEOUT_MS,
    );
    const counts = await load!.stop();
    load = undefined;
    expect(counts.ok).toBeGreaterThan(0);
  });

  it("reverts a hand edit of the RayService's bounds, and the revert reaches Serve", {
    timeout: 300_000,
  }, async () => {
    // The controller pauses, so that the hand edit visibly reaches Serve first.
    await controller.stop();
    const before = await kit.serveConfigOf(RS);
    const edited = before.replace(/max_replicas: 1\b/, "max_replicas: 3");
    expect(edited).not.toBe(before);
    await kit.mergePatch(kit.rayServicePath(RS), { spec: { serveConfigV2: edited } });
    await waitForServe("the hand edit in Serve", (s) => s.maxReplicas === 3, 60_000);

    controller = await kit.startController();
    await waitFor("the bounds restored in the RayService", async () =>
      (await kit.serveConfigOf(RS)) === before ? true : undefined,
    );
    await waitForServe("the revert in Serve", (s) => s.maxReplicas === 1, 60_000);
    expect(await kit.eventsAbout(kit.ns, RS)).toContain("Normal/DriftCorrected");
  });
});

/** Serve's state every second for `ms`. */
async function sampleFor(ms: number): Promise<DeploymentState[]> {
  const samples: DeploymentState[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    samples.push(await state());
    await new Promise((r) => setTimeout(r, 1000));
  }
  return samples;
}
