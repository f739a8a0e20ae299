// Deletion: stop the object's executions (and their computation on the
// simulator), cancel its active rows, then remove the finalizer. With the
// database down the finalizer stays for a grace period, then goes anyway so
// that a deletion never hangs; the orphan sweep cancels the rows later.
import type { Logger } from "pino";
import type { SimulationObject } from "../../api/objects.ts";
import { type ApplyDeps, stopExecution } from "./apply.ts";
import { emit, refOf } from "./publish.ts";
import { EventReason, FINALIZER } from "./reasons.ts";

export interface FinalizeDeps extends ApplyDeps {
  readonly now: () => Date;
  readonly finalizerGraceMs: number;
}

export async function finalize(
  deps: FinalizeDeps,
  sim: SimulationObject,
  key: string,
  log: Logger,
) {
  const ref = refOf(sim);
  for (const runKey of deps.executions.othersOf(key)) stopExecution(deps, runKey);
  if (!sim.metadata.finalizers?.includes(FINALIZER)) return;
  try {
    const cancelled = await deps.store.cancelAll(ref.uid);
    if (cancelled > 0) log.info({ cancelled }, "cancelled unfinished runs");
  } catch (err) {
    const deletedAt = Date.parse(sim.metadata.deletionTimestamp ?? "");
    if (deps.now().getTime() - deletedAt < deps.finalizerGraceMs) throw err;
    log.warn({ err }, "could not cancel runs; removing the finalizer anyway");
    await emit(deps, ref, {
      type: "Warning",
      reason: EventReason.CancelFailed,
      message:
        "the runs of this simulation could not be marked cancelled (database unavailable); the orphan sweep will cancel them",
    });
  }
  await deps.writer.setFinalizers(
    ref,
    sim.metadata.finalizers.filter((f) => f !== FINALIZER),
  );
}
