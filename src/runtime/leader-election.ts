import type { Logger } from "pino";
import { type Clock, realClock, sleep } from "./clock.ts";
import type { ControllerMetrics } from "./controller-metrics.ts";
import { errorReason, httpStatusOf } from "./errors.ts";
import {
  decideLease,
  type LeaseObservation,
  observeLease,
  RETRY_JITTER,
  releasedRecord,
  validateTimings,
} from "./lease-decision.ts";
import type { LeaseLock } from "./lease-lock.ts";

export interface LeaderElectorOptions {
  lock: LeaseLock;
  /** Unique per process, e.g. `${hostname}_${randomUUID()}`. */
  identity: string;
  /** Metric label; default the lock's namespace/name. */
  name?: string;
  /** How long a non-leader waits after the last observed change before taking over. Default 15 s. */
  leaseDurationMs?: number;
  /** A leader that has not renewed for this long stops leading. Default 10 s. */
  renewDeadlineMs?: number;
  /** Between attempts (acquire attempts are jittered up to ×2.2). Default 2 s. */
  retryPeriodMs?: number;
  /** On graceful stop, clear the Lease so the next candidate takes over at once. Default true. */
  releaseOnCancel?: boolean;
  /**
   * Runs the leader's work. `signal` aborts when leadership ends; the returned
   * promise should resolve once that work has stopped: on a graceful stop the
   * lease is released only after it resolves, so no two leaders overlap.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership ended: "lost" (renewal failed or usurped) or "stopped" (run's signal). */
  onStoppedLeading?(reason: LeadershipEnd): void;
  /** Called when the observed holder changes (including to ourselves). */
  onNewLeader?(identity: string): void;
  metrics?: Pick<ControllerMetrics, "leaderElectionMasterStatus">;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

export type LeadershipEnd = "lost" | "stopped";

export interface LeaderElector {
  /**
   * Campaigns until leading, leads until the lease is lost or `signal` aborts,
   * and resolves with how leadership ended ("stopped" also when it never began).
   * After "lost" the process should exit (as controller-runtime does) or at
   * least stop reconciling; onStartedLeading's signal is already aborted.
   */
  run(signal: AbortSignal): Promise<LeadershipEnd>;
  isLeader(): boolean;
  /** The holder last observed, if any. */
  getLeader(): string | undefined;
  /** For /healthz: false if we lead but have not renewed for far longer than we should. */
  healthy(): boolean;
}

export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const lock = options.lock;
  const identity = options.identity;
  const name = options.name ?? lock.describe();
  const timings = {
    leaseDurationMs: options.leaseDurationMs ?? 15_000,
    renewDeadlineMs: options.renewDeadlineMs ?? 10_000,
    retryPeriodMs: options.retryPeriodMs ?? 2_000,
  };
  validateTimings(timings);
  const leaseDurationSeconds = Math.ceil(timings.leaseDurationMs / 1000);
  const releaseOnCancel = options.releaseOnCancel ?? true;
  const log = options.logger?.child({ lease: lock.describe(), identity });
  const gauge = options.metrics?.leaderElectionMasterStatus;
  gauge?.set({ name }, 0);

  let observation: LeaseObservation | undefined;
  let leading = false;
  let lastRenewMs = 0;
  let reportedLeader: string | undefined;

  const reportLeader = (holder: string) => {
    if (holder === "" || holder === reportedLeader) return;
    reportedLeader = holder;
    log?.info({ leader: holder }, "new leader observed");
    try {
      options.onNewLeader?.(holder);
    } catch (err) {
      log?.error({ err }, "onNewLeader threw");
    }
  };

  /** One attempt; true when we hold the lease afterwards. `usurped` when another holds it. */
  const tryAcquireOrRenew = async (signal: AbortSignal): Promise<"held" | "usurped" | "failed"> => {
    try {
      const record = await lock.get(signal);
      const now = clock.now();
      observation = record === undefined ? undefined : observeLease(observation, record, now);
      const decision = decideLease(observation, now, identity, { leaseDurationSeconds });
      if (decision.action === "wait") {
        reportLeader(decision.holder);
        return "usurped";
      }
      if (decision.action === "create") await lock.create(decision.record, signal);
      else await lock.update(decision.record, signal);
      observation = { record: decision.record, observedAtMs: now };
      reportLeader(identity);
      return "held";
    } catch (err) {
      if (httpStatusOf(err) === 409) {
        log?.debug("lease changed under us; will retry");
      } else if (!signal.aborted) {
        log?.warn({ err, reason: errorReason(err) }, "lease acquire/renew failed");
      }
      return "failed";
    }
  };

