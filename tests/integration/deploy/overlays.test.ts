// Every kustomization under manifests/ renders with `kubectl kustomize` and
// passes a server-side dry run against the local API server (KubeRay's and
// the project's CRDs installed). The namespaces of a render are created for
// real first (a dry-run Namespace does not exist for the objects inside it),
// under unique names so that runs stay apart; everything else is dry-run only.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SERVE_CONFIG_BASE_ANNOTATION } from "../../../src/api/platform.ts";
import { kubectl, kubectlOk, REPO, unique } from "../harness.ts";
import { type Manifest, objects, renameNamespaces, render, toYaml } from "./render.ts";

const KUSTOMIZATIONS = ["manifests/base", "manifests/overlays/dev", "manifests/overlays/prod"];
const serveConfig = readFileSync(`${REPO}ray/serve-config.yaml`, "utf8");
const created: string[] = [];

afterAll(async () => {
  if (created.length) await kubectl(["delete", "namespace", "--wait=false", ...created]);
});

const podTemplates = (list: Manifest[]) =>
  list
    .filter((o) => o.kind === "Deployment" || o.kind === "Job")
    .map((o) => ({ name: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec }));

const rayPods = (rayService: Manifest) => {
  const cluster = rayService.spec.rayClusterConfig;
  return [cluster.headGroupSpec, ...cluster.workerGroupSpecs].map((g) => g.template.spec);
};

