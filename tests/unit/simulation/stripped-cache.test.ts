// The informer caches a simulation without its trader history; the
// reconciler reads the full object from the API server when it admits and
// submits a run, and only then.
import { describe, expect, it } from "vitest";
import { isStripped } from "../../../src/controllers/simulation/cache-transform.ts";
import { RunChangedError } from "../../../src/controllers/simulation/ports.ts";
import { engineResult, historyOf, historySpec } from "../../fixtures/simulations.ts";
import { flush, harness } from "./harness.ts";

const ENTRIES = 10_000;

describe("a simulation cached without its history", () => {
  it("is submitted with all 10,000 entries, read by a GET, and stored in full in its row", async () => {
    const h = harness();
    const key = h.add("hist", { spec: historySpec(ENTRIES) });
    expect(isStripped(h.sim(key))).toBe(true);
    expect(JSON.stringify(h.sim(key)).length).toBeLessThan(4096);

    await h.reconcile(key);
    expect(h.reader.gets).toEqual([key]);
    const [call] = h.simulator.calls;
    expect(call?.request.trader.history?.pnl).toEqual(historyOf(ENTRIES));
    const inputs = h.store.rows[0]?.inputData as { trader: { history: { pnl: number[] } } };
    expect(inputs.trader.history.pnl).toHaveLength(ENTRIES);
    await h.firstSecondUp(key);
    expect(h.status(key)?.phase).toBe("Running");

    // The result is stored without the history: no second GET.
    call?.settle({ kind: "ok", result: engineResult() });
    await flush();
    await h.reconcile(key);
    expect(h.status(key)?.phase).toBe("Succeeded");
    expect(h.store.rows[0]?.status).toBe("completed");
    expect(h.store.rows[0]?.result).toEqual(engineResult());
    expect(h.reader.gets).toHaveLength(1);

    // Finished: read from the cache alone, however often.
    await h.reconcile(key);
    await h.reconcile(key);
    expect(h.reader.gets).toHaveLength(1);
    expect(h.simulator.calls).toHaveLength(1);
  });

  it("is read again, in full, for the retry after a failed execution", async () => {
    const h = harness();
    const key = h.add("hist", { spec: historySpec(ENTRIES) });
    await h.reconcile(key);
    h.simulator.calls[0]?.settle({ kind: "failed", message: "worker died" });
    await flush();
    await h.reconcile(key); // records the failure: nothing submits, nothing is read
    expect(h.reader.gets).toEqual([key]);
    h.clock.now = new Date(h.clock.now.getTime() + 600_000);
    await h.reconcile(key);
    expect(h.reader.gets).toEqual([key, key]);
    expect(h.simulator.calls).toHaveLength(2);
    expect(h.simulator.calls[1]?.request.trader.history?.pnl).toEqual(historyOf(ENTRIES));
  });

  it("is not read again while its run is in flight: published Running from the cached copy", async () => {
    const h = harness();
    const key = h.add("hist", { spec: historySpec(ENTRIES) });
    await h.reconcile(key);
    await h.firstSecondUp(key);
    await h.reconcile(key);
    expect(h.status(key)?.phase).toBe("Running");
    expect(h.reader.gets).toEqual([key]);
    expect(h.simulator.calls).toHaveLength(1);
  });

  it("is read again in full when its run's row is gone while the run is in flight", async () => {
    const h = harness();
    const key = h.add("hist", { spec: historySpec(ENTRIES) });
    await h.reconcile(key);
    h.store.rows.length = 0; // deleted by hand
    await expect(h.firstSecondUp(key)).rejects.toBeInstanceOf(RunChangedError);
    await h.reconcile(key);
    expect(h.reader.gets).toEqual([key, key]);
    const inputs = h.store.rows[0]?.inputData as { trader: { history: { pnl: number[] } } };
    expect(inputs.trader.history.pnl).toHaveLength(ENTRIES);
  });

  it("waits for the watch when the API server already has a newer generation", async () => {
    const h = harness();
    const key = h.add("hist", { spec: historySpec(5) });
    const full = h.reader.objects.get(key)!;
    h.reader.objects.set(key, { ...full, metadata: { ...full.metadata, generation: 2 } });
    expect(await h.reconcile(key)).toEqual({ requeueAfterMs: 1000 });
    expect(h.simulator.calls).toHaveLength(0);
    expect(h.store.calls).toEqual([]);
    expect(h.writer.statuses).toHaveLength(0);
  });

  it("does nothing when the object is gone from the API server", async () => {
    const h = harness();
    const key = h.add("hist", { spec: historySpec(5) });
    h.reader.objects.delete(key);
    expect(await h.reconcile(key)).toEqual({ requeueAfterMs: 1000 });
    expect(h.simulator.calls).toHaveLength(0);
    expect(h.store.calls).toEqual([]);
  });

  it("costs no GET and no database statement while it waits for a slot", async () => {
    const h = harness({ maxConcurrentRuns: 1 });
    const [a, b] = [h.add("a", { spec: historySpec(5) }), h.add("b", { spec: historySpec(6) })];
    await h.reconcile(a);
    await h.reconcile(b);
    expect(h.status(b)?.conditions?.find((c) => c.type === "Ready")?.reason).toBe(
      "ConcurrencyLimitReached",
    );
    const gets = h.reader.gets.length;
    h.store.calls = [];
    for (let i = 0; i < 3; i++) expect(await h.reconcile(b)).toEqual({ requeueAfterMs: 300_000 });
    expect(h.reader.gets).toHaveLength(gets);
    expect(h.store.calls).toEqual([]);
  });

  it("is judged on its cached spec, with no GET, while its platform is missing", async () => {
    const h = harness();
    h.platform = undefined;
    const key = h.add("hist", { spec: historySpec(ENTRIES) });
    await h.reconcile(key);
    await h.reconcile(key);
    expect(h.status(key)?.conditions?.find((c) => c.type === "Ready")?.reason).toBe(
      "PlatformNotFound",
    );
    const spec = historySpec(5);
    const bad = h.add("bad", { spec: { ...spec, account: { initialBalance: -1 } } });
    await h.reconcile(bad);
    expect(h.status(bad)?.phase).toBe("Failed");
    expect(h.status(bad)?.conditions?.find((c) => c.type === "Ready")?.reason).toBe("InvalidSpec");
    expect(h.reader.gets).toEqual([]);
  });
});
