import { type ObjectMetaLike, objectKey } from "./object-key.ts";

/** A change the cache made, to be delivered to informer handlers. */
export type CacheChange<T> =
  | { type: "add"; key: string; object: T }
  | { type: "update"; key: string; old: T; object: T }
  | { type: "delete"; key: string; object: T };

/**
 * The informer's store: the last seen state of every object, keyed
 * `namespace/name`. Mutations return what changed so the informer can notify.
 */
export class ObjectCache<T extends ObjectMetaLike> {
  private readonly objects = new Map<string, T>();

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  size(): number {
    return this.objects.size;
  }

  /** Adds or replaces; no change when the resourceVersion is the one cached. */
  upsert(object: T): CacheChange<T> | undefined {
    const key = objectKey(object);
    const old = this.objects.get(key);
    this.objects.set(key, object);
    if (old === undefined) return { type: "add", key, object };
    if (sameVersion(old, object)) return undefined;
    return { type: "update", key, old, object };
  }

  /** Removes; reports the deletion with the final state the event carried. */
  remove(object: T): CacheChange<T> | undefined {
    const key = objectKey(object);
    const had = this.objects.delete(key);
    return had ? { type: "delete", key, object } : undefined;
  }

  /**
   * Makes the cache equal to a fresh list, as after a (re)list: adds what is
   * new, updates what changed, and deletes what is gone, reporting deletes
   * with the last state we saw, since the API server no longer has it.
   */
  replace(items: readonly T[]): Array<CacheChange<T>> {
    const changes: Array<CacheChange<T>> = [];
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(objectKey(item));
      const change = this.upsert(item);
      if (change) changes.push(change);
    }
    for (const [key, object] of this.objects) {
      if (!seen.has(key)) {
        this.objects.delete(key);
        changes.push({ type: "delete", key, object });
      }
    }
    return changes;
  }
}

function sameVersion(a: ObjectMetaLike, b: ObjectMetaLike): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv !== "" && rv === b.metadata?.resourceVersion;
}
