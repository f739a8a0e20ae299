/**
 * Which API resource an informer or client talks to. Works the same for the
 * core group (""), built-in groups and CustomResourceDefinitions.
 */
export interface ResourceRef {
  /** API group; "" for the core group (ConfigMaps, Pods, ...). */
  group: string;
  version: string;
  /** Lower-case plural, as in the URL: "configmaps", "montecarlosimulations". */
  plural: string;
  /** True for namespaced kinds. */
  namespaced: boolean;
}

/**
 * The collection URL path. For a namespaced kind, `namespace` restricts it to
 * one namespace; omitted, it spans all namespaces.
 */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  const prefix = ref.group === "" ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = ref.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${prefix}${ns}/${ref.plural}`;
}

/** The URL path of one object. */
export function objectPath(ref: ResourceRef, name: string, namespace?: string): string {
  if (ref.namespaced && !namespace)
    throw new Error(`${ref.plural} is namespaced: need a namespace`);
  return `${collectionPath(ref, namespace)}/${encodeURIComponent(name)}`;
}
