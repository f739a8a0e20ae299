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
  let endedAt: number | undefined;
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
    endedAt = Date.now();
  });
  return {
    identity,
    elector,
    stop,
    running,
    cut: state,
    end: () => end,
    startedAt: () => startedAt,
    endedAt: () => endedAt,
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
// Exact timing is the unit tests' (fake clock). Here, on a loaded 2-core
// machine, timers fire late: assert order and eventual state, and bound
// durations by the configured ones with a margin of a whole lease duration.

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

  it("a leader that stops renewing stops leading before the other takes over, once the lease has expired", async () => {
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
    expect(a.end()).toBe("lost");
    // a gives up once renewDeadline has passed since its last renewal, which
    // was at most a retry period (plus timer lag) before the cut.
    expect(a.endedAt()! - cutAt).toBeGreaterThanOrEqual(
      FAST.renewDeadlineMs - 2 * FAST.retryPeriodMs,
    );

    const takeover = FAST.leaseDurationMs + 2.2 * FAST.retryPeriodMs;
    await eventually(() => expect(b.elector.isLeader()).toBe(true), {
      timeoutMs: takeover + FAST.leaseDurationMs,
    });
    const handover = b.startedAt()! - cutAt;
    expect(splitBrain()).toBe(false);
    // a stopped leading before b began: a's renew deadline ends before b can see the lease expire.
    expect(a.endedAt()!).toBeLessThanOrEqual(b.startedAt()!);
    // b may not take the lease before it has seen it unchanged for a lease duration...
    expect(handover).toBeGreaterThanOrEqual(FAST.leaseDurationMs - 2 * FAST.retryPeriodMs);
    // ...and takes it at one of its next (jittered) attempts.
    expect(handover).toBeLessThanOrEqual(takeover + FAST.leaseDurationMs);
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
    // Released: empty, or already b's if b took it meanwhile.
    expect((await readLease("release")).spec.holderIdentity).not.toBe("a");

    // Without the release b would wait out the 15 s lease duration: it must
    // lead well before (its next jittered retry, plus a margin for load).
    const bound = slow.leaseDurationMs / 2;
    await eventually(() => expect(b.elector.isLeader()).toBe(true), { timeoutMs: bound });
    expect(b.startedAt()! - stopAt).toBeLessThan(bound);
    b.stop.abort();
    await b.running;
    expect((await readLease("release")).spec.holderIdentity ?? "").toBe("");
  });
});
