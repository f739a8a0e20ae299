import { describe, expect, it } from "vitest";
import {
  decideLease,
  type LeaderElectionRecord,
  type LeaseObservation,
  observeLease,
  releasedRecord,
  validateTimings,
} from "../../../src/runtime/lease-decision.ts";

const T0 = 1_000_000;
const opts = { leaseDurationSeconds: 15 };

function record(partial: Partial<LeaderElectionRecord>): LeaderElectionRecord {
  return {
    holderIdentity: "other",
    leaseDurationSeconds: 15,
    acquireTimeMs: T0 - 60_000,
    renewTimeMs: T0 - 1_000,
    leaseTransitions: 3,
    ...partial,
  };
}

function seen(r: LeaderElectionRecord, observedAtMs: number): LeaseObservation {
  return { record: r, observedAtMs };
}

describe("decideLease", () => {
  it.each([
    {
      name: "no lease: create it as holder",
      observed: undefined,
      now: T0,
      want: { action: "create", holder: "me", transitions: 0, acquire: T0 },
    },
    {
      name: "held by another, observed changing 14 s ago: wait",
      observed: seen(record({}), T0 - 14_000),
      now: T0,
      want: { action: "wait", holder: "other" },
    },
    {
      name: "held by another, unchanged for exactly the duration: take over",
      observed: seen(record({}), T0 - 15_000),
      now: T0,
      want: { action: "update", acquiring: true, holder: "me", transitions: 4, acquire: T0 },
    },
    {
      // Their clock is 1 h ahead: renewTime is in our future, yet the record
      // has not changed for 16 s of *our* time, so it has expired.
      name: "skewed renewTime does not matter, local observation does",
      observed: seen(record({ renewTimeMs: T0 + 3_600_000 }), T0 - 16_000),
      now: T0,
      want: { action: "update", acquiring: true, holder: "me", transitions: 4, acquire: T0 },
    },
    {
      // Their clock is 1 h behind: renewTime looks ancient, but we saw it change just now.
      name: "an old-looking renewTime that just changed is still held",
      observed: seen(record({ renewTimeMs: T0 - 3_600_000 }), T0 - 1_000),
      now: T0,
      want: { action: "wait", holder: "other" },
    },
    {
      name: "uses the record's own leaseDurationSeconds",
      observed: seen(record({ leaseDurationSeconds: 60 }), T0 - 30_000),
      now: T0,
      want: { action: "wait", holder: "other" },
    },
    {
      name: "released (empty holder): take at once",
      observed: seen(record({ holderIdentity: "", leaseDurationSeconds: 1 }), T0),
      now: T0,
      want: { action: "update", acquiring: true, holder: "me", transitions: 4, acquire: T0 },
    },
    {
      name: "held by us: renew, keeping acquireTime and transitions",
      observed: seen(record({ holderIdentity: "me" }), T0 - 2_000),
      now: T0,
      want: {
        action: "update",
        acquiring: false,
        holder: "me",
        transitions: 3,
        acquire: T0 - 60_000,
      },
    },
  ])("$name", ({ observed, now, want }) => {
    const d = decideLease(observed, now, "me", opts);
    expect(d.action).toBe(want.action);
    if (d.action === "wait") {
      expect(d.holder).toBe(want.holder);
      expect(d.expiresAtMs).toBeGreaterThan(now);
      return;
    }
    expect(d.record.holderIdentity).toBe(want.holder);
    expect(d.record.leaseTransitions).toBe(want.transitions);
    expect(d.record.acquireTimeMs).toBe(want.acquire);
    expect(d.record.renewTimeMs).toBe(now);
    expect(d.record.leaseDurationSeconds).toBe(15);
    if (d.action === "update") expect(d.acquiring).toBe(want.acquiring);
  });
});

describe("observeLease", () => {
  it("keeps the observation time while the record is unchanged and resets it on change", () => {
    const r = record({});
    const first = observeLease(undefined, r, T0);
    expect(first.observedAtMs).toBe(T0);
    expect(observeLease(first, { ...r }, T0 + 5_000).observedAtMs).toBe(T0);
    const renewed = observeLease(first, { ...r, renewTimeMs: T0 + 4_000 }, T0 + 5_000);
    expect(renewed.observedAtMs).toBe(T0 + 5_000);
  });
});

describe("releasedRecord", () => {
  it("empties the holder, shortens the duration and keeps the transition count", () => {
    expect(releasedRecord(record({ holderIdentity: "me" }), T0)).toEqual({
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTimeMs: T0,
      renewTimeMs: T0,
      leaseTransitions: 3,
    });
  });
});

describe("validateTimings", () => {
  it.each([
    { name: "defaults", t: [15_000, 10_000, 2_000], ok: true },
    { name: "renewDeadline ≥ leaseDuration", t: [10_000, 10_000, 2_000], ok: false },
    { name: "renewDeadline ≤ 1.2 × retryPeriod", t: [15_000, 2_400, 2_000], ok: false },
  ])("$name", ({ t, ok }) => {
    const f = () =>
      validateTimings({ leaseDurationMs: t[0]!, renewDeadlineMs: t[1]!, retryPeriodMs: t[2]! });
    if (ok) expect(f).not.toThrow();
    else expect(f).toThrow();
  });
});
