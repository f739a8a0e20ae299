// SimulationStore on Prisma. Failures become StoreUnavailableError (retry)
// or StoreError (the database refused), see database-errors.ts.
// The statements every simulation runs (its rows, the reuse lookup, the
// insert, the status updates) are raw SQL through Prisma ($queryRaw,
// $executeRaw): the query compiler cost about 0.3 ms of CPU more per
// statement (docs/performance.md). The SQL is plain enough for PostgreSQL and
// CockroachDB alike; the rare ones (cancels, the orphan sweep) stay queries
// of the client.
import type {
  ActiveRun,
  NewRun,
  RunRow,
  SimulationStore,
} from "../controllers/simulation/ports.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { databaseError } from "./database-errors.ts";
import type { PrismaClient } from "./prisma.ts";

const ACTIVE = { in: ["pending" as const, "running" as const] };

/** Every column but inputData (up to a 10,000-entry history, never read back). */
const COLUMNS = Prisma.raw(
  `id, generation, status::text AS status, attempts, failures, result, "failureReason", error, ` +
    `"createdAt", "startedAt", "completedAt", "requestHash", seed`,
);

/** A row as $queryRaw returns it: BIGINT columns as bigint. */
type RawJob = Omit<RunRow, "generation" | "seed"> & { generation: bigint; seed: bigint };

function toRow(job: RawJob): RunRow {
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
  /** Updates the row while it is active (pending or running); a terminal row stays as it is. */
  const update = (operation: string, id: string, set: Prisma.Sql) =>
    db(operation, async () => {
      await prisma.$executeRaw`UPDATE "SimulationJob" SET ${set} WHERE id = ${id} AND status IN ('pending', 'running')`;
    });
  const cancel = (operation: string, where: Parameters<typeof jobs.updateMany>[0]["where"]) =>
    db(operation, async () => {
      const data = { status: "cancelled", completedAt: new Date() } as const;
      return (await jobs.updateMany({ where: { ...where, status: ACTIVE }, data })).count;
    });
  return {
    runsOf: (uid) =>
      db("reading the runs", async () =>
        (
          await prisma.$queryRaw<
            RawJob[]
          >`SELECT ${COLUMNS} FROM "SimulationJob" WHERE uid = ${uid}`
        ).map(toRow),
      ),
    // ON CONFLICT DO NOTHING: creating twice finds the same row. A run
    // submitted as it is created starts running, attempt 1.
    createRun: (run: NewRun) =>
      db("recording the run", async () => {
        const started = run.startedAt !== undefined;
        await prisma.$executeRaw`INSERT INTO "SimulationJob"
          (id, namespace, name, uid, generation, "assessmentId", "fundedAccountId", "inputData",
           "requestHash", seed, status, attempts, "startedAt", "createdAt")
          VALUES (${run.id}, ${run.namespace}, ${run.name}, ${run.uid}, ${BigInt(run.generation)},
           ${run.assessmentId ?? null}, ${run.fundedAccountId ?? null},
           ${JSON.stringify(run.inputData)}::jsonb, ${run.requestHash}, ${BigInt(run.seed)},
           ${started ? "running" : "pending"}::"SimulationStatus", ${started ? 1 : 0},
           ${run.startedAt ?? null}, ${new Date()})
          ON CONFLICT DO NOTHING`;
      }),
    findReusable: (requestHash, excludeId) =>
      db("looking up a reusable result", async () => {
        const [job] = await prisma.$queryRaw<RawJob[]>`SELECT ${COLUMNS} FROM "SimulationJob"
          WHERE "requestHash" = ${requestHash} AND status = 'completed' AND id <> ${excludeId}
          ORDER BY "completedAt" DESC LIMIT 1`;
        return job ? toRow(job) : undefined;
      }),
    markStarted: (id, startedAt) =>
      update(
        "marking the run started",
        id,
        Prisma.sql`status = 'running', attempts = attempts + 1, "startedAt" = ${startedAt}`,
      ),
    complete: (id, result) =>
      update(
        "storing the result",
        id,
        Prisma.sql`status = 'completed', result = ${JSON.stringify(result)}::jsonb,
          "failureReason" = NULL, error = NULL, "completedAt" = ${new Date()}`,
      ),
    recordFailure: (id, message) =>
      update(
        "recording a failed execution",
        id,
        Prisma.sql`status = 'pending', failures = failures + 1, error = ${message}`,
      ),
    markPending: (id) => update("returning the run to pending", id, Prisma.sql`status = 'pending'`),
    fail: (id, reason, message) =>
      update(
        "failing the run",
        id,
        Prisma.sql`status = 'failed', "failureReason" = ${reason}, error = ${message},
          "completedAt" = ${new Date()}`,
      ),
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
