// On a stop, results that arrived but were not persisted yet are stored, so
// no finished computation is thrown away; executions still in flight are not
// waited for.
import type { Logger } from "pino";
import type { Executions } from "./executions.ts";
import type { SimulationStore } from "./ports.ts";

/** Stores each arrived result (bounded by `timeoutMs` in all); returns how many were stored. */
export async function storeSettledResults(
  executions: Executions,
  store: SimulationStore,
  log: Logger,
  timeoutMs = 5_000,
): Promise<number> {
  const results = executions.settledResults();
  let stored = 0;
  const all = Promise.all(
    results.map(async ({ rowId, result }) => {
      try {
        await store.complete(rowId, result);
        stored++;
      } catch (err) {
        log.warn({ err, rowId }, "could not store a result at shutdown; it will be computed again");
      }
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  return stored;
}
