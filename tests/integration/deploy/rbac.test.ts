// The operator's RBAC from manifests/base, applied for real (moved to a
// namespace of this test), checked with `kubectl auth can-i` as its service
// account: what the controllers need is allowed, everything else is not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectl, kubectlOk, unique } from "../harness.ts";
import { objects, operatorRbac, render, toYaml } from "./render.ts";

const LEASE = "montecarlo-operator";

let ns: string;
let other: string;
let as: string[];
let cleanup: string[] = [];

beforeAll(async () => {
  ns = unique("deploy-rbac");
  other = unique("deploy-rbac-other");
  await kubectlOk(["create", "namespace", ns]);
  await kubectlOk(["create", "namespace", other]);
  const rbac = operatorRbac(objects(await render("manifests/base")), ns, ns);
  await kubectlOk(["apply", "-f", "-"], toYaml(rbac.objects));
  cleanup = rbac.clusterScoped.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`);
  // The groups a service account's token carries, so grants to them count too.
  as = [
    `--as=system:serviceaccount:${ns}:${rbac.serviceAccount}`,
    "--as-group=system:serviceaccounts",
    `--as-group=system:serviceaccounts:${ns}`,
    "--as-group=system:authenticated",
  ];
});

afterAll(async () => {
  for (const object of cleanup) await kubectl(["delete", object, "--ignore-not-found"]);
  if (ns) await kubectl(["delete", "namespace", "--wait=false", ns, other]);
});

/** `kubectl auth can-i VERB RESOURCE [flags]` as the operator: true for yes. */
async function can(verb: string, resource: string, ...flags: string[]): Promise<boolean> {
  const r = await kubectl(["auth", "can-i", verb, resource, ...flags, ...as]);
  if (r.code > 1) throw new Error(`kubectl auth can-i failed: ${r.stderr}`);
  return r.stdout.trim() === "yes";
}

// [verb, resource, scope]: scope "all" is every namespace (-A), "own" the
// operator's namespace, "other" any other namespace, "cluster" no namespace.
type Scope = "all" | "own" | "other" | "cluster";
const where = (scope: Scope) =>
  scope === "all" ? ["-A"] : scope === "own" ? ["-n", ns] : scope === "other" ? ["-n", other] : [];

const SIMS = "montecarlosimulations.montecarlo.vatic.io";
const PLATFORMS = "montecarloplatforms.montecarlo.vatic.io";
const RAYSERVICES = "rayservices.ray.io";

const allowed: [string, string, Scope, ...string[]][] = [
  ...["get", "list", "watch", "patch", "update"].map(
    (v) => [v, SIMS, "all"] as [string, string, Scope],
  ),
  ["get", SIMS, "other", "--subresource=status"],
  ["patch", SIMS, "all", "--subresource=status"],
  ["update", SIMS, "other", "--subresource=status"],
  ["update", SIMS, "other", "--subresource=finalizers"],
  ...["get", "list", "watch"].map((v) => [v, PLATFORMS, "cluster"] as [string, string, Scope]),
  ["get", PLATFORMS, "cluster", "--subresource=status"],
  ["patch", PLATFORMS, "cluster", "--subresource=status"],
  ["update", PLATFORMS, "cluster", "--subresource=status"],
  ...["get", "list", "watch", "update", "patch"].map(
    (v) => [v, RAYSERVICES, "all"] as [string, string, Scope],
  ),
  ["create", "events", "other"],
  ["patch", "events", "all"],
  ["create", "events.events.k8s.io", "other"],
  ["patch", "events.events.k8s.io", "all"],
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
  // Deletes of any kind.
  ["delete", SIMS, "all"],
  ["deletecollection", SIMS, "all"],
  ["delete", PLATFORMS, "cluster"],
  ["delete", RAYSERVICES, "all"],
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

describe("operator RBAC (kubectl auth can-i as its service account)", () => {
  it.each(allowed)("may %s %s (%s) %s", async (verb, resource, scope, ...flags) => {
    expect(await can(verb, resource, ...where(scope), ...flags)).toBe(true);
  });

  it.each(denied)("may not %s %s (%s) %s", async (verb, resource, scope, ...flags) => {
    expect(await can(verb, resource, ...where(scope), ...flags)).toBe(false);
  });
});