describe.each(KUSTOMIZATIONS)("%s", (dir) => {
  let rendered: string;
  let list: Manifest[];
  const find = (kind: string, name?: string) =>
    list.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

  beforeAll(async () => {
    rendered = await render(dir);
    list = objects(rendered);
  });

  it("passes `kubectl apply --dry-run=server` with no Pod Security warnings", async () => {
    const prefix = unique("deploy");
    const names = { "montecarlo-system": `${prefix}-mc`, "ray-system": `${prefix}-ray` };
    const moved = objects(renameNamespaces(rendered, names));
    const namespaces = moved.filter((o) => o.kind === "Namespace");
    expect(namespaces.map((n) => n.metadata.name).sort()).toEqual(Object.values(names).sort());
    await kubectlOk(["apply", "-f", "-"], toYaml(namespaces));
    created.push(...Object.values(names));

    const rest = moved.filter((o) => o.kind !== "Namespace");
    const dryRun = await kubectl(["apply", "--dry-run=server", "-f", "-"], toYaml(rest));
    expect(dryRun.stderr).not.toMatch(/would violate PodSecurity/);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const applied = dryRun.stdout.trim().split("\n");
    expect(applied).toHaveLength(rest.length);
    for (const line of applied) expect(line).toMatch(/\(server dry run\)$/);
  });

  it("carries ray/serve-config.yaml as the RayService's serve config base, and no serveConfigV2", () => {
    const [rayService] = find("RayService");
    expect(rayService.apiVersion).toBe("ray.io/v1");
    expect(rayService.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION]).toBe(serveConfig);
    // Git must not own the field the platform controller renders (docs/platform.md).
    expect(rayService.spec).not.toHaveProperty("serveConfigV2");
  });

  it("carries the CRDs of crds/, labelled for a first, separate apply", () => {
    const crds = find("CustomResourceDefinition");
    const files = readdirSync(`${REPO}crds`).filter((f) => f.endsWith(".yaml"));
    expect(crds.map((c) => `${c.metadata.name}.yaml`).sort()).toEqual(files.sort());
    for (const crd of crds) {
      expect(crd.metadata.labels["app.kubernetes.io/component"]).toBe("crd");
      expect(crd.metadata.annotations["argocd.argoproj.io/sync-options"]).toBe(
        "Prune=false,Delete=false",
      );
      const source = parse(readFileSync(`${REPO}crds/${crd.metadata.name}.yaml`, "utf8"));
      expect(crd.spec).toEqual(source.spec);
    }
  });

  it("hardens every pod it runs (non-root, read-only root, no privileges)", () => {
    for (const { name, spec } of podTemplates(list)) {
      expect(spec.securityContext, name).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const c of spec.containers) {
        expect(c.securityContext, name).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
        expect(c.resources?.requests, name).toBeDefined();
        expect(c.resources?.limits?.memory, name).toBeDefined();
      }
    }
  });

  it("runs one operator image, pinned, and one Ray image in head and workers", () => {
    const operatorImages = new Set(
      [...find("Deployment", "montecarlo-operator"), ...find("Job")].flatMap((o) =>
        o.spec.template.spec.containers.map((c: Manifest) => c.image),
      ),
    );
    expect(operatorImages.size).toBe(1);
    const rayImages = new Set(
      rayPods(find("RayService")[0]).flatMap((p) => p.containers.map((c: Manifest) => c.image)),
    );
    expect(rayImages.size).toBe(1);
    for (const image of [...operatorImages, ...rayImages]) {
      expect(image).toMatch(/:[\w.-]+$|@sha256:/);
      expect(image).not.toMatch(/:latest$/);
    }
    for (const pod of rayPods(find("RayService")[0])) {
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false });
        expect(c.volumeMounts).toContainEqual({ name: "dshm", mountPath: "/dev/shm" });
      }
    }
  });

  it("migrates the database before the operator runs", () => {
    const [operator] = find("Deployment", "montecarlo-operator");
    const env = Object.fromEntries(
      operator.spec.template.spec.containers[0].env.map((e: Manifest) => [e.name, e]),
    );
    const jobs = find("Job");
    if (dir.endsWith("/dev")) {
      // No PreSync Job: it would run before the overlay's PostgreSQL exists.
      expect(jobs).toHaveLength(0);
      expect(env.MIGRATE_ON_START.value).toBe("true");
      expect(operator.spec.replicas).toBe(1);
    } else {
      expect(jobs).toHaveLength(1);
      expect(jobs[0].metadata.annotations["argocd.argoproj.io/hook"]).toBe("PreSync");
      expect(env.MIGRATE_ON_START).toBeUndefined();
      expect(operator.spec.replicas).toBe(2);
      expect(find("PodDisruptionBudget")).toHaveLength(1);
    }
  });

  it("takes the database URL from a Secret; prod keeps credentials out of git", () => {
    const [operator] = find("Deployment", "montecarlo-operator");
    const ref = operator.spec.template.spec.containers[0].env.find(
      (e: Manifest) => e.name === "DATABASE_URL",
    ).valueFrom.secretKeyRef;
    expect(ref.key).toBe("url");
    const secrets = find("Secret");
    if (dir.endsWith("/dev")) {
      expect(secrets.map((s) => s.metadata.name)).toContain(ref.name);
    } else {
      expect(secrets).toHaveLength(0);
      expect(ref.name).toBe("montecarlo-database");
    }
  });

  it("leaves the Ray token to KubeRay (authOptions), after the overlay's patches", () => {
    const [rayService] = find("RayService");
    const cluster = rayService.spec.rayClusterConfig;
    expect(cluster.authOptions).toEqual({ mode: "token" });
    for (const c of [
      ...rayPods(rayService).flatMap((p) => p.containers),
      cluster.autoscalerOptions,
    ]) {
      const names = (c.env ?? []).map((e: Manifest) => e.name);
      expect(names.filter((n: string) => n.startsWith("RAY_AUTH"))).toEqual([]);
    }
  });

  it("takes the simulator token and the database URL from Secrets, which dev creates and prod does not", () => {
    const [rayService] = find("RayService");
    const [operator] = find("Deployment", "montecarlo-operator");
    const pods = [operator.spec.template.spec, ...rayPods(rayService)];
    const wanted = new Set<string>();
    for (const pod of pods) {
      const namespace =
        pod === pods[0] ? operator.metadata.namespace : rayService.metadata.namespace;
      for (const c of pod.containers) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) wanted.add(`${namespace}/${ref.name}/${ref.key}`);
        }
      }
      for (const v of pod.volumes ?? []) {
        if (v.secret) wanted.add(`${namespace}/${v.secret.secretName}/token`);
      }
    }
    const cluster = rayService.spec.rayClusterConfig;
    for (const e of cluster.autoscalerOptions.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) wanted.add(`${rayService.metadata.namespace}/${ref.name}/${ref.key}`);
    }
    expect([...wanted].sort()).toEqual(
      [
        "montecarlo-system/montecarlo-simulator-token/token",
        "ray-system/montecarlo-simulator-token/token",
        expect.stringMatching(/^montecarlo-system\/montecarlo-database(-\w+)?\/url$/),
      ].sort(),
    );
    const secrets = find("Secret");
    if (dir.endsWith("/dev")) {
      const have = secrets.flatMap((s) =>
        Object.keys(s.data ?? {}).map((key) => `${s.metadata.namespace}/${s.metadata.name}/${key}`),
      );
      for (const ref of wanted) expect(have).toContain(ref);
      // Both sides of the simulator token hold the same value.
      const tokens = secrets.filter((s) => s.metadata.name === "montecarlo-simulator-token");
      expect(new Set(tokens.map((s) => s.data.token)).size).toBe(1);
    } else {
      expect(secrets).toEqual([]);
    }
  });

  it("closes ray-system to everything but its own pods, the operator and KubeRay", () => {
    const [rayService] = find("RayService");
    const policies = find("NetworkPolicy").filter(
      (p) => p.metadata.namespace === rayService.metadata.namespace,
    );
    expect(policies.find((p) => p.metadata.name === "default-deny")?.spec.podSelector).toEqual({});
    const kuberay = dir.endsWith("/dev") ? "default" : "kuberay-system";
    for (const name of ["ray-dashboard", "ray-serve"]) {
      const policy = policies.find((p) => p.metadata.name === name);
      expect(policy.spec.ingress[0].from[0]).toEqual({
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": kuberay } },
      });
    }
    for (const pod of rayPods(rayService)) {
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        });
        expect(c.resources.limits.memory).toBeDefined();
      }
    }
  });
});

