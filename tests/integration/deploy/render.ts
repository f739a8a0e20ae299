// Helpers of the deployment tests: render a kustomization with the stack's
// kubectl, and move what a test applies for real into its own namespaces and
// names, so that runs never touch montecarlo-system or each other.
import { parseAllDocuments, stringify } from "yaml";
import { kubectl, REPO } from "../harness.ts";

// biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary Kubernetes objects
export type Manifest = any;

export async function render(dir: string): Promise<string> {
  const r = await kubectl(["kustomize", `${REPO}${dir}`]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return r.stdout;
}

export const objects = (yaml: string): Manifest[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJSON() as Manifest)
    .filter((o) => o !== null && typeof o === "object");

export const toYaml = (list: Manifest[]) => list.map((o) => stringify(o)).join("---\n");

/** Renames namespaces everywhere they appear (namespaces, selectors, references). */
export function renameNamespaces(yaml: string, names: Record<string, string>): string {
  let out = yaml;
  for (const [from, to] of Object.entries(names)) {
    out = out.replace(new RegExp(`(?<![\\w.-])${from}(?![\\w.-])`, "g"), to);
  }
  return out;
}

/**
 * The operator's own RBAC from a render (its ServiceAccount, the ClusterRole
 * and Roles it is bound to, and the bindings), with each namespace moved as
 * `namespaces` says (e.g. montecarlo-system and ray-system to namespaces of
 * the test) and the cluster-scoped names suffixed. The rules are untouched.
 */
export function operatorRbac(
  rendered: Manifest[],
  namespaces: Record<string, string>,
  suffix: string,
) {
  const sa = rendered.find((o) => o.kind === "ServiceAccount");
  const bound = (o: Manifest) =>
    o.subjects?.some((s: Manifest) => s.kind === "ServiceAccount" && s.name === sa.metadata.name);
  const bindings = rendered.filter((o) => o.kind.endsWith("RoleBinding") && bound(o));
  const roles = rendered.filter(
    (o) =>
      (o.kind === "ClusterRole" || o.kind === "Role") &&
      bindings.some(
        (b) =>
          b.roleRef.kind === o.kind &&
          b.roleRef.name === o.metadata.name &&
          b.metadata.namespace === o.metadata.namespace,
      ),
  );
  const rename = (kind: string, name: string) =>
    kind.startsWith("Cluster") ? `${name}-${suffix}` : name;
  const move = (namespace: string) => {
    const to = namespaces[namespace];
    if (!to) throw new Error(`operatorRbac: no namespace given for ${namespace}`);
    return to;
  };
  const moved = [sa, ...roles, ...bindings].map((o) => {
    const copy = structuredClone(o);
    if (copy.metadata.namespace) copy.metadata.namespace = move(copy.metadata.namespace);
    copy.metadata.name = rename(copy.kind, copy.metadata.name);
    if (copy.roleRef) copy.roleRef.name = rename(copy.roleRef.kind, copy.roleRef.name);
    for (const s of copy.subjects ?? []) s.namespace = move(s.namespace);
    return copy;
  });
  return {
    serviceAccount: sa.metadata.name as string,
    objects: moved,
    clusterScoped: moved.filter((o) => !o.metadata.namespace),
  };
}
