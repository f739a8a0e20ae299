/**
 * GitOps ownership of the serve config (docs/platform.md, "GitOps"), tested
 * as Argo CD syncs: a server-side apply of Git's RayService (rendered from
 * manifests/overlays/dev) with Argo CD's field manager, over a RayService the
 * platform controller has rendered. Git owns the serve config base
 * annotation, the platform owns serveConfigV2; so a Git change to the serve
 * config reaches the RayService, the platform's bounds stay in force, a
 * change costs two writes (the sync and the platform's render) and nothing
 * flaps afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SERVE_CONFIG_BASE_ANNOTATION } from "../../../src/api/platform.ts";
import { FIELD_MANAGER } from "../../../src/controllers/platform/reasons.ts";
import { type Manifest, objects, render } from "../deploy/render.ts";
import { waitFor } from "../harness.ts";
import { platformKit, type RayService } from "./kit.ts";

/** The field manager of Argo CD's server-side apply. */
const ARGO_CD = "argocd-controller";
const RESYNC_MS = 2000;
const BOUNDS = { minReplicas: 1, maxReplicas: 3, targetOngoingRequests: 5 };

const kit = platformKit("gitops-it");
let git: Manifest;
let name: string;
let platform: string;

/** What an Argo CD sync does to the RayService: apply Git's manifest, server-side, unforced. */
function sync(manifest: Manifest, dryRun = false) {
  return kit.request<RayService>({
    method: "PATCH",
    path: kit.rayServicePath(manifest.metadata.name),
    query: { fieldManager: ARGO_CD, force: false, ...(dryRun ? { dryRun: "All" } : {}) },
    contentType: "application/apply-patch+yaml",
    body: manifest,
  });
}

/** Git's manifest with its serve config base changed by `edit`. */
function gitWith(edit: (base: string) => string): Manifest {
  const next = structuredClone(git);
  const base = next.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION];
  next.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION] = edit(base);
  expect(next.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION]).not.toBe(base);
  return next;
}

/** Which managers own spec.serveConfigV2 and the base annotation. */
function owners(rs: RayService) {
  const own = (path: string[]) =>
    (rs.metadata.managedFields ?? [])
      .filter((m) => path.reduce<unknown>((o, k) => (o as Manifest)?.[k], m.fieldsV1))
      .map((m) => m.manager)
      .sort();
  return {
    serveConfigV2: own(["f:spec", "f:serveConfigV2"]),
    base: own(["f:metadata", "f:annotations", `f:${SERVE_CONFIG_BASE_ANNOTATION}`]),
  };
}

const rayServiceWrites = () => kit.apiserverWrites("rayservices");
const settle = () => new Promise((r) => setTimeout(r, 3 * RESYNC_MS + 500));

/** The platform's render of `base`: max_replicas is the one line it changes there. */
const rendered = (base: string) => base.replace(/max_replicas: 10\b/, "max_replicas: 3");

beforeAll(async () => {
  await kit.setUp();
  await kit.startController({ resyncPeriodMs: RESYNC_MS });
  git = objects(await render("manifests/overlays/dev")).find((o) => o.kind === "RayService");
  git.metadata.namespace = kit.ns;
  name = git.metadata.name;
  platform = await kit.createPlatform("gitops", {
    rayService: { namespace: kit.ns, name },
    autoscaling: BOUNDS,
    maxOngoingRequests: parse(git.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION])
      .applications[0].deployments[0].max_ongoing_requests,
  });
});

afterAll(() => kit.tearDown());

describe("Git and the platform controller sharing a RayService", () => {
  it("Git carries the base, and the platform renders serveConfigV2 from it with its bounds", async () => {
    expect(git.spec).not.toHaveProperty("serveConfigV2");
    await sync(git);
    await kit.waitForReason(platform, "Applied");
    const rs = await kit.getRayService(name);
    const base = git.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION];
    expect(rs.spec?.serveConfigV2).toBe(rendered(base));
    expect(owners(rs)).toEqual({ serveConfigV2: [FIELD_MANAGER], base: [ARGO_CD] });
  });

  it("a Git change to the serve config reaches the RayService in two writes, bounds kept", async () => {
    await settle();
    const before = await rayServiceWrites();
    // A new route and a deeper queue, as a Git commit would bring them.
    const next = gitWith((base) =>
      base
        .replace("route_prefix: /health", "route_prefix: /healthz")
        .replace("max_queued_requests: 200", "max_queued_requests: 300"),
    );
    await sync(next);
    const want = rendered(next.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION]);
    await waitFor("the Git change in serveConfigV2", async () =>
      (await kit.serveConfigOf(name)) === want ? true : undefined,
    );
    expect(want).toMatch(/max_queued_requests: 300[\s\S]*max_replicas: 3[\s\S]*\/healthz/);
    await settle();
    // The sync, and the platform's render: nothing else, across several resyncs.
    expect((await rayServiceWrites()) - before).toBe(2);
    expect(await kit.serveConfigOf(name)).toBe(want);
    git = next;
  });

  it("a sync of unchanged Git changes nothing, and Argo CD would see it Synced", async () => {
    const live = await kit.getRayService(name);
    const before = await rayServiceWrites();
    const dryRun = await sync(git, true);
    expect(dryRun.metadata.resourceVersion).toBe(live.metadata.resourceVersion);
    expect(dryRun.spec).toEqual(live.spec);
    await sync(git);
    await settle();
    expect((await kit.getRayService(name)).metadata.resourceVersion).toBe(
      live.metadata.resourceVersion,
    );
    expect((await rayServiceWrites()) - before).toBe(1);
  });

  it("new platform bounds survive the next sync", async () => {
    await kit.mergePatch(kit.platformPath(platform), { spec: { autoscaling: { maxReplicas: 4 } } });
    const want = rendered(git.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION]).replace(
      "max_replicas: 3",
      "max_replicas: 4",
    );
    await waitFor("the new bounds in serveConfigV2", async () =>
      (await kit.serveConfigOf(name)) === want ? true : undefined,
    );
    const version = (await kit.getRayService(name)).metadata.resourceVersion;
    await sync(git);
    await settle();
    const rs = await kit.getRayService(name);
    expect(rs.spec?.serveConfigV2).toBe(want);
    expect(rs.metadata.resourceVersion).toBe(version);
  });

  it("why Git carries no serveConfigV2: the field would have two owners", async () => {
    const contested = structuredClone(git);
    contested.spec.serveConfigV2 = git.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION];
    const refused = await sync(contested).catch((err: Error) => err);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/conflict.*montecarlo-platform/is);
  });
});
