// An abort signal for one request: it aborts when the caller's signal does
// or when the time is up, and dispose() takes both away once the request is
// over. AbortSignal.any with AbortSignal.timeout does the same, but leaves
// the timer pending for the whole timeout (15 minutes for a simulation) and
// ties the signals together with weak references the collector must
// process: three times the CPU per request or more
// (bench/request-deadline.ts, docs/performance.md).

export interface Deadline {
  readonly signal: AbortSignal;
  /** True once the time ran out (not when the caller aborted). */
  timedOut(): boolean;
  /** Clears the timer and stops following the caller's signal. */
  dispose(): void;
}

export function deadline(parent: AbortSignal, timeoutMs: number): Deadline {
  const controller = new AbortController();
  let expired = false;
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener("abort", onParentAbort, { once: true });
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException("The operation timed out.", "TimeoutError"));
  }, timeoutMs);
  timer.unref();
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener("abort", onParentAbort);
    },
  };
}
