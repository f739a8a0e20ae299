// SimulationStore on Prisma. Failures become StoreUnavailableError (retry)
// or StoreError (the database refused), see database-errors.ts.
import type {
  ActiveRun,
  NewRun,
  RunRow,
  SimulationStore,
} from "../controllers/simulation/ports.ts";
import type { SimulationJob } from "../generated/prisma/client.ts";
import { databaseError } from "./database-errors.ts";
import type { PrismaClient } from "./prisma.ts";

const ACTIVE = { in: ["pending" as const, "running" as const] };

function toRow(job: Omit<SimulationJob, "inputData">): RunRow {
  return {
    id: job.id,
    generation: Number(job.generation),
    status: job.status,
    attempts: job.attempts,
    failures: job.failures,
    result: job.result,
    failureReason: job.failureReason,
    error: job.error,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    requestHash: job.requestHash,
    seed: Number(job.seed),
  };
}

async function db<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw databaseError(operation, err);
  }
}

export function createSimulationStore(prisma: PrismaClient): SimulationStore {
  const jobs = prisma.simulationJob;
  const update = (
    operation: string,
    id: string,
    data: Parameters<typeof jobs.updateMany>[0]["data"],
  ) =>
    db(operation, async () => {
      await jobs.updateMany({ where: { id, status: ACTIVE }, data });
    });
  const cancel = (operation: string, where: Parameters<typeof jobs.updateMany>[0]["where"]) =>
    db(operation, async () => {
      const data = { status: "cancelled", completedAt: new Date() } as const;
      return (await jobs.updateMany({ where: { ...where, status: ACTIVE }, data })).count;
    });
  return {
    // The request (inputData, up to a 10,000-entry history) is written once
    // and never read back by the reconciler.
    runsOf: (uid) =>
      db("reading the runs", async () =>
        (await jobs.findMany({ where: { uid }, omit: { inputData: true } })).map(toRow),
      ),
    // One INSERT ... ON CONFLICT DO NOTHING: an upsert would cost a
    // transaction of four statements, and the reconciler never reads the row
    // it gets back.
    createRun: (run: NewRun) =>
      db("recording the run", async () => {
        await jobs.createMany({
          data: [
            {
              id: run.id,
              namespace: run.namespace,
              name: run.name,
              uid: run.uid,
              generation: BigInt(run.generation),
              assessmentId: run.assessmentId ?? null,
              fundedAccountId: run.fundedAccountId ?? null,
              inputData: run.inputData as object,
              requestHash: run.requestHash,
              seed: BigInt(run.seed),
              ...(run.startedAt
                ? { status: "running" as const, attempts: 1, startedAt: run.startedAt }
                : {}),
            },
          ],
          skipDuplicates: true,
        });
      }),
    findReusable: (requestHash, excludeId) =>
      db("looking up a reusable result", async () => {
        const job = await jobs.findFirst({
          where: { requestHash, status: "completed", id: { not: excludeId } },
          orderBy: { completedAt: "desc" },
          omit: { inputData: true },
        });
        return job ? toRow(job) : undefined;
      }),
    markStarted: (id, startedAt) =>
      update("marking the run started", id, {
        status: "running",
        attempts: { increment: 1 },
        startedAt,
      }),
    complete: (id, result) =>
      update("storing the result", id, {
        status: "completed",
        result: result as object,
        failureReason: null,
        error: null,
        completedAt: new Date(),
      }),
    recordFailure: (id, message) =>
      update("recording a failed execution", id, {
        status: "pending",
        failures: { increment: 1 },
        error: message,
      }),
    markPending: (id) => update("returning the run to pending", id, { status: "pending" }),
    fail: (id, reason, message) =>
      update("failing the run", id, {
        status: "failed",
        failureReason: reason,
        error: message,
        completedAt: new Date(),
      }),
    cancelOtherGenerations: (uid, generation) =>
      cancel("cancelling earlier generations", { uid, generation: { not: BigInt(generation) } }),
    cancelAll: (uid) => cancel("cancelling the runs", { uid }),
    activeRuns: () =>
      db("listing active runs", async () => {
        const rows = await jobs.findMany({
          where: { status: ACTIVE },
          select: { id: true, uid: true, namespace: true, createdAt: true },
          orderBy: { createdAt: "asc" },
        });
        return rows satisfies ActiveRun[];
      }),
    cancelRuns: (ids) => cancel("cancelling orphaned runs", { id: { in: [...ids] } }),
    ping: () =>
      db("ping", async () => {
        await prisma.$queryRaw`SELECT 1`;
      }),
  };
}
