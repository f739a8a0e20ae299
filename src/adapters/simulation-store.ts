// SimulationStore on the database. Failures become StoreUnavailableError
// (retry) or StoreError (the database refused), see database-errors.ts.
// The statements every simulation runs (its rows, the reuse lookup, the
// insert, the status updates) are SQL on the shared pg pool, prepared once
// per connection: through Prisma's client each cost about 0.5 ms more CPU
// (docs/performance.md). The SQL is plain enough for PostgreSQL and
// CockroachDB alike. The rare ones (cancels, the orphan sweep) stay queries
// of the Prisma client; the schema and its migrations are Prisma's.
import type {
  ActiveRun,
  NewRun,
  RunRow,
  RunStatus,
  RunsAndReusable,
  SimulationStore,
} from "../controllers/simulation/ports.ts";
import { databaseError } from "./database-errors.ts";
import type { Pool } from "./database-pool.ts";
import type { PrismaClient } from "./prisma.ts";

const ACTIVE = { in: ["pending" as const, "running" as const] };

/** Every column but inputData (up to a 10,000-entry history, never read back). */
const COLUMNS =
  `id, generation, status::text AS status, attempts, failures, result, "failureReason", error, ` +
  `"createdAt", "startedAt", "completedAt", "requestHash", seed`;

/** A row as pg returns it: BIGINT columns as text. */
type RawJob = Omit<RunRow, "generation" | "seed" | "status"> & {
  generation: string;
  seed: string;
  status: RunStatus;
  /** Only in runsWithReusable: the row is the reusable one, not one of the object's. */
  reusable?: boolean;
};

const toRow = ({ reusable: _, ...job }: RawJob): RunRow => ({
  ...job,
  generation: Number(job.generation),
  seed: Number(job.seed),
});

const REUSABLE = `FROM "SimulationJob"
    WHERE "requestHash" = $1 AND status = 'completed' AND id <> $2
    ORDER BY "completedAt" DESC LIMIT 1`;

const STATEMENTS = {
  runsOf: `SELECT ${COLUMNS} FROM "SimulationJob" WHERE uid = $1`,
  insert: `INSERT INTO "SimulationJob" (id, namespace, name, uid, generation, "assessmentId",
    "fundedAccountId", "inputData", "requestHash", seed, status, attempts, "startedAt", "createdAt")
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11::text::"SimulationStatus", $12, $13, $14)
    ON CONFLICT DO NOTHING`,
  reusable: `SELECT ${COLUMNS} ${REUSABLE}`,
  // One round trip for the first reconcile of a run: the object's rows,
  // then at most one reusable row, told apart by the last column.
  runsWithReusable: `SELECT ${COLUMNS}, false AS reusable FROM "SimulationJob" WHERE uid = $3
    UNION ALL (SELECT ${COLUMNS}, true ${REUSABLE})`,
  // Each update applies to an active (pending or running) row only: a
  // terminal row stays as it is.
  markStarted: `UPDATE "SimulationJob" SET status = 'running', attempts = attempts + 1,
    "startedAt" = $2 WHERE id = $1 AND status IN ('pending', 'running')`,
  complete: `UPDATE "SimulationJob" SET status = 'completed', result = $2::jsonb,
    "failureReason" = NULL, error = NULL, "completedAt" = $3
    WHERE id = $1 AND status IN ('pending', 'running')`,
  recordFailure: `UPDATE "SimulationJob" SET status = 'pending', failures = failures + 1,
    error = $2 WHERE id = $1 AND status IN ('pending', 'running')`,
  markPending: `UPDATE "SimulationJob" SET status = 'pending'
    WHERE id = $1 AND status IN ('pending', 'running')`,
  fail: `UPDATE "SimulationJob" SET status = 'failed', "failureReason" = $2, error = $3,
    "completedAt" = $4 WHERE id = $1 AND status IN ('pending', 'running')`,
} as const;

async function db<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw databaseError(operation, err);
  }
}

/** TIMESTAMP columns hold UTC: sent as ISO text, whose zone the column ignores. */
const utc = (date: Date) => date.toISOString();

export function createSimulationStore(prisma: PrismaClient, pool: Pool): SimulationStore {
  const jobs = prisma.simulationJob;
  const run = (name: keyof typeof STATEMENTS, values: unknown[]) =>
    pool.query<RawJob>({ name, text: STATEMENTS[name], values });
  const update = (operation: string, name: keyof typeof STATEMENTS, values: unknown[]) =>
    db(operation, async () => {
      await run(name, values);
    });
  const cancel = (operation: string, where: Parameters<typeof jobs.updateMany>[0]["where"]) =>
    db(operation, async () => {
      const data = { status: "cancelled", completedAt: new Date() } as const;
      return (await jobs.updateMany({ where: { ...where, status: ACTIVE }, data })).count;
    });
  return {
    runsOf: (uid) =>
      db("reading the runs", async () => (await run("runsOf", [uid])).rows.map(toRow)),
    // ON CONFLICT DO NOTHING: creating twice finds the same row. A run
    // submitted as it is created starts running, attempt 1.
    createRun: (r: NewRun) =>
      update("recording the run", "insert", [
        r.id,
        r.namespace,
        r.name,
        r.uid,
        r.generation,
        r.assessmentId ?? null,
        r.fundedAccountId ?? null,
        JSON.stringify(r.inputData),
        r.requestHash,
        r.seed,
        r.startedAt ? "running" : "pending",
        r.startedAt ? 1 : 0,
        r.startedAt ? utc(r.startedAt) : null,
        utc(new Date()),
      ]),
    findReusable: (requestHash, excludeId) =>
      db("looking up a reusable result", async () => {
        const [job] = (await run("reusable", [requestHash, excludeId])).rows;
        return job ? toRow(job) : undefined;
      }),
    runsWithReusable: (uid, requestHash, excludeId) =>
      db("reading the runs", async () => {
        const { rows } = await run("runsWithReusable", [requestHash, excludeId, uid]);
        const reusable = rows.find((r) => r.reusable);
        return {
          rows: rows.filter((r) => !r.reusable).map(toRow),
          reusable: reusable && toRow(reusable),
        } satisfies RunsAndReusable;
      }),
    markStarted: (id, startedAt) =>
      update("marking the run started", "markStarted", [id, utc(startedAt)]),
    complete: (id, result) =>
      db("storing the result", async () => {
        const values = [id, JSON.stringify(result), utc(new Date())];
        return (await run("complete", values)).rowCount === 1;
      }),
    recordFailure: (id, message) =>
      update("recording a failed execution", "recordFailure", [id, message]),
    markPending: (id) => update("returning the run to pending", "markPending", [id]),
    fail: (id, reason, message) =>
      update("failing the run", "fail", [id, reason, message, utc(new Date())]),
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
        await pool.query("SELECT 1");
      }),
  };
}
