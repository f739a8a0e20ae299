import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createLeaderElector,
  type LeaderElector,
  type LeadershipEnd,
} from "../../../src/runtime/leader-election.ts";
import { kubeLeaseLock, type LeaseLock } from "../../../src/runtime/lease-lock.ts";
import {
  createKubeRequester,
  createTestNamespace,
  deleteNamespace,
  eventually,
  loadKubeConfig,
} from "./kube-env.ts";

const kc = loadKubeConfig();
const request = createKubeRequester(kc);
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

let namespace: string;

beforeAll(async () => {
  namespace = await createTestNamespace(request, "rt-lease");
});

afterAll(async () => {
  await deleteNamespace(request, namespace);
});

interface LeaseJson {
  metadata: { resourceVersion: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    leaseTransitions?: number;
    renewTime?: string;
  };
}

const readLease = (name: string) =>
  request<LeaseJson>({
    method: "GET",
    path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`,
  });

/** A real Lease lock that the test can cut off, as if the process had frozen or died. */
function cuttable(lock: LeaseLock) {
  const state = { cut: false };
  const guard = () => {
    if (state.cut)
      throw Object.assign(new Error("connect ECONNREFUSED (cut by test)"), {
        code: "ECONNREFUSED",
      });
  };
  const wrapped: LeaseLock = {
    get: async (s) => {
      guard();
      return lock.get(s);
    },
    create: async (r, s) => {
      guard();
      return lock.create(r, s);
    },
    update: async (r, s) => {
      guard();
      return lock.update(r, s);
    },
    describe: () => lock.describe(),
  };
  return { lock: wrapped, state };
}

interface Timings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

function candidate(leaseName: string, identity: string, timings: Timings) {
  const { lock, state } = cuttable(kubeLeaseLock(kc, namespace, leaseName));
  const stop = new AbortController();
  let end: LeadershipEnd | undefined;
  let startedAt: number | undefined;
  const elector = createLeaderElector({
    lock,
    identity,
    ...timings,
    logger: logger.child({ candidate: identity }),
    onStartedLeading: (signal) => {
      startedAt = Date.now();
      // Leader work: runs until leadership ends.
      return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    },
  });
  const running = elector.run(stop.signal).then((e) => {
    end = e;
  });
  return {
    identity,
    elector,
    stop,
    running,
    cut: state,
    end: () => end,
    startedAt: () => startedAt,
  };
}

/** Samples both electors until `done`, failing if both ever claim leadership together. */
function watchForSplitBrain(a: LeaderElector, b: LeaderElector) {
  let both = false;
  const timer = setInterval(() => {
    if (a.isLeader() && b.isLeader()) both = true;
  }, 10);
  return () => {
    clearInterval(timer);
    return both;
  };
}

const FAST: Timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };

describe("leader election on a real Lease", () => {
  it("exactly one of two candidates leads, and the Lease says who", async () => {
    const a = candidate("one-leader", "a", FAST);
    const b = candidate("one-leader", "b", FAST);
    const splitBrain = watchForSplitBrain(a.elector, b.elector);
    await eventually(() => expect(a.elector.isLeader() || b.elector.isLeader()).toBe(true));
    await new Promise((r) => setTimeout(r, 3_000)); // several renewals
    expect(splitBrain()).toBe(false);
    const leader = a.elector.isLeader() ? a : b;
    const follower = leader === a ? b : a;
    expect(follower.elector.isLeader()).toBe(false);
    expect(follower.elector.getLeader()).toBe(leader.identity);
    const lease = await readLease("one-leader");
    expect(lease.spec.holderIdentity).toBe(leader.identity);
    expect(lease.spec.leaseDurationSeconds).toBe(3);
    expect(lease.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    a.stop.abort();
    b.stop.abort();
    await Promise.all([a.running, b.running]);
  });

  it("a leader that stops renewing loses within renewDeadline; the other takes over within leaseDuration + retry", async () => {
    const a = candidate("handover", "a", FAST);
    await eventually(() => expect(a.elector.isLeader()).toBe(true));
    const b = candidate("handover", "b", FAST);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(b.elector.isLeader()).toBe(false);
    const splitBrain = watchForSplitBrain(a.elector, b.elector);
    const transitionsBefore = (await readLease("handover")).spec.leaseTransitions ?? 0;

    const cutAt = Date.now();
    a.cut.cut = true; // a can no longer reach the API server: no renewals, no release
    await a.running;
    const lostAfter = Date.now() - cutAt;
    expect(a.end()).toBe("lost");
    expect(lostAfter).toBeLessThanOrEqual(FAST.renewDeadlineMs + 200);

    await eventually(() => expect(b.elector.isLeader()).toBe(true), { timeoutMs: 10_000 });
    const handover = b.startedAt()! - cutAt;
    expect(splitBrain()).toBe(false);
    // b may not take the lease before it has seen it unchanged for a lease duration...
    expect(handover).toBeGreaterThanOrEqual(FAST.leaseDurationMs - FAST.retryPeriodMs);
    // ...and takes it within one more (jittered) retry period after that.
    expect(handover).toBeLessThanOrEqual(FAST.leaseDurationMs + 2.2 * FAST.retryPeriodMs + 500);
    const lease = await readLease("handover");
    expect(lease.spec.holderIdentity).toBe("b");
    expect(lease.spec.leaseTransitions).toBe(transitionsBefore + 1);
    b.stop.abort();
    await b.running;
  });

  it("a leader that shuts down releases the Lease, and the other takes over at once", async () => {
    const slow: Timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const a = candidate("release", "a", slow);
    await eventually(() => expect(a.elector.isLeader()).toBe(true));
    const b = candidate("release", "b", slow);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(b.elector.isLeader()).toBe(false);

    const stopAt = Date.now();
    a.stop.abort();
    await a.running;
    expect(a.end()).toBe("stopped");
    const released = await readLease("release");
    expect(released.spec.holderIdentity ?? "").toBe(b.elector.isLeader() ? "b" : "");

    await eventually(() => expect(b.elector.isLeader()).toBe(true), { timeoutMs: 5_000 });
    const handover = b.startedAt()! - stopAt;
    // Far sooner than the 15 s lease duration: one jittered retry period.
    expect(handover).toBeLessThanOrEqual(2.2 * slow.retryPeriodMs + 1_000);
    b.stop.abort();
    await b.running;
    expect((await readLease("release")).spec.holderIdentity ?? "").toBe("");
  });
});
