export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Each delay grows by up to this fraction at random. */
  jitter: number;
  random?: () => number;
}

/**
 * Delay before attempt number `failures` (1 = after the first failure):
 * initial·2^(failures-1), jittered, capped at max. Used for restarts that are
 * not per-key (informer watches, leader-election retries).
 */
export function backoffDelay(failures: number, options: BackoffOptions): number {
  if (failures <= 0) return 0;
  const random = options.random ?? Math.random;
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(failures - 1, 30));
  return Math.min(options.maxMs, exp * (1 + options.jitter * random()));
}
