import type { Clock } from "./clock.ts";

/**
 * How long a key must wait before it is handed out again. client-go's
 * workqueue.RateLimiter, minus the parts we do not use.
 */
export interface RateLimiter {
  /** Delay in ms for the next retry of `key`; counts as one retry. */
  when(key: string): number;
  /** Clears the key's failure history (after a success or a terminal error). */
  forget(key: string): void;
  /** Retries since the last forget. */
  numRequeues(key: string): number;
}

export interface ExponentialBackoffOptions {
  /** First delay. Default 5 ms (controller-runtime). */
  baseDelayMs?: number;
  /** Cap. Default 1000 s (controller-runtime). */
  maxDelayMs?: number;
  /**
   * Each delay is stretched by up to this fraction, at random, so keys that
   * failed together do not retry in lockstep. Default 0.1; 0 disables.
   */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

/** Per-key base·2^failures, capped, with jitter. */
export function exponentialFailureRateLimiter(
  options: ExponentialBackoffOptions = {},
): RateLimiter {
  const base = options.baseDelayMs ?? 5;
  const max = options.maxDelayMs ?? 1_000_000;
  const jitter = options.jitter ?? 0.1;
  const random = options.random ?? Math.random;
  const failures = new Map<string, number>();
  return {
    when(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      return jittered(Math.min(max, base * 2 ** n), jitter, random, max);
    },
    forget(key) {
      failures.delete(key);
    },
    numRequeues(key) {
      return failures.get(key) ?? 0;
    },
  };
}

export interface TokenBucketOptions {
  /** Sustained rate. Default 10 per second (controller-runtime). */
  qps?: number;
  /** Bucket size. Default 100 (controller-runtime). */
  burst?: number;
  clock: Clock;
}

/**
 * A global token bucket shared by all keys: a storm of failures retries at
 * most `qps` per second after the first `burst`. Reservations may drive the
 * bucket negative, as golang.org/x/time/rate's Reserve does, so every caller
 * gets a definite delay.
 */
export function tokenBucketRateLimiter(options: TokenBucketOptions): RateLimiter {
  const qps = options.qps ?? 10;
  const burst = options.burst ?? 100;
  const clock = options.clock;
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * qps);
      last = now;
      tokens -= 1;
      return tokens >= 0 ? 0 : Math.ceil((-tokens / qps) * 1000);
    },
    forget() {},
    numRequeues() {
      return 0;
    },
  };
}

/** The longest delay of several limiters; requeue counts come from the largest. */
export function maxOfRateLimiter(...limiters: RateLimiter[]): RateLimiter {
  return {
    when(key) {
      let delay = 0;
      for (const l of limiters) delay = Math.max(delay, l.when(key));
      return delay;
    },
    forget(key) {
      for (const l of limiters) l.forget(key);
    },
    numRequeues(key) {
      let n = 0;
      for (const l of limiters) n = Math.max(n, l.numRequeues(key));
      return n;
    },
  };
}

export interface ControllerRateLimiterOptions extends ExponentialBackoffOptions {
  qps?: number;
  burst?: number;
  clock: Clock;
}

/** controller-runtime's default: per-key exponential backoff max'd with a global bucket. */
export function defaultControllerRateLimiter(options: ControllerRateLimiterOptions): RateLimiter {
  return maxOfRateLimiter(
    exponentialFailureRateLimiter(options),
    tokenBucketRateLimiter({ qps: options.qps, burst: options.burst, clock: options.clock }),
  );
}

function jittered(delay: number, jitter: number, random: () => number, max: number): number {
  if (jitter <= 0) return delay;
  return Math.min(max, delay + delay * jitter * random());
}
