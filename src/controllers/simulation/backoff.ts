// Retry delays and the retry times shown in messages.

/** Waiting for an unreachable backend: 5 s doubling to 5 min, +0-50% jitter. */
export function unavailableDelayMs(streak: number, random: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, streak - 1), 300_000) * (1 + 0.5 * random);
}

/** After a failed execution: 10 s doubling to 6 min, as the Job controller does, +0-50% jitter. */
export function failureDelayMs(failures: number, random: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, failures - 1), 360_000) * (1 + 0.5 * random);
}

/**
 * A waiter re-checks its slot this often even if no wake reaches it (a safety
 * net: freed slots wake waiters, and a waiter's re-check touches no database
 * while its platform is still full).
 */
export function waitRecheckMs(random: number): number {
  return 300_000 * (1 + 0.5 * random);
}

/** An absolute time in messages: a relative one would change the status at every reconcile. */
export const retryTime = (ms: number) => new Date(Math.ceil(ms / 1000) * 1000).toISOString();