  const acquire = async (signal: AbortSignal): Promise<boolean> => {
    log?.info("campaigning for leadership");
    while (!signal.aborted) {
      const attempt = AbortSignal.any([signal, AbortSignal.timeout(timings.renewDeadlineMs)]);
      const started = clock.now();
      if ((await tryAcquireOrRenew(attempt)) === "held") {
        lastRenewMs = started;
        return true;
      }
      await sleep(clock, timings.retryPeriodMs * (1 + RETRY_JITTER * random()), signal);
    }
    return false;
  };

  /** Renews every retryPeriod; returns when leadership is lost or `signal` aborts. */
  const renew = async (signal: AbortSignal): Promise<LeadershipEnd> => {
    while (!signal.aborted) {
      await sleep(clock, timings.retryPeriodMs, signal);
      if (signal.aborted) break;
      const started = clock.now();
      const remaining = lastRenewMs + timings.renewDeadlineMs - started;
      if (remaining <= 0) {
        log?.error({ renewDeadlineMs: timings.renewDeadlineMs }, "failed to renew lease in time");
        return "lost";
      }
      // A hanging request must not carry us past the deadline.
      const deadline = new AbortController();
      const timer = clock.setTimeout(() => deadline.abort(), remaining);
      // Not `signal`: a renewal cut off mid-flight could leave us holding a stale
      // resourceVersion, and then the release would fail.
      const result = await tryAcquireOrRenew(deadline.signal);
      clock.clearTimeout(timer);
      if (result === "held") {
        lastRenewMs = started;
      } else if (result === "usurped") {
        log?.error({ leader: reportedLeader }, "lease taken by another candidate");
        return "lost";
      } else if (clock.now() - lastRenewMs >= timings.renewDeadlineMs && !signal.aborted) {
        log?.error({ renewDeadlineMs: timings.renewDeadlineMs }, "failed to renew lease in time");
        return "lost";
      }
    }
    return "stopped";
  };

  const release = async () => {
    if (!observation || observation.record.holderIdentity !== identity) return;
    try {
      const record = releasedRecord(observation.record, clock.now());
      await lock.update(record, AbortSignal.timeout(timings.renewDeadlineMs));
      observation = { record, observedAtMs: clock.now() };
      log?.info("lease released");
    } catch (err) {
      log?.warn({ err }, "failed to release lease; the next leader waits for it to expire");
    }
  };

  return {
    async run(signal) {
      if (!(await acquire(signal))) return "stopped";
      leading = true;
      gauge?.set({ name }, 1);
      log?.info("became leader");
      const leadership = new AbortController();
      let work: Promise<void>;
      try {
        work = Promise.resolve(options.onStartedLeading(leadership.signal)).catch(
          (err: unknown) => {
            log?.error({ err }, "leader work failed");
          },
        );
      } catch (err) {
        log?.error({ err }, "onStartedLeading threw");
        work = Promise.resolve();
      }
      // On a graceful stop keep renewing until the leader's work has wound
      // down, so the lease cannot pass to another replica while our last
      // reconciles still run; then release it.
      const renewing = new AbortController();
      const onStop = () => {
        leadership.abort(new Error("leader election stopped"));
        void work.finally(() => renewing.abort());
      };
      if (signal.aborted) onStop();
      else signal.addEventListener("abort", onStop, { once: true });
      const end = await renew(renewing.signal);
      signal.removeEventListener("abort", onStop);
      leading = false;
      gauge?.set({ name }, 0);
      if (!leadership.signal.aborted) leadership.abort(new Error(`leadership ${end}`));
      if (end === "stopped" && releaseOnCancel) await release();
      log?.info({ reason: end }, "stopped leading");
      try {
        options.onStoppedLeading?.(end);
      } catch (err) {
        log?.error({ err }, "onStoppedLeading threw");
      }
      return end;
    },
    isLeader: () => leading,
    getLeader: () => observation?.record.holderIdentity || undefined,
    healthy: () => !leading || clock.now() - lastRenewMs <= timings.leaseDurationMs + 20_000,
  };
}
