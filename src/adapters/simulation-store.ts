// SimulationStore on Prisma. Every failure to reach the database becomes a
// TransientError with reason DatabaseUnavailable, which the reconciler
// reports on the simulation and retries with backoff. Its message never
// carries the driver's text (src/adapters/database-errors.ts).

import type { NewRun, RunRow, SimulationStore } from "../controllers/simulation/ports.ts";
import type { SimulationJob } from "../generated/prisma/client.ts";
import { TransientError } from "../runtime/errors.ts";
import { describeDatabaseError } from "./database-errors.ts";
import type { PrismaClient } from "./prisma.ts";

const ACTIVE = ["pending", "running"] as const;

function toRow(job: SimulationJob): RunRow {
  return {
    id: job.id,
    status: job.status,
    attempts: job.attempts,
    failures: job.failures,
    result: job.result,
    error: job.error,
    createdAt: job.createdAt,
    completedAt: job.completedAt,
    requestHash: job.requestHash,
    seed: Number(job.seed),
  };
}

/**
 * The driver's error is neither quoted nor kept as the cause: its message
 * and stack name the database server, and the cause chain reaches every log
 * line that logs the error (describeDatabaseError says why).
 */
async function db<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new TransientError(
      "DatabaseUnavailable",
      `database ${what} failed: ${describeDatabaseError(err)}`,
    );
  }
}

export function createSimulationStore(prisma: PrismaClient): SimulationStore {
  const jobs = prisma.simulationJob;
  return {
    ensureRun: (run: NewRun) =>
      db("ensureRun", async () =>
        toRow(
          await jobs.upsert({
            where: { uid_generation: { uid: run.uid, generation: BigInt(run.generation) } },
            update: {},
            create: {
              namespace: run.namespace,
              name: run.name,
              uid: run.uid,
              generation: BigInt(run.generation),
              assessmentId: run.assessmentId ?? null,
              fundedAccountId: run.fundedAccountId ?? null,
              inputData: run.inputData as object,
              requestHash: run.requestHash,
              seed: BigInt(run.seed),
            },
          }),
        ),
      ),
    findReusable: (requestHash, excludeId) =>
      db("findReusable", async () => {
        const job = await jobs.findFirst({
          where: { requestHash, status: "completed", id: { not: excludeId } },
          orderBy: { completedAt: "asc" },
        });
        return job ? toRow(job) : undefined;
      }),
    markStarted: (id) =>
      db("markStarted", async () => {
        const now = new Date();
        await jobs.updateMany({
          where: { id, status: { in: [...ACTIVE] } },
          data: { status: "running", attempts: { increment: 1 }, startedAt: now },
        });
      }),
    complete: (id, result) =>
      db("complete", async () => {
        await jobs.updateMany({
          where: { id, status: { in: [...ACTIVE] } },
          data: {
            status: "completed",
            result: result as object,
            error: null,
            completedAt: new Date(),
          },
        });
      }),
    recordFailure: (id, message) =>
      db("recordFailure", async () => {
        await jobs.updateMany({
          where: { id, status: { in: [...ACTIVE] } },
          data: { status: "pending", failures: { increment: 1 }, error: message },
        });
      }),
    fail: (id, reason, message) =>
      db("fail", async () => {
        await jobs.updateMany({
          where: { id, status: { in: [...ACTIVE] } },
          data: { status: "failed", error: `${reason}: ${message}`, completedAt: new Date() },
        });
      }),
    cancelAll: (uid) =>
      db("cancelAll", async () => {
        const { count } = await jobs.updateMany({
          where: { uid, status: { in: [...ACTIVE] } },
          data: { status: "cancelled", completedAt: new Date() },
        });
        return count;
      }),
    ping: () =>
      db("ping", async () => {
        await prisma.$queryRaw`SELECT 1`;
      }),
  };
}
