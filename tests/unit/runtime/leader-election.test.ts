import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/runtime/fake-clock.ts";
import {
  createLeaderElector,
  type LeaderElectorOptions,
  type LeadershipEnd,
} from "../../../src/runtime/leader-election.ts";
import type { LeaderElectionRecord } from "../../../src/runtime/lease-decision.ts";
import type { LeaseLock } from "../../../src/runtime/lease-lock.ts";

/** An in-memory Lease with resourceVersion checks, shared by several candidates. */
class FakeLeaseStore {
  record: LeaderElectionRecord | undefined;
  rv = 0;
  writes = 0;

  lockFor(): LeaseLock & { down: boolean } {
    let lastRv = -1;
    const conflict = () => new ApiException(409, "Conflict", { reason: "Conflict" }, {});
    const lock = {
      down: false,
      get: async () => {
        if (lock.down)
          throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        lastRv = this.rv;
        return this.record ? { ...this.record } : undefined;
      },
      create: async (r: LeaderElectionRecord) => {
        if (lock.down) throw new Error("down");
        if (this.record)
          throw new ApiException(409, "AlreadyExists", { reason: "AlreadyExists" }, {});
        this.record = { ...r };
        lastRv = ++this.rv;
        this.writes++;
      },
      update: async (r: LeaderElectionRecord) => {
        if (lock.down) throw new Error("down");
        if (lastRv !== this.rv) throw conflict();
        this.record = { ...r };
        lastRv = ++this.rv;
        this.writes++;
      },
      describe: () => "ns/lease",
    };
    return lock;
  }
}

function candidate(
  store: FakeLeaseStore,
  clock: FakeClock,
  identity: string,
  extra: Partial<LeaderElectorOptions> = {},
) {
  const lock = store.lockFor();
  const log: string[] = [];
  const stop = new AbortController();
  let leaderSignal: AbortSignal | undefined;
  const elector = createLeaderElector({
    lock,
    identity,
    clock,
    random: () => 0,
    onStartedLeading: (signal) => {
      leaderSignal = signal;
      log.push("started");
    },
    onStoppedLeading: (reason) => log.push(`stopped:${reason}`),
    ...extra,
  });
  let ended: LeadershipEnd | undefined;
  const running = elector.run(stop.signal).then((end) => {
    ended = end;
  });
  return {
    lock,
    log,
    elector,
    stop,
    running,
    leaderSignal: () => leaderSignal,
    ended: () => ended,
  };
}

describe("leader elector", () => {
  it("only one of two candidates leads", async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    const b = candidate(store, clock, "b");
    await clock.advance(30_000);
    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
    expect(store.record?.holderIdentity).toBe(a.elector.isLeader() ? "a" : "b");
    expect(b.elector.getLeader()).toBe(store.record?.holderIdentity);
    a.stop.abort();
    b.stop.abort();
    await clock.advance(10_000);
  });

  it("renews every retryPeriod while leading", async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    await clock.advance(1);
    expect(a.elector.isLeader()).toBe(true);
    const writes = store.writes;
    await clock.advance(20_000);
    expect(store.writes - writes).toBe(10);
    expect(store.record?.renewTimeMs).toBeGreaterThan(clock.now() - 2_001);
    a.stop.abort();
    await clock.advance(1);
  });

  it("a leader that cannot renew within renewDeadline stops leading; the other takes over after leaseDuration", async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    await clock.advance(1);
    expect(a.elector.isLeader()).toBe(true);
    const b = candidate(store, clock, "b");
    await clock.advance(1);
    expect(b.elector.isLeader()).toBe(false);

    a.lock.down = true; // a's API server connection fails
    const cutAt = clock.now();
    while (a.elector.isLeader()) await clock.advance(100);
    expect(clock.now() - cutAt).toBeLessThanOrEqual(10_000);
    expect(a.log).toEqual(["started", "stopped:lost"]);
    expect(a.leaderSignal()?.aborted).toBe(true);
    expect(a.ended()).toBe("lost");

    while (!b.elector.isLeader()) await clock.advance(100);
    const handover = clock.now() - cutAt;
    // b saw the last renewal at most retryPeriod before the cut: takes over
    // within leaseDuration + one (jittered, here unjittered) retry period.
    expect(handover).toBeGreaterThanOrEqual(13_000);
    expect(handover).toBeLessThanOrEqual(15_000 + 2_000 + 100);
    expect(store.record?.leaseTransitions).toBe(1);
    b.stop.abort();
    await clock.advance(1);
  });

  it("releases the lease on graceful stop after the leader's work has wound down", async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const order: string[] = [];
    let finishWork!: () => void;
    const a = candidate(store, clock, "a", {
      onStartedLeading: (signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => {
            order.push("work aborted");
            finishWork = () => {
              order.push("work done");
              resolve();
            };
          });
        }),
    });
    await clock.advance(1);
    const b = candidate(store, clock, "b");
    await clock.advance(1);
    a.stop.abort();
    await clock.advance(20_000); // work still winding down: a keeps renewing
    expect(store.record?.holderIdentity).toBe("a");
    expect(b.elector.isLeader()).toBe(false);
    finishWork();
    await clock.advance(1);
    await a.running;
    expect(a.ended()).toBe("stopped");
    expect(order).toEqual(["work aborted", "work done"]);
    expect(store.record?.holderIdentity).toBe("");
    expect(store.record?.leaseDurationSeconds).toBe(1);
    // b takes over at its next attempt, without waiting for expiry.
    await clock.advance(2 * 2_000 + 1);
    expect(b.elector.isLeader()).toBe(true);
    b.stop.abort();
    await clock.advance(1);
  });

  it("a leader that finds another holder stops at once", async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    await clock.advance(1);
    store.record = { ...store.record!, holderIdentity: "intruder", renewTimeMs: clock.now() };
    store.rv++;
    await clock.advance(2_000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.ended()).toBe("lost");
  });

  it("returns 'stopped' without leading when stopped while campaigning", async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    store.record = {
      holderIdentity: "other",
      leaseDurationSeconds: 15,
      acquireTimeMs: 0,
      renewTimeMs: 0,
      leaseTransitions: 0,
    };
    const a = candidate(store, clock, "a");
    await clock.advance(5_000);
    a.stop.abort();
    await clock.advance(1);
    expect(a.ended()).toBe("stopped");
    expect(a.log).toEqual([]);
    expect(store.record.holderIdentity).toBe("other");
  });
});
