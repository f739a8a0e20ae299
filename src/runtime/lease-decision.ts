/**
 * The pure part of leader election: what a candidate should do given the
 * Lease it last saw. Mirrors client-go's tryAcquireOrRenew, including its
 * clock-skew rule: a lease's expiry is measured from when *we* saw its record
 * change, on our clock, never from the renewTime another host wrote.
 */

/** The leader-election fields of a coordination.k8s.io/v1 Lease spec. */
export interface LeaderElectionRecord {
  /** "" when released. */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTimeMs: number | undefined;
  renewTimeMs: number | undefined;
  leaseTransitions: number;
}

/** A record and the local time at which we first saw it in this form. */
export interface LeaseObservation {
  record: LeaderElectionRecord;
  observedAtMs: number;
}

export type LeaseDecision =
  | { action: "create"; record: LeaderElectionRecord }
  | {
      action: "update";
      record: LeaderElectionRecord;
      /** True when taking the lease over, false when renewing our own. */
      acquiring: boolean;
    }
  | { action: "wait"; holder: string; expiresAtMs: number };

export interface LeaseDecisionOptions {
  leaseDurationSeconds: number;
}

/**
 * Folds a freshly read record into what we had observed: the observation
 * time moves only when the record changed.
 */
export function observeLease(
  previous: LeaseObservation | undefined,
  record: LeaderElectionRecord,
  nowMs: number,
): LeaseObservation {
  if (previous && sameRecord(previous.record, record)) return previous;
  return { record, observedAtMs: nowMs };
}

/**
 * What `identity` should do now. `observed` is undefined when the Lease does
 * not exist.
 */
export function decideLease(
  observed: LeaseObservation | undefined,
  nowMs: number,
  identity: string,
  options: LeaseDecisionOptions,
): LeaseDecision {
  if (observed === undefined) {
    return {
      action: "create",
      record: {
        holderIdentity: identity,
        leaseDurationSeconds: options.leaseDurationSeconds,
        acquireTimeMs: nowMs,
        renewTimeMs: nowMs,
        leaseTransitions: 0,
      },
    };
  }
  const old = observed.record;
  const heldByUs = old.holderIdentity === identity;
  if (old.holderIdentity !== "" && !heldByUs) {
    const expiresAtMs = observed.observedAtMs + old.leaseDurationSeconds * 1000;
    if (expiresAtMs > nowMs) return { action: "wait", holder: old.holderIdentity, expiresAtMs };
  }
  return {
    action: "update",
    acquiring: !heldByUs,
    record: {
      holderIdentity: identity,
      leaseDurationSeconds: options.leaseDurationSeconds,
      acquireTimeMs: heldByUs ? (old.acquireTimeMs ?? nowMs) : nowMs,
      renewTimeMs: nowMs,
      leaseTransitions: heldByUs ? old.leaseTransitions : old.leaseTransitions + 1,
    },
  };
}

/** The record a leader writes when it steps down, so the next one need not wait. */
export function releasedRecord(old: LeaderElectionRecord, nowMs: number): LeaderElectionRecord {
  return {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTimeMs: nowMs,
    renewTimeMs: nowMs,
    leaseTransitions: old.leaseTransitions,
  };
}

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's JitterFactor for retries. */
export const RETRY_JITTER = 1.2;

/** Throws unless leaseDuration > renewDeadline > 1.2 × retryPeriod (client-go's rules). */
export function validateTimings(t: LeaderElectionTimings): void {
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) {
    throw new Error("leaseDuration must be greater than renewDeadline");
  }
  if (!(t.renewDeadlineMs > RETRY_JITTER * t.retryPeriodMs)) {
    throw new Error("renewDeadline must be greater than retryPeriod * 1.2");
  }
  if (t.leaseDurationMs < 1000 || t.retryPeriodMs <= 0) {
    throw new Error("leaseDuration must be at least 1 s and retryPeriod positive");
  }
}

function sameRecord(a: LeaderElectionRecord, b: LeaderElectionRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTimeMs === b.acquireTimeMs &&
    a.renewTimeMs === b.renewTimeMs &&
    a.leaseTransitions === b.leaseTransitions
  );
}
