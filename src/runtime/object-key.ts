/**
 * Work-queue and cache keys: `namespace/name`, or `name` for cluster-scoped
 * objects, as client-go's MetaNamespaceKeyFunc makes them.
 */

export interface ObjectMetaLike {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string } | undefined;
}

export function objectKey(obj: ObjectMetaLike): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error("object has no metadata.name");
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  if (slash < 0) return { namespace: undefined, name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
