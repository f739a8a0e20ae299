import type { KubeConfig } from "./kube-config.ts";
import { createKubeRequester, type KubeRequester } from "./kube-request.ts";
import type { LeaderElectionRecord } from "./lease-decision.ts";

/**
 * Where the leader-election record lives. Like client-go's LeaseLock it
 * remembers the object it last read, so update() is guarded by that
 * object's resourceVersion (a 409 means someone else wrote first).
 */
export interface LeaseLock {
  /** Reads the record; undefined when the Lease does not exist. */
  get(signal: AbortSignal): Promise<LeaderElectionRecord | undefined>;
  /** Creates the Lease; fails with 409 if it appeared meanwhile. */
  create(record: LeaderElectionRecord, signal: AbortSignal): Promise<void>;
  /** Replaces the record of the Lease last read or written; 409 on a lost race. */
  update(record: LeaderElectionRecord, signal: AbortSignal): Promise<void>;
  /** namespace/name, for logs and the metric label. */
  describe(): string;
}

interface LeaseObject {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
  [k: string]: unknown;
}

export function kubeLeaseLock(kc: KubeConfig, namespace: string, name: string): LeaseLock {
  return leaseLockWith(createKubeRequester(kc), namespace, name);
}

/** The same lock over any requester (tests can pass a fake). */
export function leaseLockWith(request: KubeRequester, namespace: string, name: string): LeaseLock {
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const path = `${collection}/${encodeURIComponent(name)}`;
  let last: LeaseObject | undefined;
  // Each call must finish well within the renew deadline; the signal bounds it.
  const timeoutMs = 60_000;

  return {
    async get(signal) {
      try {
        last = await request<LeaseObject>({ method: "GET", path, signal, timeoutMs });
      } catch (err) {
        if ((err as { code?: unknown }).code === 404) {
          last = undefined;
          return undefined;
        }
        throw err;
      }
      return recordFromSpec(last.spec ?? {});
    },
    async create(record, signal) {
      last = await request<LeaseObject>({
        method: "POST",
        path: collection,
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace },
          spec: specFromRecord(record),
        },
        signal,
        timeoutMs,
      });
    },
    async update(record, signal) {
      if (!last) throw new Error("lease lock: update before get");
      last = await request<LeaseObject>({
        method: "PUT",
        path,
        body: { ...last, spec: { ...last.spec, ...specFromRecord(record) } },
        signal,
        timeoutMs,
      });
    },
    describe: () => `${namespace}/${name}`,
  };
}

function recordFromSpec(spec: LeaseSpec): LeaderElectionRecord {
  return {
    holderIdentity: spec.holderIdentity ?? "",
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTimeMs: parseTime(spec.acquireTime),
    renewTimeMs: parseTime(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

function specFromRecord(record: LeaderElectionRecord): LeaseSpec {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: microTime(record.acquireTimeMs),
    renewTime: microTime(record.renewTimeMs),
    leaseTransitions: record.leaseTransitions,
  };
}

function parseTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** metav1.MicroTime's RFC 3339 form with six fractional digits. */
export function microTime(ms: number | undefined): string | null {
  if (ms === undefined) return null;
  return new Date(ms).toISOString().replace(/Z$/, "000Z");
}
