import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createController, type ReconcileFn } from "../../../src/runtime/controller.ts";
import { createControllerMetrics } from "../../../src/runtime/controller-metrics.ts";
import { TerminalError, TransientError } from "../../../src/runtime/errors.ts";
import { FakeClock, flushMicrotasks } from "../../../src/runtime/fake-clock.ts";
import type { Informer, InformerHandlers } from "../../../src/runtime/informer.ts";
import { seriesValue } from "../../fixtures/metric-value.ts";

const silent = pino({ level: "silent" });

function setup(reconcile: ReconcileFn, workers = 1) {
  const clock = new FakeClock();
  const registry = new Registry();
  const metrics = createControllerMetrics(registry);
  let ids = 0;
  const controller = createController({
    name: "sims",
    workers,
    reconcile,
    logger: silent,
    metrics,
    clock,
    queueOptions: { jitter: 0 },
    newReconcileID: () => `r${++ids}`,
  });
  const total = (result: string) =>
    seriesValue(metrics.reconcileTotal, { controller: "sims", result });
  return { clock, controller, metrics, registry, total };
}

/** A deferred promise the test resolves. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

describe("controller", () => {
  it("reconciles enqueued keys and counts successes", async () => {
    const seen: string[] = [];
    const { controller, total } = setup(async (key) => {
      seen.push(key);
    });
    await controller.start();
    controller.enqueue("ns/a");
    controller.enqueue("ns/b");
    await flushMicrotasks();
    expect(seen).toEqual(["ns/a", "ns/b"]);
    expect(await total("success")).toBe(2);
    await controller.stop();
  });

  it("gives each reconcile a child logger bound to controller, key and reconcile id", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const controller = createController({
      name: "sims",
      logger,
      clock: new FakeClock(),
      newReconcileID: () => "rid-1",
      reconcile: (_key, { log }) => {
        log.info("hello");
      },
    });
    await controller.start();
    controller.enqueue("ns/a");
    await flushMicrotasks();
    const hello = lines.find((l) => l.msg === "hello");
    expect(hello).toMatchObject({
      controller: "sims",
      key: "ns/a",
      namespace: "ns",
      name: "a",
      reconcileID: "rid-1",
    });
    await controller.stop();
  });

  it("retries transient errors with growing per-key backoff, then forgets on success", async () => {
    let calls = 0;
    const { clock, controller, metrics, total } = setup(async () => {
      calls++;
      if (calls <= 3) throw new TransientError("RayUnavailable", "down");
    });
    await controller.start();
    controller.enqueue("ns/a");
    await flushMicrotasks();
    expect(calls).toBe(1);
    await clock.advance(5);
    expect(calls).toBe(2);
    await clock.advance(9);
    expect(calls).toBe(2);
    await clock.advance(1);
    expect(calls).toBe(3);
    await clock.advance(20);
    expect(calls).toBe(4);
    expect(controller.queue.numRequeues("ns/a")).toBe(0);
    expect(await total("error")).toBe(3);
    expect(await total("success")).toBe(1);
    expect(await seriesValue(metrics.reconcileErrors, { controller: "sims" })).toBe(3);
    expect(await seriesValue(metrics.terminalReconcileErrors, { controller: "sims" })).toBe(0);
    await controller.stop();
  });

  it("does not retry terminal errors", async () => {
    let calls = 0;
    const { clock, controller, metrics, total } = setup(async () => {
      calls++;
      throw new TerminalError("InvalidSpec", "paths above bound");
    });
    await controller.start();
    controller.enqueue("ns/a");
    await clock.advance(60_000);
    expect(calls).toBe(1);
    expect(await total("error")).toBe(1);
    expect(await seriesValue(metrics.terminalReconcileErrors, { controller: "sims" })).toBe(1);
    expect(await seriesValue(metrics.reconcileErrors, { controller: "sims" })).toBe(1);
    expect(controller.queue.numRequeues("ns/a")).toBe(0);
    await controller.stop();
  });

  it("treats unknown errors as transient, and passes retries to the reconcile", async () => {
    const retries: number[] = [];
    const { clock, controller } = setup(async (_key, ctx) => {
      retries.push(ctx.retries);
      if (retries.length < 3) throw new Error("boom");
    });
    await controller.start();
    controller.enqueue("a");
    await clock.advance(100);
    expect(retries).toEqual([0, 1, 2]);
    await controller.stop();
  });

  it("requeueAfter schedules the next reconcile without counting an error", async () => {
    let calls = 0;
    const { clock, controller, total } = setup(async () => {
      calls++;
      return { requeueAfterMs: 30_000 };
    });
    await controller.start();
    controller.enqueue("ns/a");
    await flushMicrotasks();
    await clock.advance(29_999);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    expect(await total("requeue_after")).toBe(2);
    expect(await total("error")).toBe(0);
    await controller.stop();
  });

  it("requeue: true goes through the rate limiter", async () => {
    let calls = 0;
    const { clock, controller, total } = setup(async () => {
      calls++;
      return calls === 1 ? { requeue: true } : undefined;
    });
    await controller.start();
    controller.enqueue("ns/a");
    await clock.advance(5);
    expect(calls).toBe(2);
    expect(await total("requeue")).toBe(1);
    expect(await total("success")).toBe(1);
    await controller.stop();
  });

  it("runs up to N keys at once but never the same key twice", async () => {
    const running = new Set<string>();
    let maxParallel = 0;
    const gates = new Map<string, ReturnType<typeof gate>>();
    const starts: string[] = [];
    // Recorded, not asserted here: the controller would catch a failed expect
    // thrown from the reconcile as a transient error.
    const overlapping: string[] = [];
    const { controller, metrics } = setup(async (key) => {
      if (running.has(key)) overlapping.push(key);
      running.add(key);
      starts.push(key);
      maxParallel = Math.max(maxParallel, running.size);
      const g = gate();
      gates.set(key, g);
      await g.promise;
      running.delete(key);
    }, 2);
    await controller.start();
    controller.enqueue("a");
    controller.enqueue("b");
    controller.enqueue("c");
    await flushMicrotasks();
    expect(starts).toEqual(["a", "b"]);
    expect(await seriesValue(metrics.activeWorkers, { controller: "sims" })).toBe(2);
    expect(await seriesValue(metrics.maxConcurrentReconciles, { controller: "sims" })).toBe(2);

    controller.enqueue("a"); // while a runs: deferred, not parallel
    gates.get("b")!.open();
    await flushMicrotasks();
    expect(starts).toEqual(["a", "b", "c"]);
    gates.get("a")!.open();
    await flushMicrotasks();
    expect(starts).toEqual(["a", "b", "c", "a"]);
    gates.get("c")!.open();
    gates.get("a")!.open();
    await flushMicrotasks();
    expect(maxParallel).toBe(2);
    expect(overlapping).toEqual([]);
    expect(await seriesValue(metrics.activeWorkers, { controller: "sims" })).toBe(0);
    await controller.stop();
  });

  it("stop waits for in-flight reconciles and takes no new work", async () => {
    const g = gate();
    const seen: string[] = [];
    let finished = false;
    const { controller } = setup(async (key, { signal }) => {
      seen.push(key);
      await g.promise;
      finished = !signal.aborted;
    });
    await controller.start();
    controller.enqueue("a");
    await flushMicrotasks();
    let stopped = false;
    const stopping = controller.stop().then(() => {
      stopped = true;
    });
    controller.enqueue("b");
    await flushMicrotasks();
    expect(stopped).toBe(false);
    g.open();
    await stopping;
    expect(finished).toBe(true);
    expect(seen).toEqual(["a"]);
  });

  it("stop aborts reconciles still running after the timeout", async () => {
    let aborted = false;
    const { clock, controller } = setup(
      (_key, { signal }) =>
        new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        }),
    );
    await controller.start();
    controller.enqueue("a");
    await flushMicrotasks();
    const stopping = controller.stop({ timeoutMs: 1000 });
    await clock.advance(999);
    expect(aborted).toBe(false);
    await clock.advance(1);
    await stopping;
    expect(aborted).toBe(true);
  });

  it("waits for watched informers to sync before starting workers, and maps events to keys", async () => {
    type Obj = { metadata: { name: string; namespace: string } };
    let synced = false;
    let resolveSync!: (ok: boolean) => void;
    const syncPromise = new Promise<boolean>((r) => {
      resolveSync = r;
    });
    const handlers: Array<InformerHandlers<Obj>> = [];
    const informer = {
      name: "fake",
      hasSynced: () => synced,
      waitForSync: () => syncPromise,
      addHandlers: (h: InformerHandlers<Obj>) => handlers.push(h),
    } as unknown as Informer<Obj>;
    const seen: string[] = [];
    const { controller } = setup(async (key) => {
      seen.push(key);
    });
    controller.watch(informer);
    controller.watch(informer, (o) => [`owner/${o.metadata.name}`]);
    const starting = controller.start();
    for (const h of handlers) h.onAdd?.({ metadata: { name: "x", namespace: "ns" } });
    await flushMicrotasks();
    expect(seen).toEqual([]);
    expect(controller.hasSynced()).toBe(false);
    synced = true;
    resolveSync(true);
    await starting;
    await flushMicrotasks();
    expect(seen).toEqual(["ns/x", "owner/x"]);
    expect(controller.hasSynced()).toBe(true);
    await controller.stop();
  });

  it("skipUpdate drops the update events it names, never adds, deletes or resyncs", async () => {
    type Obj = { metadata: { name: string; namespace: string }; v: number };
    const handlers: Array<InformerHandlers<Obj>> = [];
    const informer = {
      name: "fake",
      hasSynced: () => true,
      waitForSync: async () => true,
      addHandlers: (h: InformerHandlers<Obj>) => handlers.push(h),
    } as unknown as Informer<Obj>;
    const seen: string[] = [];
    const { controller } = setup(async (key) => {
      seen.push(key);
    });
    // Skips every update whose new version is even.
    controller.watch(informer, (o) => [`${o.metadata.name}@${o.v}`], {
      skipUpdate: (_old, o) => o.v % 2 === 0,
    });
    await controller.start();
    const obj = (v: number) => ({ metadata: { name: "x", namespace: "ns" }, v });
    const h = handlers[0];
    h?.onAdd?.(obj(0));
    h?.onUpdate?.(obj(0), obj(1));
    h?.onUpdate?.(obj(1), obj(2));
    const resync = obj(4);
    h?.onUpdate?.(resync, resync);
    h?.onDelete?.(obj(6));
    await flushMicrotasks();
    expect(seen).toEqual(["x@0", "x@1", "x@4", "x@6"]);
    await controller.stop();
  });
});

describe("controller stop escalation", () => {
  it("a later stop({ timeoutMs: 0 }) aborts a graceful stop already under way", async () => {
    let aborted = false;
    const clock = new FakeClock();
    const controller = createController({
      name: "sims",
      logger: silent,
      clock,
      reconcile: (_key, { signal }) =>
        new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        }),
    });
    await controller.start();
    controller.enqueue("a");
    await flushMicrotasks();
    const graceful = controller.stop({ timeoutMs: 30_000 });
    await clock.advance(1_000);
    expect(aborted).toBe(false);
    const immediate = controller.stop({ timeoutMs: 0 });
    expect(immediate).toBe(graceful);
    await immediate;
    expect(aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });
});
