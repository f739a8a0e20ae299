import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { deadline } from "../../../src/runtime/deadline.ts";

describe("deadline", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("aborts with a TimeoutError when the time is up", () => {
    const limit = deadline(new AbortController().signal, 1_000);
    vi.advanceTimersByTime(999);
    expect(limit.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(limit.signal.aborted).toBe(true);
    expect((limit.signal.reason as Error).name).toBe("TimeoutError");
    expect(limit.timedOut()).toBe(true);
  });

  it("aborts with the caller's reason when the caller aborts, which is not a timeout", () => {
    const caller = new AbortController();
    const limit = deadline(caller.signal, 1_000);
    caller.abort(new Error("deleted"));
    expect(limit.signal.reason).toEqual(new Error("deleted"));
    expect(limit.timedOut()).toBe(false);
  });

  it("starts aborted when the caller already has", () => {
    const caller = new AbortController();
    caller.abort(new Error("gone"));
    expect(deadline(caller.signal, 1_000).signal.aborted).toBe(true);
  });

  it("after dispose, neither the timer nor the caller aborts it, and no timer is left", () => {
    const caller = new AbortController();
    const limit = deadline(caller.signal, 1_000);
    expect(vi.getTimerCount()).toBe(1);
    limit.dispose();
    expect(vi.getTimerCount()).toBe(0);
    caller.abort();
    vi.advanceTimersByTime(5_000);
    expect(limit.signal.aborted).toBe(false);
    expect(limit.timedOut()).toBe(false);
  });
});