describe("Argo CD", () => {
  const applications = readdirSync(`${REPO}argocd`).filter((f) => f.startsWith("application-"));

  it("renders argocd-cm health keys from the Lua scripts, and it dry-runs", async () => {
    const [cm, ...others] = objects(await render("argocd"));
    expect(others).toHaveLength(0);
    expect(cm.kind).toBe("ConfigMap");
    expect(cm.metadata).toMatchObject({ name: "argocd-cm", namespace: "argocd" });
    const scripts = readdirSync(`${REPO}argocd/health`);
    expect(Object.keys(cm.data).sort()).toEqual(
      scripts.map((f) => `resource.customizations.health.${f.replace(/\.lua$/, "")}`).sort(),
    );
    for (const file of scripts) {
      const key = `resource.customizations.health.${file.replace(/\.lua$/, "")}`;
      expect(cm.data[key]).toBe(readFileSync(`${REPO}argocd/health/${file}`, "utf8"));
    }
    const ns = unique("deploy-argocd");
    await kubectlOk(["create", "namespace", ns]);
    created.push(ns);
    cm.metadata.namespace = ns;
    const dryRun = await kubectl(
      ["apply", "--server-side", "--field-manager=montecarlo", "--dry-run=server", "-f", "-"],
      toYaml([cm]),
    );
    expect(dryRun.code, dryRun.stderr).toBe(0);
  });

  it.each(applications)(
    "%s deploys an overlay and leaves serveConfigV2 to the controller",
    async (file) => {
      const app = parse(readFileSync(`${REPO}argocd/${file}`, "utf8"));
      expect(app).toMatchObject({ apiVersion: "argoproj.io/v1alpha1", kind: "Application" });
      const path: string = app.spec.source.path;
      expect(existsSync(`${REPO}${path}/kustomization.yaml`)).toBe(true);
      const list = objects(await render(path));
      const rayService = list.find((o) => o.kind === "RayService");
      // Git owns the base annotation, the platform serveConfigV2: nothing to
      // ignore, and nothing that would keep a Git change from syncing.
      expect(rayService.metadata.annotations).toHaveProperty([SERVE_CONFIG_BASE_ANNOTATION]);
      expect(rayService.spec).not.toHaveProperty("serveConfigV2");
      expect(app.spec).not.toHaveProperty("ignoreDifferences");
      expect(app.spec.syncPolicy.syncOptions).not.toContain("RespectIgnoreDifferences=true");
      expect(app.spec.syncPolicy.syncOptions).toContain("ServerSideApply=true");
      expect(app.spec.syncPolicy.automated).toMatchObject({ selfHeal: true });
      const platform = list.find((o) => o.kind === "MonteCarloPlatform");
      const wave = (o: Manifest) => o.metadata.annotations?.["argocd.argoproj.io/sync-wave"];
      expect(wave(rayService)).toBe(wave(platform));
      const operator = list.find((o) => o.kind === "Deployment");
      expect(app.spec.destination.namespace).toBe(operator.metadata.namespace);
    },
  );
});
