// The security controls of manifests/base (docs/security.md), read from the
// files: who may reach the Ray cluster, what the Ray pods may do, where the
// tokens come from, and what the operator's RBAC leaves out. The rendered
// overlays are dry-run against a real API server in
// tests/integration/deploy/overlays.test.ts.
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../../src/config.ts";
import { type Manifest, manifest, manifests, read } from "./manifest-files.ts";

const rayService = manifest("manifests/base/ray/rayservice.yaml", "RayService");
const deployment = manifest("manifests/base/operator/deployment.yaml", "Deployment");
const policies = manifests("manifests/base/ray/networkpolicy.yaml");
const rbac = manifests("manifests/base/operator/rbac.yaml");
const cluster = rayService.spec.rayClusterConfig;
const groups = [cluster.headGroupSpec, ...cluster.workerGroupSpecs];
const rayContainers = groups.flatMap((g) => g.template.spec.containers);
const RAY_POD_LABEL = "montecarlo.vatic.io/ray-service";
const OPERATOR = "montecarlo-operator";

const envOf = (c: Manifest) =>
  Object.fromEntries((c.env ?? []).map((e: Manifest) => [e.name, e.value ?? e.valueFrom]));
const policy = (name: string) => policies.find((p) => p.metadata.name === name);
const dirname = (path: string) => path.slice(0, path.lastIndexOf("/"));

/** Whether the dotted version `v` is `min` or later. */
function atLeast(v: string, min: string): boolean {
  const have = v.split(".").map(Number);
  const want = min.split(".").map(Number);
  const i = want.findIndex((n, k) => have[k] !== n);
  return i === -1 || (have[i] ?? 0) > (want[i] ?? 0);
}

/** The Secret mounted at the directory that holds `file`, in `pod`. */
function secretHolding(pod: Manifest, container: Manifest, file: string): string | undefined {
  const mount = container.volumeMounts?.find((m: Manifest) => m.mountPath === dirname(file));
  return pod.volumes?.find((v: Manifest) => v.name === mount?.name)?.secret?.secretName;
}

describe("ray-system NetworkPolicies", () => {
  it("deny every ingress and egress by default", () => {
    expect(policy("default-deny")?.spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
    });
    for (const p of policies) expect(p.metadata.namespace).toBe(rayService.metadata.namespace);
  });

  it("select the RayService's pods by a label their templates carry", () => {
    const value = rayService.metadata.name;
    for (const g of groups) expect(g.template.metadata.labels[RAY_POD_LABEL]).toBe(value);
    for (const p of policies.filter((p) => p.metadata.name !== "default-deny")) {
      expect(p.spec.podSelector.matchLabels[RAY_POD_LABEL], p.metadata.name).toBe(value);
    }
  });

  it("admit no ingress from anywhere: every rule names its peers", () => {
    for (const p of policies) {
      for (const rule of p.spec.ingress ?? []) expect(rule.from, p.metadata.name).toBeDefined();
    }
  });

  it("admit Serve (8000) from the operator's pods and the KubeRay namespace only", () => {
    const [rule, ...others] = policy("ray-serve").spec.ingress;
    expect(others).toEqual([]);
    expect(rule.ports).toEqual([{ port: 8000, protocol: "TCP" }]);
    expect(rule.from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kuberay-system" } } },
      {
        namespaceSelector: {
          matchLabels: { "kubernetes.io/metadata.name": deployment.metadata.namespace },
        },
        podSelector: { matchLabels: deployment.spec.selector.matchLabels },
      },
    ]);
  });

  it("admit the dashboard (8265) on the head from the KubeRay namespace only", () => {
    const p = policy("ray-dashboard");
    expect(p.spec.podSelector.matchLabels["ray.io/node-type"]).toBe("head");
    expect(p.spec.ingress).toEqual([
      {
        ports: [{ port: 8265, protocol: "TCP" }],
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kuberay-system" } },
          },
        ],
      },
    ]);
  });

  it("keep GCS, Ray Client and worker ports between the cluster's own pods", () => {
    const p = policy("ray-cluster-internal");
    const own = { podSelector: { matchLabels: { [RAY_POD_LABEL]: rayService.metadata.name } } };
    expect(p.spec.ingress).toEqual([{ from: [own] }]);
    expect(p.spec.egress).toContainEqual({ to: [own] });
  });

  it("let the pods out only to DNS, their own pods, and (the head's autoscaler) the API server", () => {
    const egress = policies.flatMap((p) =>
      (p.spec.egress ?? []).map((rule: Manifest) => ({ policy: p.metadata.name, rule })),
    );
    const unrestricted = egress.filter(({ rule }) => !rule.to);
    expect(unrestricted.map(({ policy, rule }) => [policy, rule.ports])).toEqual([
      [
        "ray-cluster-internal",
        [
          { port: 53, protocol: "UDP" },
          { port: 53, protocol: "TCP" },
        ],
      ],
      [
        "ray-autoscaler",
        [
          { port: 443, protocol: "TCP" },
          { port: 6443, protocol: "TCP" },
        ],
      ],
    ]);
    expect(policy("ray-autoscaler").spec.podSelector.matchLabels["ray.io/node-type"]).toBe("head");
  });
});

