// The Dockerfiles and the manifests describe the same containers: user,
// port, entry points, writable paths, versions. Kept simple on purpose: it
// reads the files, it does not build anything (Docker cannot run here).
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigSchema } from "../../../src/config.ts";
import {
  argDefault,
  dockerfile,
  instructions,
  type Manifest,
  manifest,
  manifests,
  REPO,
  read,
} from "./manifest-files.ts";

const operatorImage = dockerfile("Dockerfile");
const rayImage = dockerfile("ray/Dockerfile");
const deployment = manifest("manifests/base/operator/deployment.yaml", "Deployment");
const job = manifest("manifests/base/operator/migration-job.yaml", "Job");
const rayService = manifest("manifests/base/ray/rayservice.yaml", "RayService");
const defaults = ConfigSchema.parse({ DATABASE_URL: "postgresql://u@h/db" });
const jsonArray = (text: string) => JSON.parse(text) as string[];
const container = (o: Manifest) => o.spec.template.spec.containers[0];
const env = (c: Manifest) =>
  Object.fromEntries((c.env ?? []).map((e: Manifest) => [e.name, e.value ?? e.valueFrom]));

describe("operator image and manifests", () => {
  it("runs Node 24, the version package.json asks for", () => {
    expect(argDefault(operatorImage, "NODE_IMAGE")).toMatch(/\/node:24(-|$)/);
    expect(JSON.parse(read("package.json")).engines.node).toBe(">=24 <25");
  });

  it("runs as the same non-root user in the image and in every pod", () => {
    const [user] = instructions(operatorImage, "USER").slice(-1);
    const [uid, gid] = (user ?? "").split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    for (const pod of [deployment, job]) {
      expect(pod.spec.template.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
  });

  it("exposes HTTP_PORT's default, which the probes, Service and NetworkPolicy use", () => {
    const port = defaults.HTTP_PORT;
    expect(instructions(operatorImage, "EXPOSE")).toEqual([String(port)]);
    const c = container(deployment);
    expect(c.ports).toEqual([{ name: "http", containerPort: port, protocol: "TCP" }]);
    expect(env(c).HTTP_PORT).toBe(String(port));
    expect(deployment.spec.template.metadata.annotations["prometheus.io/port"]).toBe(String(port));
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      expect(c[probe].httpGet.port).toBe("http");
    }
    const service = manifest("manifests/base/operator/service.yaml", "Service");
    expect(service.spec.ports[0].targetPort).toBe("http");
    const policy = manifest(
      "manifests/base/operator/networkpolicy.yaml",
      "NetworkPolicy",
      "montecarlo-operator",
    );
    expect(policy.spec.ingress[0].ports).toEqual([{ port: "http", protocol: "TCP" }]);
  });

  it("probes the health server's paths", () => {
    const c = container(deployment);
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(c.startupProbe.httpGet.path).toBe("/healthz");
    // The kubelet skips the simulator check by name: it must exist under that name.
    expect(c.readinessProbe.httpGet.path).toBe("/readyz?exclude=simulator");
    expect(read("src/main.ts")).toMatch(/addReadinessCheck\("simulator"/);
    expect(read("src/runtime/health-server.ts")).toMatch(/"healthz" \| "readyz"/);
  });

  it("starts the operator by default and the migration runner in the Job", () => {
    expect(jsonArray(instructions(operatorImage, "ENTRYPOINT")[0] ?? "")).toEqual(["node"]);
    const [main] = jsonArray(instructions(operatorImage, "CMD")[0] ?? "");
    expect(main).toBe("src/main.ts");
    expect(container(deployment).command).toBeUndefined();
    expect(container(deployment).args).toBeUndefined();
    expect(container(job).command).toBeUndefined();
    expect(container(job).args).toEqual(["src/migrate.ts"]);
    for (const file of [main, ...container(job).args]) expect(existsSync(REPO + file)).toBe(true);
    expect(container(job).image).toBe(container(deployment).image);
  });

  it.each([
    ["Deployment", deployment],
    ["Job", job],
  ])("%s: read-only root filesystem with /tmp on an emptyDir, no privileges", (_kind, pod) => {
    const spec = pod.spec.template.spec;
    for (const c of spec.containers) {
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
      });
      const tmp = c.volumeMounts.find((m: Manifest) => m.mountPath === "/tmp");
      const volume = spec.volumes.find((v: Manifest) => v.name === tmp?.name);
      expect(volume?.emptyDir).toBeDefined();
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits).toBeDefined();
    }
  });

  it("sets only environment variables src/config.ts knows (and NODE_OPTIONS)", () => {
    const known = new Set([...Object.keys(ConfigSchema.shape), "NODE_OPTIONS"]);
    const patches = [
      "manifests/overlays/dev/operator.yaml",
      "manifests/overlays/prod/operator.yaml",
    ];
    const containers = [
      container(deployment),
      container(job),
      ...patches.map((p) => container(manifest(p, "Deployment"))),
    ];
    for (const c of containers) {
      for (const name of Object.keys(env(c))) expect(known, name).toContain(name);
    }
    // Each value the base sets parses.
    const values = Object.fromEntries(
      Object.entries(env(container(deployment))).filter(([, v]) => typeof v === "string"),
    );
    expect(ConfigSchema.safeParse({ ...values, DATABASE_URL: "postgresql://u@h/db" }).success).toBe(
      true,
    );
  });

  it("lets executions settle before the kubelet kills the pod", () => {
    const grace = Number(env(container(deployment)).SHUTDOWN_GRACE_SECONDS);
    expect(grace).toBeLessThan(deployment.spec.template.spec.terminationGracePeriodSeconds);
  });

  it("leader-election Role names the Lease the operator uses", () => {
    const role = manifest(
      "manifests/base/operator/rbac.yaml",
      "Role",
      "montecarlo-operator-leader-election",
    );
    const named = role.rules.find((r: Manifest) => r.resourceNames);
    expect(named.resourceNames).toEqual([env(container(deployment)).LEADER_ELECTION_ID]);
  });

  it("copies only what exists and what .dockerignore lets into the context", () => {
    const allowed = read(".dockerignore")
      .split("\n")
      .filter((l) => l.startsWith("!"))
      .map((l) => l.slice(1));
    for (const file of [operatorImage, rayImage]) {
      for (const copy of instructions(file, "COPY").filter((c) => !c.startsWith("--from"))) {
        const sources = copy
          .split(/\s+/)
          .filter((s) => !s.startsWith("--"))
          .slice(0, -1);
        for (const source of sources) {
          expect(existsSync(REPO + source), source).toBe(true);
          expect(
            allowed.some((a) => source === a.replace(/\/$/, "") || source.startsWith(a)),
            source,
          ).toBe(true);
        }
      }
    }
  });
});

