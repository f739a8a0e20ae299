import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { sweepOrphans } from "../../../src/controllers/simulation/orphan-sweep.ts";
import { type FakeRow, FakeStore } from "./fakes.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const GRACE_MS = 60_000;

function row(id: string, over: Partial<FakeRow> = {}): FakeRow {
  return {
    id,
    uid: `u-${id}`,
    namespace: "risk",
    name: id,
    generation: 1,
    status: "running",
    attempts: 1,
    failures: 0,
    result: null,
    failureReason: null,
    error: null,
    createdAt: new Date(NOW.getTime() - 10 * GRACE_MS),
    startedAt: null,
    completedAt: null,
    requestHash: "h",
    seed: 1,
    inputData: {},
    ...over,
  };
}

function sweep(store: FakeStore, live: string[] | undefined, namespace = "") {
  const stopped: string[][] = [];
  const run = sweepOrphans({
    store,
    liveUids: () => (live ? new Set(live) : undefined),
    namespace,
    now: () => NOW,
    graceMs: GRACE_MS,
    stopJobs: (ids) => stopped.push([...ids]),
    log: pino({ level: "silent" }),
  });
  return { run, stopped };
}

describe("the orphan sweep", () => {
  it("cancels the active rows of simulations that are gone and stops their jobs", async () => {
    const store = new FakeStore();
    store.rows = [
      row("gone"),
      row("live"),
      row("young", { createdAt: new Date(NOW.getTime() - 1000) }),
      row("done", { status: "completed" }),
      row("elsewhere", { namespace: "other" }),
    ];
    const { run, stopped } = sweep(store, ["u-live"], "risk");
    expect(await run).toBe(1);
    expect(store.rows.map((r) => [r.id, r.status])).toEqual([
      ["gone", "cancelled"],
      ["live", "running"],
      ["young", "running"],
      ["done", "completed"],
      ["elsewhere", "running"],
    ]);
    expect(stopped).toEqual([["gone"]]);
  });

  it("does nothing before the cache has synced, nor when nothing is orphaned", async () => {
    const store = new FakeStore();
    store.rows = [row("gone")];
    const unsynced = sweep(store, undefined);
    expect(await unsynced.run).toBe(0);
    const synced = sweep(store, ["u-gone"]);
    expect(await synced.run).toBe(0);
    expect([...unsynced.stopped, ...synced.stopped]).toEqual([]);
    expect(store.rows[0]?.status).toBe("running");
  });
});
