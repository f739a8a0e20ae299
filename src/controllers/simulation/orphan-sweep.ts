// The orphan sweep: active rows whose simulation no longer exists (deleted
// while the database was down past the finalizer's grace, or while no
// operator ran) are cancelled, and their jobs stopped on the simulator: an
// earlier process may have started them, and a long run would go on
// computing. Run by the leader, against its synced informer cache; a row
// younger than the grace is left alone, as its object may not have reached
// the cache yet.
import type { Logger } from "pino";
import type { SimulationStore } from "./ports.ts";

export interface SweepInput {
  readonly store: SimulationStore;
  /** Uids of the simulations that exist, or undefined while the cache is not synced. */
  readonly liveUids: () => ReadonlySet<string> | undefined;
  /** The watched namespace; empty for all. Rows of other namespaces are not ours to judge. */
  readonly namespace: string;
  readonly now: () => Date;
  readonly graceMs: number;
  /**
   * Asks the simulators to stop these jobs, best effort. A row does not
   * record its platform, so every platform's simulator is asked; one that
   * does not know a job answers 404.
   */
  readonly stopJobs: (jobIds: readonly string[]) => void;
  readonly log: Logger;
}

/** Cancels the orphaned active rows; returns how many. */
export async function sweepOrphans(input: SweepInput): Promise<number> {
  const live = input.liveUids();
  if (!live) return 0;
  const cutoff = input.now().getTime() - input.graceMs;
  const orphans = (await input.store.activeRuns()).filter(
    (row) =>
      !live.has(row.uid) &&
      row.createdAt.getTime() < cutoff &&
      (input.namespace === "" || row.namespace === input.namespace),
  );
  if (orphans.length === 0) return 0;
  const cancelled = await input.store.cancelRuns(orphans.map((r) => r.id));
  input.stopJobs(orphans.map((r) => r.id));
  input.log.info(
    { cancelled, ids: orphans.map((r) => r.id) },
    "cancelled runs of deleted simulations",
  );
  return cancelled;
}

/** Sweeps every `periodMs` until `signal` aborts; a failed sweep is logged and retried next period. */
export function startOrphanSweeps(input: SweepInput, periodMs: number, signal: AbortSignal): void {
  const timer = setInterval(() => {
    sweepOrphans(input).catch((err: unknown) => {
      input.log.warn({ err }, "orphan sweep failed; retrying next period");
    });
  }, periodMs);
  timer.unref();
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
