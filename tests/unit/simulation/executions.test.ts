import { beforeEach, describe, expect, it } from "vitest";
import { Executions } from "../../../src/controllers/simulation/executions.ts";
import type { SimulateOutcome } from "../../../src/controllers/simulation/ports.ts";
import { engineResult } from "../../fixtures/simulations.ts";

const flush = () => new Promise((r) => setTimeout(r, 0));
const P = "default";
const gate = { atMs: 1, streak: 1, reason: "BackendUnavailable" as const, message: "down" };

describe("Executions", () => {
  let enqueued: string[];
  let executions: Executions;
  /** Settles the request launched for each run key. */
  let settle: Map<string, (o: SimulateOutcome) => void>;
  let signals: Map<string, AbortSignal>;

  const start = (runKey: string, key = runKey, platform = P) => {
    executions.reserve(runKey, key, platform, `row-${runKey}`);
    executions.launch(
      runKey,
      (signal) =>
        new Promise<SimulateOutcome>((resolve) => {
          settle.set(runKey, resolve);
          signals.set(runKey, signal);
        }),
    );
  };

  beforeEach(() => {
    enqueued = [];
    executions = new Executions((key) => enqueued.push(key));
    settle = new Map();
    signals = new Map();
  });

  it("holds a slot from reserve through starting, running and settled until release", async () => {
    executions.reserve("a#1", "a", P, "row-a");
    expect(executions.get("a#1")?.state).toBe("starting");
    expect(executions.inFlight(P)).toBe(1);
    executions.launch("a#1", () => new Promise((r) => settle.set("a#1", r)));
    expect(executions.get("a#1")?.state).toBe("running");
    settle.get("a#1")?.({ kind: "failed", message: "boom" });
    await flush();
    expect(executions.get("a#1")).toEqual({
      state: "settled",
      platform: P,
      outcome: { kind: "failed", message: "boom" },
    });
    expect(enqueued).toEqual(["a"]);
    expect(executions.inFlight(P)).toBe(1);
    executions.release("a#1");
    expect(executions.get("a#1")).toBeUndefined();
    expect(executions.inFlight(P)).toBe(0);
  });

  it("counts slots per platform", () => {
    start("a#1");
    start("b#1", "b", "other");
    expect([
      executions.inFlight(P),
      executions.inFlight("other"),
      executions.inFlight("x"),
    ]).toEqual([1, 1, 0]);
  });

  it("keeps each platform's count equal to the slots held, through any mix of reserve, release and abort", () => {
    // A seeded walk (a linear congruential generator): the same steps on every run.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n); // the high bits: the low ones repeat every few steps
    };
    const platforms = ["p0", "p1", "p2"];
    const held = new Map<string, string>(); // runKey -> platform
    for (let step = 0; step < 2_000; step++) {
      const runKey = `k${next(40)}#1`;
      const platform = platforms[next(platforms.length)] as string;
      const op = next(4);
      if (op < 2) {
        executions.reserve(runKey, runKey.slice(0, runKey.indexOf("#")), platform, `row-${runKey}`);
        if (!held.has(runKey)) held.set(runKey, platform);
      } else if (op === 2) {
        executions.release(runKey);
        held.delete(runKey);
      } else {
        executions.abort(runKey);
        held.delete(runKey);
      }
      for (const p of platforms) {
        const expected = [...held.values()].filter((h) => h === p).length;
        expect(executions.inFlight(p), `step ${step}, platform ${p}`).toBe(expected);
      }
    }
    executions.abortAll();
    expect(platforms.map((p) => executions.inFlight(p))).toEqual([0, 0, 0]);
  });

  it("reserve is idempotent, and launch runs a request once", () => {
    let runs = 0;
    executions.reserve("a#1", "a", P, "row-a");
    executions.reserve("a#1", "a", P, "row-a");
    expect(executions.inFlight(P)).toBe(1);
    const run = () => {
      runs++;
      return new Promise<SimulateOutcome>(() => {});
    };
    executions.launch("a#1", run);
    executions.launch("a#1", run);
    executions.launch("unreserved", run);
    expect(runs).toBe(1);
  });

  it("a request that throws settles as a failed execution", async () => {
    executions.reserve("a#1", "a", P, "row-a");
    executions.launch("a#1", async () => {
      throw new Error("socket hang up");
    });
    await flush();
    expect(executions.get("a#1")?.outcome).toEqual({ kind: "failed", message: "socket hang up" });
  });

  it("abort frees the slot, clears the gate, signals the request and returns its job id", () => {
    start("a#1");
    executions.setGate("a#1", gate);
    expect(executions.abort("a#1")).toBe("row-a#1");
    expect(signals.get("a#1")?.aborted).toBe(true);
    expect(executions.inFlight(P)).toBe(0);
    expect(executions.gate("a#1")).toBeUndefined();
    expect(executions.get("a#1")).toBeUndefined();
  });

  it("abort of a slot never launched returns no job id", () => {
    executions.reserve("a#1", "a", P, "row-a");
    expect(executions.abort("a#1")).toBeUndefined();
    expect(executions.inFlight(P)).toBe(0);
  });

  it("abort of a run with only a gate clears the gate", () => {
    executions.setGate("a#1", gate);
    expect(executions.abort("a#1")).toBeUndefined();
    expect(executions.gate("a#1")).toBeUndefined();
  });

  it("release wakes the first waiter of the platform, first come first woken", () => {
    start("a#1", "a");
    executions.wait("b#1", "b", P);
    executions.wait("c#1", "c", P);
    executions.wait("x#1", "x", "other");
    executions.wait("b#1", "b", P); // waiting again keeps b's place
    executions.release("a#1");
    expect(enqueued).toEqual(["b"]);
    expect(executions.isWaiting("b#1", P)).toBe(false);
    expect(executions.isWaiting("c#1", P)).toBe(true);
  });

  it("settleWake passes an unused wake to the next waiter", () => {
    start("a#1", "a");
    executions.wait("b#1", "b", P);
    executions.wait("c#1", "c", P);
    executions.release("a#1");
    executions.settleWake("b#1"); // b finished without taking the slot
    expect(enqueued).toEqual(["b", "c"]);
    executions.settleWake("b#1"); // a wake passes on once
    expect(enqueued).toEqual(["b", "c"]);
  });

  it("a woken waiter that reserves keeps the wake", () => {
    start("a#1", "a");
    executions.wait("b#1", "b", P);
    executions.wait("c#1", "c", P);
    executions.release("a#1");
    executions.reserve("b#1", "b", P, "row-b");
    executions.settleWake("b#1");
    expect(enqueued).toEqual(["b"]);
    expect(executions.inFlight(P)).toBe(1);
  });

  it("a woken waiter that goes back in line keeps the wake", () => {
    start("a#1", "a");
    executions.wait("b#1", "b", P);
    executions.wait("c#1", "c", P);
    executions.release("a#1");
    start("z#1", "z"); // someone else took the slot first
    executions.wait("b#1", "b", P);
    executions.settleWake("b#1");
    expect(enqueued).toEqual(["b"]);
    expect(executions.isWaiting("b#1", P)).toBe(true);
  });

  it("a woken waiter that found its slot taken is next again, ahead of those behind it", () => {
    start("a#1", "a");
    executions.wait("b#1", "b", P);
    executions.wait("c#1", "c", P);
    executions.release("a#1");
    start("z#1", "z"); // a newcomer took the slot before b's reconcile
    executions.wait("b#1", "b", P);
    executions.wait("d#1", "d", P);
    executions.release("z#1");
    expect(enqueued).toEqual(["b", "b"]);
    expect(executions.isWaiting("c#1", P)).toBe(true);
    expect(executions.isWaiting("d#1", P)).toBe(true);
  });

  it("abort of a woken waiter passes the wake on", () => {
    start("a#1", "a");
    executions.wait("b#1", "b", P);
    executions.wait("c#1", "c", P);
    executions.release("a#1");
    executions.abort("b#1");
    expect(enqueued).toEqual(["b", "c"]);
  });

  it("abort of a waiter in line takes it out of the line", () => {
    start("a#1", "a");
    executions.wait("b#1", "b", P);
    executions.wait("c#1", "c", P);
    executions.abort("b#1");
    executions.release("a#1");
    expect(enqueued).toEqual(["c"]);
  });

  it("an aborted execution's late outcome wakes nobody and frees its slot once", async () => {
    start("a#1", "a");
    executions.wait("b#1", "b", P);
    executions.abort("a#1");
    expect(enqueued).toEqual(["b"]); // the abort freed the slot
    settle.get("a#1")?.({ kind: "ok", result: engineResult() });
    await flush();
    expect(enqueued).toEqual(["b"]);
    expect(executions.get("a#1")).toBeUndefined();
    expect(executions.settledResults()).toEqual([]);
  });

  it("settledResults lists only ok outcomes not yet released", async () => {
    for (const k of ["ok#1", "failed#1", "running#1", "released#1"]) start(k);
    settle.get("ok#1")?.({ kind: "ok", result: engineResult() });
    settle.get("failed#1")?.({ kind: "failed", message: "x" });
    settle.get("released#1")?.({ kind: "ok", result: engineResult() });
    await flush();
    executions.release("released#1");
    expect(executions.settledResults()).toEqual([{ rowId: "row-ok#1", result: engineResult() }]);
  });

  it("othersOf lists an object's other run keys holding a slot, a gate or a place in line", () => {
    start("k#u/1", "k");
    executions.setGate("k#u/2", gate);
    executions.wait("k#u/3", "k", P);
    executions.wait("other#u/1", "other", P);
    expect(executions.othersOf("k", "k#u/3").sort()).toEqual(["k#u/1", "k#u/2"]);
    expect(executions.othersOf("k").sort()).toEqual(["k#u/1", "k#u/2", "k#u/3"]);
  });

  it("abortAll aborts every execution", () => {
    start("a#1");
    start("b#1");
    executions.abortAll();
    expect([signals.get("a#1")?.aborted, signals.get("b#1")?.aborted]).toEqual([true, true]);
    expect(executions.inFlight(P)).toBe(0);
  });
});