describe("Ray pods", () => {
  it.each(groups.map((g) => [g.groupName ?? "head", g.template.spec]))(
    "%s: no service-account token, non-root, seccomp",
    (_name, pod) => {
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
    },
  );

  it.each(
    groups.flatMap((g) =>
      g.template.spec.containers.map((c: Manifest) => [c.name, g.template.spec, c]),
    ),
  )("%s: read-only root, /tmp on an emptyDir, no privileges, requests and limits", (_n, pod, c) => {
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    const tmp = c.volumeMounts.find((m: Manifest) => m.mountPath === "/tmp");
    expect(pod.volumes.find((v: Manifest) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "memory"]);
    expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "memory"]);
  });

  it("the autoscaler alone mounts an API token, and is as confined as the Ray containers", () => {
    const options = cluster.autoscalerOptions;
    const head = cluster.headGroupSpec.template.spec;
    const apiMount = options.volumeMounts.find(
      (m: Manifest) => m.mountPath === "/var/run/secrets/kubernetes.io/serviceaccount",
    );
    const volume = head.volumes.find((v: Manifest) => v.name === apiMount?.name);
    expect(volume.projected.sources).toContainEqual({
      serviceAccountToken: { path: "token", expirationSeconds: 3607 },
    });
    for (const c of rayContainers) {
      expect(c.volumeMounts.map((m: Manifest) => m.name)).not.toContain(apiMount.name);
    }
    expect(options.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(options.volumeMounts.map((m: Manifest) => m.mountPath)).toContain("/tmp");
    expect(options.resources.limits).toBeDefined();
  });

  it("runs Ray with token auth through KubeRay's authOptions, on a Ray that has it", () => {
    // KubeRay v1.5.1 turns auth on for mode "token" only: an empty
    // authOptions makes it generate a Secret and inject nothing.
    expect(cluster.authOptions).toEqual({ mode: "token" });
    // KubeRay refuses token mode below Ray 2.52.0.
    expect(atLeast(cluster.rayVersion, "2.52.0"), cluster.rayVersion).toBe(true);
  });

  it("is pinned to a KubeRay that has authOptions, the version README and docs name", () => {
    const lib = read("hack/stack/lib.sh");
    const version = /^MC_KUBERAY_VERSION=(v\d+\.\d+\.\d+)$/m.exec(lib)?.[1] ?? "";
    // authOptions (and a dashboard client that sends the token) arrived in v1.5.1.
    expect(atLeast(version.slice(1), "1.5.1"), version).toBe(true);
    expect(read("README.md")).toContain(`ray-operator\` ${version})`);
    expect(read("docs/deploy.md")).toContain(`KubeRay ${version}`);
  });

  it("sets no Ray token variables of its own, so KubeRay's token is the one every process uses", () => {
    // KubeRay appends RAY_AUTH_MODE and RAY_AUTH_TOKEN (from its Secret) to
    // the Ray containers and the autoscaler, and sends that token itself; a
    // variable set here would duplicate them, and on the autoscaler, whose
    // overrides come after KubeRay's, replace its token with another.
    for (const c of [...rayContainers, cluster.autoscalerOptions]) {
      expect(Object.keys(envOf(c)).filter((n) => n.startsWith("RAY_AUTH"))).toEqual([]);
      // Nor through a whole Secret or ConfigMap.
      expect(c.envFrom).toBeUndefined();
    }
  });
});

