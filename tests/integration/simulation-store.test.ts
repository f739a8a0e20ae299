// The Prisma store against PostgreSQL: the row of a generation is created
// once by a single INSERT, and reading the runs leaves the request out.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createPrisma } from "../../src/adapters/prisma.ts";
import { createSimulationStore } from "../../src/adapters/simulation-store.ts";
import { runIdOf } from "../../src/controllers/simulation/engine-request.ts";
import { historyOf } from "../fixtures/simulations.ts";
import { stack } from "./harness.ts";

const prisma = createPrisma(stack.databaseUrl);
const store = createSimulationStore(prisma);

afterAll(async () => {
  await prisma.$disconnect();
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
});
