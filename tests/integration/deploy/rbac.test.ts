// The operator's RBAC from manifests/base, applied for real (its namespaces
// moved to namespaces of this test: montecarlo-system to `ns`, ray-system to
// `rayNs`), checked with `kubectl auth can-i` under the operator's own
// service account (a TokenRequest token, not impersonation): what the
// controllers need is allowed, everything else is not, including verbs the
// code no longer sends and RayServices outside the namespaces it names.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectl, kubectlOk, serviceAccountKubeconfig, unique } from "../harness.ts";
import { objects, operatorRbac, render, toYaml } from "./render.ts";

const LEASE = "montecarlo-operator";

let ns: string;
let rayNs: string;
let other: string;
let kubeconfig: string;
let cleanup: string[] = [];

beforeAll(async () => {
  ns = unique("deploy-rbac");
  rayNs = unique("deploy-rbac-ray");
  other = unique("deploy-rbac-other");
  for (const name of [ns, rayNs, other]) await kubectlOk(["create", "namespace", name]);
  const rbac = operatorRbac(
    objects(await render("manifests/base")),
    { "montecarlo-system": ns, "ray-system": rayNs },
    ns,
  );
  await kubectlOk(["apply", "-f", "-"], toYaml(rbac.objects));
  cleanup = rbac.clusterScoped.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`);
  kubeconfig = await serviceAccountKubeconfig(ns, rbac.serviceAccount);
  const whoami = await kubectl(
    ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"],
    undefined,
    { KUBECONFIG: kubeconfig },
  );
  expect(whoami.stdout).toBe(`system:serviceaccount:${ns}:${rbac.serviceAccount}`);
});

afterAll(async () => {
  for (const object of cleanup) await kubectl(["delete", object, "--ignore-not-found"]);
  if (ns) await kubectl(["delete", "namespace", "--wait=false", ns, rayNs, other]);
});

/** `kubectl auth can-i VERB RESOURCE [flags]` as the operator: true for yes. */
async function can(verb: string, resource: string, ...flags: string[]): Promise<boolean> {
  const r = await kubectl(["auth", "can-i", verb, resource, ...flags], undefined, {
    KUBECONFIG: kubeconfig,
  });
  if (r.code > 1) throw new Error(`kubectl auth can-i failed: ${r.stderr}`);
  return r.stdout.trim() === "yes";
}

// [verb, resource, scope]: scope "all" is every namespace (-A), "own" the
// operator's namespace, "ray" the RayService's namespace, "other" any other
// namespace, "cluster" no namespace.
type Scope = "all" | "own" | "ray" | "other" | "cluster";
const where = (scope: Scope) =>
  ({
    all: ["-A"],
    own: ["-n", ns],
    ray: ["-n", rayNs],
    other: ["-n", other],
    cluster: [],
  })[scope];

const SIMS = "montecarlosimulations.montecarlo.vatic.io";
const PLATFORMS = "montecarloplatforms.montecarlo.vatic.io";
const RAYSERVICES = "rayservices.ray.io";

const allowed: [string, string, Scope, ...string[]][] = [
  // delete: ttlSecondsAfterFinished.
  ...["get", "list", "watch", "patch", "delete"].map(
    (v) => [v, SIMS, "all"] as [string, string, Scope],
  ),
  ["patch", SIMS, "all", "--subresource=status"],
  ...["get", "list", "watch"].map((v) => [v, PLATFORMS, "cluster"] as [string, string, Scope]),
  ["patch", PLATFORMS, "cluster", "--subresource=status"],
  // RayServices: only in the namespace its Role is in.
  ...["get", "list", "watch", "patch"].map(
    (v) => [v, RAYSERVICES, "ray"] as [string, string, Scope],
  ),
  ["create", "events", "other"],
  ["create", "events", "ray"],
  ["create", "leases.coordination.k8s.io", "own"],
  ["get", `leases.coordination.k8s.io/${LEASE}`, "own"],
  ["update", `leases.coordination.k8s.io/${LEASE}`, "own"],
];

const denied: [string, string, Scope, ...string[]][] = [
  // Secrets: nowhere, not even its own namespace (secretKeyRef needs no RBAC).
  ["get", "secrets", "all"],
  ["list", "secrets", "all"],
  ["watch", "secrets", "all"],
  ["get", "secrets", "own"],
  ["list", "secrets", "own"],
  // Pods and other workloads.
  ["get", "pods", "all"],
  ["list", "pods", "all"],
  ["create", "pods", "own"],
  ["delete", "pods", "own"],
  ["create", "pods", "own", "--subresource=exec"],
  ["create", "deployments.apps", "all"],
  ["create", "jobs.batch", "all"],
  // Deletes of any kind but a finished simulation's (its TTL).
  ["deletecollection", SIMS, "all"],
  ["delete", PLATFORMS, "cluster"],
  ["delete", RAYSERVICES, "all"],
  ["delete", RAYSERVICES, "ray"],
  ["deletecollection", RAYSERVICES, "all"],
  ["delete", "events", "all"],
  ["delete", "leases.coordination.k8s.io", "own"],
  ["delete", "namespaces", "cluster"],
  // Writes it never makes.
  ["create", SIMS, "other"],
  ["create", PLATFORMS, "cluster"],
  ["update", PLATFORMS, "cluster"],
  ["patch", PLATFORMS, "cluster"],
  ["create", RAYSERVICES, "all"],
  ["create", RAYSERVICES, "ray"],
  // RayServices anywhere but the namespaces the installation names.
  ...["get", "list", "watch", "patch", "update"].map(
    (v) => [v, RAYSERVICES, "other"] as [string, string, Scope],
  ),
  ["patch", RAYSERVICES, "own"],
  ["list", RAYSERVICES, "all"],
  ["watch", RAYSERVICES, "all"],
  ["patch", RAYSERVICES, "all"],
  // Verbs the code does not send (it patches; events are created once).
  ["update", SIMS, "all"],
  ["update", SIMS, "other", "--subresource=status"],
  ["get", SIMS, "other", "--subresource=status"],
  ["update", SIMS, "other", "--subresource=finalizers"],
  ["update", PLATFORMS, "cluster", "--subresource=status"],
  ["get", PLATFORMS, "cluster", "--subresource=status"],
  ["update", RAYSERVICES, "ray"],
  ["patch", "events", "all"],
  ["create", "events.events.k8s.io", "other"],
  ["patch", "events.events.k8s.io", "all"],
  ["get", "rayclusters.ray.io", "all"],
  ["update", "events", "all"],
  ["list", "events", "all"],
  // Leases: only its own, only in its namespace.
  ["get", "leases.coordination.k8s.io/someone-else", "own"],
  ["update", "leases.coordination.k8s.io/someone-else", "own"],
  ["list", "leases.coordination.k8s.io", "own"],
  ["create", "leases.coordination.k8s.io", "other"],
  ["update", `leases.coordination.k8s.io/${LEASE}`, "other"],
  ["create", "leases.coordination.k8s.io", "cluster", "-n", "kube-system"],
  // Everything else it has no business with.
  ["get", "configmaps", "all"],
  ["list", "configmaps", "own"],
  ["list", "namespaces", "cluster"],
  ["create", "serviceaccounts", "own", "--subresource=token"],
  ["create", "customresourcedefinitions.apiextensions.k8s.io", "cluster"],
  ["update", "clusterroles.rbac.authorization.k8s.io", "cluster"],
  ["bind", "clusterroles.rbac.authorization.k8s.io", "cluster"],
  ["escalate", "clusterroles.rbac.authorization.k8s.io", "cluster"],
  ["impersonate", "users", "cluster"],
  ["*", "*", "all"],
];

describe("operator RBAC (kubectl auth can-i with its service account's token)", () => {
  it.each(allowed)("may %s %s (%s) %s", async (verb, resource, scope, ...flags) => {
    expect(await can(verb, resource, ...where(scope), ...flags)).toBe(true);
  });

  it.each(denied)("may not %s %s (%s) %s", async (verb, resource, scope, ...flags) => {
    expect(await can(verb, resource, ...where(scope), ...flags)).toBe(false);
  });
});
