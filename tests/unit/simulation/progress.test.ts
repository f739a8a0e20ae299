// Progress of long runs (issue 13): polled from the simulator while a run is
// in flight, published in status.progress, gone once the run ends.
import { describe, expect, it } from "vitest";
import { runIdOf } from "../../../src/controllers/simulation/engine-request.ts";
import { progressOf } from "../../../src/controllers/simulation/run-policies.ts";
import { engineResult } from "../../fixtures/simulations.ts";
import { harness, PROGRESS_INTERVAL_MS } from "./harness.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("progressOf", () => {
  const start = new Date("2026-11-30T12:00:00Z");
  it.each([
    {
      name: "a quarter done after 10 s ends 30 s later",
      given: { pathsDone: 250, pathsTotal: 1000, atS: 10 },
      want: {
        percent: 25,
        pathsDone: 250,
        pathsTotal: 1000,
        estimatedCompletionTime: "2026-11-30T12:00:40.000Z",
      },
    },
    {
      name: "nothing done yet has no estimate",
      given: { pathsDone: 0, pathsTotal: 1000, atS: 10 },
      want: { percent: 0, pathsDone: 0, pathsTotal: 1000 },
    },
    {
      name: "percent rounds down, never 100 before the end",
      given: { pathsDone: 999, pathsTotal: 1000, atS: 9.99 },
      want: {
        percent: 99,
        pathsDone: 999,
        pathsTotal: 1000,
        estimatedCompletionTime: "2026-11-30T12:00:10.000Z",
      },
    },
  ])("$name", ({ given, want }) => {
    const observedAt = new Date(start.getTime() + given.atS * 1000);
    const { pathsDone, pathsTotal } = given;
    const job = { state: "running" as const, startTime: start, observedAt, pathsDone, pathsTotal };
    expect(progressOf(job)).toEqual(want);
  });
});

describe("progress in status", () => {
  it("publishes the simulator's progress while running and drops it at the end", async () => {
    const h = harness();
    const key = h.add("long");
    await h.reconcile(key);
    await h.firstSecondUp(key);
    expect(h.status(key)?.phase).toBe("Running");
    expect(h.status(key)?.progress).toBeUndefined();
    const jobId = runIdOf("u-long", 1);
    h.simulator.jobs.set(jobId, {
      state: "running",
      pathsDone: 500,
      pathsTotal: 2000,
      startTime: new Date(h.clock.now.getTime() - 10_000),
      observedAt: h.clock.now,
    });
    h.woken.length = 0;
    await sleep(PROGRESS_INTERVAL_MS * 3);
    expect(h.woken).toEqual([key]); // a change of progress wakes the object once
    const writes = h.writer.statuses.length;
    await h.reconcile(key);
    expect(h.status(key)?.progress).toMatchObject({
      percent: 25,
      pathsDone: 500,
      pathsTotal: 2000,
    });
    expect(h.writer.statuses).toHaveLength(writes + 1);
    h.clock.now = new Date(h.clock.now.getTime() + 3_000);
    await h.reconcile(key); // a later reconcile, same report: no write
    expect(h.writer.statuses).toHaveLength(writes + 1);

    h.simulator.calls[0]?.settle({ kind: "ok", result: engineResult() });
    await sleep(0);
    await h.reconcile(key);
    expect(h.status(key)?.phase).toBe("Succeeded");
    expect(h.status(key)?.progress).toBeUndefined();
  });
});