describe("Ray image and RayService", () => {
  const rayPin = /^ray\[serve\]==(\S+)$/m.exec(read("ray/requirements.txt"))?.[1];

  it("pins one Ray version in the base image, requirements.txt and rayVersion", () => {
    expect(rayPin).toBeDefined();
    expect(argDefault(rayImage, "RAY_IMAGE")).toMatch(
      new RegExp(`/rayproject/ray:${rayPin?.replace(/\./g, "\\.")}-py\\d+$`),
    );
    expect(rayService.spec.rayClusterConfig.rayVersion).toBe(rayPin);
  });

  it("puts the package that serveConfigV2 imports on PYTHONPATH", () => {
    const pythonPath = instructions(rayImage, "ENV")
      .find((e) => e.startsWith("PYTHONPATH="))
      ?.slice("PYTHONPATH=".length);
    expect(instructions(rayImage, "COPY")).toContain(
      `ray/montecarlo_sim ${pythonPath}/montecarlo_sim`,
    );
    const config = parse(read("ray/serve-config.yaml"));
    for (const app of config.applications) {
      const module = String(app.import_path).split(":")[0]?.replace(/\./g, "/");
      expect(existsSync(`${REPO}ray/${module}.py`), app.import_path).toBe(true);
    }
  });

  it("runs head and workers as the image's user, with one image", () => {
    const [uid, gid] = (instructions(rayImage, "USER").slice(-1)[0] ?? "").split(":").map(Number);
    const cluster = rayService.spec.rayClusterConfig;
    const pods = [cluster.headGroupSpec, ...cluster.workerGroupSpecs].map((g) => g.template.spec);
    const images = new Set(pods.flatMap((p) => p.containers.map((c: Manifest) => c.image)));
    expect(images.size).toBe(1);
    for (const pod of pods) {
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
      });
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        });
      }
    }
  });

  it("the default platform's bounds are those of ray/serve-config.yaml", () => {
    const platform = manifest("manifests/base/platform/default.yaml", "MonteCarloPlatform");
    const config = parse(read("ray/serve-config.yaml"));
    const app = config.applications.find((a: Manifest) => a.name === platform.spec.application);
    const deploymentConfig = app.deployments.find(
      (d: Manifest) => d.name === platform.spec.deployment,
    );
    const a = deploymentConfig.autoscaling_config;
    expect(platform.spec.autoscaling).toEqual({
      minReplicas: a.min_replicas,
      maxReplicas: a.max_replicas,
      targetOngoingRequests: a.target_ongoing_requests,
      upscaleDelaySeconds: a.upscale_delay_s,
      downscaleDelaySeconds: a.downscale_delay_s,
    });
    expect(platform.spec.maxOngoingRequests).toBe(deploymentConfig.max_ongoing_requests);
    expect(platform.spec.rayService).toEqual({
      namespace: rayService.metadata.namespace,
      name: rayService.metadata.name,
    });
  });
});

describe("RBAC", () => {
  it("has no wildcards and nothing on Secrets or Pods", () => {
    const rules = manifests("manifests/base/operator/rbac.yaml").flatMap((o) => o.rules ?? []);
    for (const rule of rules) {
      for (const field of ["apiGroups", "resources", "verbs"])
        expect(rule[field]).not.toContain("*");
      expect(rule.resources).not.toContain("secrets");
      expect(rule.resources).not.toContain("pods");
      expect(rule.verbs).not.toContain("deletecollection");
      // The one delete: a finished simulation past its ttlSecondsAfterFinished.
      if (rule.verbs.includes("delete")) expect(rule.resources).toEqual(["montecarlosimulations"]);
    }
  });

  it("binds the roles to the Deployment's service account", () => {
    const sa = manifest("manifests/base/operator/serviceaccount.yaml", "ServiceAccount");
    expect(deployment.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    const bindings = manifests("manifests/base/operator/rbac.yaml").filter((o) =>
      o.kind.endsWith("Binding"),
    );
    // Cluster-wide, leader election, RayServices in ray-system.
    expect(bindings).toHaveLength(3);
    for (const b of bindings) {
      expect(b.subjects).toEqual([
        { kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace },
      ]);
    }
  });
});
