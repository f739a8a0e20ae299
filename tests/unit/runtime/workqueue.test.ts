import { describe, expect, it } from "vitest";
import { FakeClock, flushMicrotasks } from "../../../src/runtime/fake-clock.ts";
import { exponentialFailureRateLimiter } from "../../../src/runtime/rate-limiter.ts";
import { createWorkQueue, type WorkQueueOptions } from "../../../src/runtime/workqueue.ts";

function setup(options: WorkQueueOptions = {}) {
  const clock = new FakeClock();
  const queue = createWorkQueue({ clock, jitter: 0, ...options });
  return { clock, queue };
}

/** Starts a get() and reports whether it has resolved yet. */
function pending(p: Promise<string | undefined>) {
  const state: { done: boolean; value: string | undefined } = { done: false, value: undefined };
  void p.then((v) => {
    state.done = true;
    state.value = v;
  });
  return state;
}

describe("workqueue", () => {
  it("deduplicates a key added several times before it is taken", async () => {
    const { queue } = setup();
    queue.add("a");
    queue.add("b");
    queue.add("a");
    expect(queue.len()).toBe(2);
    expect(await queue.get()).toBe("a");
    expect(await queue.get()).toBe("b");
    expect(queue.len()).toBe(0);
  });

  it("never hands a key being processed to a second worker", async () => {
    const { queue } = setup();
    queue.add("a");
    const key = await queue.get();
    expect(key).toBe("a");

    queue.add("a"); // re-added while processing
    queue.add("a");
    expect(queue.len()).toBe(0);
    const second = pending(queue.get());
    await flushMicrotasks();
    expect(second.done).toBe(false);

    queue.done("a");
    await flushMicrotasks();
    expect(second).toEqual({ done: true, value: "a" });

    // Delivered once only.
    const third = pending(queue.get());
    queue.done("a");
    await flushMicrotasks();
    expect(third.done).toBe(false);
    queue.shutDown();
    await flushMicrotasks();
    expect(third).toEqual({ done: true, value: undefined });
  });

  it("a key done without re-add is not queued again", async () => {
    const { queue } = setup();
    queue.add("a");
    await queue.get();
    queue.done("a");
    expect(queue.len()).toBe(0);
  });

  it("hands keys to waiting getters in FIFO order", async () => {
    const { queue } = setup();
    const g1 = pending(queue.get());
    const g2 = pending(queue.get());
    queue.add("x");
    queue.add("y");
    await flushMicrotasks();
    expect(g1.value).toBe("x");
    expect(g2.value).toBe("y");
  });

  it("addAfter delivers when due, keeping the earliest time for a waiting key", async () => {
    const { clock, queue } = setup();
    queue.addAfter("a", 1000);
    queue.addAfter("a", 5000); // later: ignored
    queue.addAfter("b", 3000);
    queue.addAfter("b", 2000); // earlier: wins
    await clock.advance(999);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
    await clock.advance(1000);
    expect(queue.len()).toBe(2);
    await clock.advance(10_000);
    expect(queue.len()).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("addAfter with no delay adds at once", () => {
    const { queue } = setup();
    queue.addAfter("a", 0);
    expect(queue.len()).toBe(1);
  });

  it("rate-limited adds back off per key exponentially, capped, and forget resets", async () => {
    const { clock, queue } = setup({
      rateLimiter: exponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 40, jitter: 0 }),
    });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = clock.now();
      queue.addRateLimited("a");
      while (queue.len() === 0) await clock.advance(1);
      delays.push(clock.now() - before);
      await queue.get();
      queue.done("a");
    }
    expect(delays).toEqual([5, 10, 20, 40, 40, 40]);
    expect(queue.numRequeues("a")).toBe(6);
    queue.forget("a");
    expect(queue.numRequeues("a")).toBe(0);
    const before = clock.now();
    queue.addRateLimited("a");
    while (queue.len() === 0) await clock.advance(1);
    expect(clock.now() - before).toBe(5);
  });

  it("default limiter: 5 ms doubling per key, max 1000 s, and a global 10 qps / 100 burst bucket", async () => {
    const { clock, queue } = setup();
    // Per key: 5, 10, 20 ms ...
    queue.addRateLimited("k");
    await clock.advance(4);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
    // ... up to the cap of 1000 s.
    const perKey = exponentialFailureRateLimiter({ jitter: 0 });
    const delays = Array.from({ length: 40 }, () => perKey.when("cap"));
    expect(delays.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(delays[39]).toBe(1_000_000);
    expect(Math.max(...delays)).toBe(1_000_000);

    // Global bucket: ~100 immediate (minus the 41 used above), then 10 per second.
    const { clock: c2, queue: q2 } = setup();
    for (let i = 0; i < 120; i++) q2.addRateLimited(`key-${i}`);
    await c2.advance(5); // first failure of every key waits 5 ms
    expect(q2.len()).toBe(100);
    await c2.advance(1000);
    expect(q2.len()).toBe(110);
    await c2.advance(1000);
    expect(q2.len()).toBe(120);
  });

  it("jitter stretches delays by up to the configured fraction", () => {
    const limiter = exponentialFailureRateLimiter({
      baseDelayMs: 100,
      jitter: 0.5,
      random: () => 0.999,
    });
    const d = limiter.when("a");
    expect(d).toBeGreaterThan(100);
    expect(d).toBeLessThan(150);
  });

  it("shutDown wakes waiting getters with undefined and ignores later adds", async () => {
    const { clock, queue } = setup();
    const g = pending(queue.get());
    queue.addAfter("later", 100);
    queue.shutDown();
    await flushMicrotasks();
    expect(g).toEqual({ done: true, value: undefined });
    queue.add("x");
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);
  });

  it("shutDownWithDrain resolves once in-flight keys are done", async () => {
    const { queue } = setup();
    queue.add("a");
    queue.add("b");
    await queue.get();
    await queue.get();
    let drained = false;
    void queue.shutDownWithDrain().then(() => {
      drained = true;
    });
    queue.done("a");
    await flushMicrotasks();
    expect(drained).toBe(false);
    queue.done("b");
    await flushMicrotasks();
    expect(drained).toBe(true);
  });

  it("tracks unfinished work and the longest-running processor", async () => {
    const { clock, queue } = setup();
    queue.add("a");
    await queue.get();
    await clock.advance(2000);
    queue.add("b");
    await queue.get();
    await clock.advance(1000);
    expect(queue.unfinishedWorkSeconds()).toBe(4);
    expect(queue.longestRunningProcessorSeconds()).toBe(3);
    queue.done("a");
    queue.done("b");
    expect(queue.unfinishedWorkSeconds()).toBe(0);
  });

  it("reports metrics: adds, depth, retries, latencies", async () => {
    const events: string[] = [];
    const { clock, queue } = setup({
      metrics: {
        depth: (n) => events.push(`depth=${n}`),
        added: () => events.push("added"),
        retried: () => events.push("retried"),
        queueLatency: (s) => events.push(`queued=${s}`),
        workDuration: (s) => events.push(`work=${s}`),
      },
    });
    queue.add("a");
    queue.add("a");
    await clock.advance(500);
    await queue.get();
    await clock.advance(250);
    queue.done("a");
    queue.addRateLimited("a");
    expect(events).toEqual(["added", "depth=1", "queued=0.5", "depth=0", "work=0.25", "retried"]);
  });
});