describe("the simulator token", () => {
  it("reaches every Ray container and the operator from a Secret of the same name", () => {
    const operator = deployment.spec.template.spec;
    const opEnv = envOf(operator.containers[0]);
    const secret = secretHolding(operator, operator.containers[0], opEnv.SIMULATOR_TOKEN_FILE);
    expect(secret).toBe("montecarlo-simulator-token");
    expect(dirname(opEnv.SIMULATOR_NEXT_TOKEN_FILE)).toBe(dirname(opEnv.SIMULATOR_TOKEN_FILE));
    for (const g of groups) {
      for (const c of g.template.spec.containers) {
        const env = envOf(c);
        expect(env.SIMULATOR_AUTH_MODE).toBe("token");
        expect(env.SIMULATOR_TOKEN_FILE).toBe(opEnv.SIMULATOR_TOKEN_FILE);
        expect(env.SIMULATOR_NEXT_TOKEN_FILE).toBe(opEnv.SIMULATOR_NEXT_TOKEN_FILE);
        expect(secretHolding(g.template.spec, c, env.SIMULATOR_TOKEN_FILE)).toBe(secret);
      }
    }
  });

  it("is mounted whole (no subPath), so a rotated Secret reaches running pods", () => {
    const mounts = [deployment.spec.template.spec, ...groups.map((g) => g.template.spec)].flatMap(
      (pod) => pod.containers.flatMap((c: Manifest) => c.volumeMounts ?? []),
    );
    const tokenMounts = mounts.filter((m: Manifest) => m.name === "simulator-token");
    expect(tokenMounts.length).toBe(1 + rayContainers.length);
    for (const m of tokenMounts) {
      expect(m.readOnly).toBe(true);
      expect(m.subPath).toBeUndefined();
    }
  });
});

describe("operator RBAC", () => {
  const clusterRules = rbac
    .filter((o) => o.kind === "ClusterRole")
    .flatMap((o) => o.rules.map((r: Manifest) => ({ role: o.metadata.name, ...r })));

  it("has no ClusterRole over RayServices: a Role in the RayService's namespace", () => {
    expect(clusterRules.filter((r) => r.apiGroups.includes("ray.io"))).toEqual([]);
    const role = manifest("manifests/base/operator/rbac.yaml", "Role", `${OPERATOR}-rayservices`);
    expect(role.metadata.namespace).toBe(rayService.metadata.namespace);
    expect(role.rules).toEqual([
      {
        apiGroups: ["ray.io"],
        resources: ["rayservices"],
        verbs: ["get", "list", "watch", "patch"],
      },
    ]);
    const binding = manifest(
      "manifests/base/operator/rbac.yaml",
      "RoleBinding",
      `${OPERATOR}-rayservices`,
    );
    expect(binding.metadata.namespace).toBe(role.metadata.namespace);
    // The operator watches RayServices where the Role lets it, not cluster-wide.
    const env = envOf(deployment.spec.template.spec.containers[0]);
    expect(env.RAY_SERVICE_NAMESPACE).toBe(role.metadata.namespace);
    expect(Object.keys(ConfigSchema.shape)).toContain("RAY_SERVICE_NAMESPACE");
  });

  it.each([
    { name: "no update where the code only patches", verb: "update" },
    {
      name: "no event patches (events are created, never aggregated)",
      verb: "patch",
      of: "events",
    },
  ])("$name", ({ verb, of }) => {
    const offending = clusterRules.filter(
      (r) => r.verbs.includes(verb) && (of === undefined || r.resources.includes(of)),
    );
    expect(offending).toEqual([]);
  });

  it("writes events through core/v1 only", () => {
    expect(clusterRules.filter((r) => r.apiGroups.includes("events.k8s.io"))).toEqual([]);
  });
});
