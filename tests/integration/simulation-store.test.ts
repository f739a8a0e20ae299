// The Prisma store against PostgreSQL: the row of a generation is created
// once by a single INSERT, reading the runs leaves the request out, and the
// raw SQL of the hot path reads and writes what Prisma's own queries do
// (dates, JSON, BIGINT, the enum), never touching a terminal row.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "../../src/adapters/database-pool.ts";
import { createPrisma } from "../../src/adapters/prisma.ts";
import { createSimulationStore } from "../../src/adapters/simulation-store.ts";
import { runIdOf } from "../../src/controllers/simulation/engine-request.ts";
import { historyOf } from "../fixtures/simulations.ts";
import { stack } from "./harness.ts";

const pool = createPool(stack.databaseUrl);
const prisma = createPrisma(pool);
const store = createSimulationStore(prisma, pool);

// Dates must come back as written whatever the process's time zone: pg's
// default reads a TIMESTAMP as local time.
const zone = process.env.TZ;
beforeAll(() => {
  process.env.TZ = "America/New_York";
});

afterAll(async () => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
  await prisma.$disconnect();
  await pool.end();
});

const newRun = (uid: string, inputData: object) => ({
  id: runIdOf(uid, 1),
  namespace: "store-test",
  name: "s",
  uid,
  generation: 1,
  assessmentId: undefined,
  fundedAccountId: "fa-1",
  inputData,
  requestHash: `h-${uid}`,
  seed: 7,
});

describe("the simulation store", () => {
  it("creates a generation's row once; a second create keeps the first", async () => {
    const uid = randomUUID();
    await store.createRun(newRun(uid, { trader: { history: { pnl: historyOf(10_000) } } }));
    await store.createRun(newRun(uid, { other: true }));
    const rows = await store.runsOf(uid);
    expect(rows.map((r) => [r.id, r.status, r.generation, r.seed])).toEqual([
      [runIdOf(uid, 1), "pending", 1, 7],
    ]);
    // runsOf leaves the request out; it is in the row all the same.
    expect(rows[0]).not.toHaveProperty("inputData");
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows: stored } = await db.query(
        `SELECT "inputData" FROM "SimulationJob" WHERE uid = $1`,
        [uid],
      );
      expect(stored.map((r) => r.inputData.trader.history.pnl.length)).toEqual([10_000]);
    } finally {
      await db.end();
    }
  });

  it("walks a row through its transitions; the client's own queries read back the same", async () => {
    const uid = randomUUID();
    const startedAt = new Date("2026-11-30T12:34:56.789Z");
    const before = Date.now();
    await store.createRun({ ...newRun(uid, { a: 1 }), startedAt });
    const [created] = await store.runsOf(uid);
    expect(created).toMatchObject({ status: "running", attempts: 1, failures: 0, startedAt });
    // createdAt is the client's clock, stored as Prisma stores it (UTC).
    const orm = await prisma.simulationJob.findUniqueOrThrow({ where: { id: runIdOf(uid, 1) } });
    expect(orm.createdAt).toEqual(created?.createdAt);
    expect(Math.abs(orm.createdAt.getTime() - before)).toBeLessThan(60_000);
    expect(orm.startedAt).toEqual(startedAt);
    expect(orm.inputData).toEqual({ a: 1 });

    await store.recordFailure(runIdOf(uid, 1), "boom");
    await store.markStarted(runIdOf(uid, 1), new Date("2026-12-01T00:00:00Z"));
    await store.markPending(runIdOf(uid, 1));
    expect((await store.runsOf(uid))[0]).toMatchObject({
      status: "pending",
      attempts: 2,
      failures: 1,
      error: "boom",
      startedAt: new Date("2026-12-01T00:00:00Z"),
    });
    const result = { passProbability: 0.5, nested: { list: [1, 2.5] } };
    await store.complete(runIdOf(uid, 1), result);
    // A terminal row stays as it is.
    await store.fail(runIdOf(uid, 1), "DeadlineExceeded", "late");
    const [done] = await store.runsOf(uid);
    expect(done).toMatchObject({ status: "completed", result, error: null, failureReason: null });
    expect(done?.completedAt).toBeInstanceOf(Date);
    expect(await store.findReusable(`h-${uid}`, "another")).toMatchObject({
      id: runIdOf(uid, 1),
      result,
    });
    expect(await store.findReusable(`h-${uid}`, runIdOf(uid, 1))).toBeUndefined();
  });

  it("reads an object's rows and the newest reusable row in one statement", async () => {
    const [uid, older, newer] = [randomUUID(), randomUUID(), randomUUID()];
    const hash = `h-${uid}`;
    await store.createRun({ ...newRun(uid, {}), requestHash: hash });
    await store.createRun({ ...newRun(uid, {}), id: runIdOf(uid, 2), generation: 2 });
    for (const other of [older, newer]) {
      await store.createRun({ ...newRun(other, {}), requestHash: hash });
      await store.complete(runIdOf(other, 1), { from: other });
      await new Promise((r) => setTimeout(r, 5)); // completedAt apart
    }
    const read = await store.runsWithReusable(uid, hash, runIdOf(uid, 1));
    const byGeneration = [...read.rows].sort((a, b) => a.generation - b.generation);
    expect(byGeneration.map((r) => [r.id, r.generation, r.status])).toEqual([
      [runIdOf(uid, 1), 1, "pending"],
      [runIdOf(uid, 2), 2, "pending"],
    ]);
    expect(read.rows[0]).not.toHaveProperty("reusable");
    expect(read.reusable).toMatchObject({ id: runIdOf(newer, 1), result: { from: newer } });
    expect(read.reusable).not.toHaveProperty("reusable");
    // The excluded row is never offered; an unknown hash finds nothing.
    const excluded = await store.runsWithReusable(randomUUID(), hash, runIdOf(newer, 1));
    expect(excluded).toEqual({
      rows: [],
      reusable: expect.objectContaining({ id: runIdOf(older, 1) }),
    });
    expect(await store.runsWithReusable(uid, `none-${uid}`, "x")).toMatchObject({
      reusable: undefined,
    });
  });

  it("fails a row with its reason and message", async () => {
    const uid = randomUUID();
    await store.createRun(newRun(uid, {}));
    await store.fail(runIdOf(uid, 1), "BackoffLimitExceeded", "3 failed executions");
    expect((await store.runsOf(uid))[0]).toMatchObject({
      status: "failed",
      failureReason: "BackoffLimitExceeded",
      error: "3 failed executions",
      attempts: 0,
    });
  });
});
