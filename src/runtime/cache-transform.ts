// What every informer leaves out of its cache: fields the API server and
// kubectl keep for their own bookkeeping, which no reconcile reads and which
// are often the larger part of an object (managedFields grows with every
// writer; kubectl apply copies the whole object into an annotation).
import type { ObjectMetaLike } from "./object-key.ts";

/** Maps an object as decoded from the API server to what the cache keeps. */
export type CacheTransform<T> = (object: T) => T;

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

interface BookkeepingMeta {
  managedFields?: unknown;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * The object without metadata.managedFields and the last-applied annotation.
 * Builds new metadata (and annotations) rather than deleting properties: V8
 * turns an object a property was deleted from into a slower, larger dictionary.
 */
export function withoutBookkeeping<T extends ObjectMetaLike>(object: T): T {
  const meta = object.metadata as BookkeepingMeta | undefined;
  if (!meta) return object;
  const hasLastApplied = meta.annotations?.[LAST_APPLIED_ANNOTATION] !== undefined;
  if (meta.managedFields === undefined && !hasLastApplied) return object;
  const { managedFields: _managed, annotations, ...rest } = meta;
  const kept = hasLastApplied
    ? withoutKey(annotations ?? {}, LAST_APPLIED_ANNOTATION)
    : annotations;
  const metadata = kept && Object.keys(kept).length > 0 ? { ...rest, annotations: kept } : rest;
  return { ...object, metadata };
}

export function withoutKey<V>(record: Record<string, V>, key: string): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [k, v] of Object.entries(record)) if (k !== key) out[k] = v;
  return out;
}
