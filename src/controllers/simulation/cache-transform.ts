// What the informer keeps of a MonteCarloSimulation: everything reconciling
// reads, without the API server's bookkeeping and without the trader's P&L
// history (up to 10,000 numbers, ~150 KB of heap each when cached). A copy
// stripped of the history says so in an annotation that exists only in the
// cache; observe() reads the full object from the API server when it needs
// the spec (docs/performance.md).
import type { SimulationObject } from "../../api/objects.ts";
import { withoutBookkeeping } from "../../runtime/cache-transform.ts";

/** On the cached copy only: the fields the cache left out. */
export const CACHED_WITHOUT_ANNOTATION = "montecarlo.vatic.io/cached-without";
export const HISTORY_PNL_FIELD = "spec.trader.history.pnl";

interface HistorySpec {
  trader?: { history?: { pnl?: unknown } };
}

export function simulationCacheTransform(sim: SimulationObject): SimulationObject {
  const lean = withoutBookkeeping(sim);
  const spec = lean.spec as HistorySpec | undefined;
  const history = spec?.trader?.history;
  if (history?.pnl === undefined) return lean;
  const { pnl: _pnl, ...rest } = history;
  return {
    ...lean,
    metadata: {
      ...lean.metadata,
      annotations: {
        ...lean.metadata.annotations,
        [CACHED_WITHOUT_ANNOTATION]: HISTORY_PNL_FIELD,
      },
    },
    spec: { ...spec, trader: { ...spec?.trader, history: rest } },
  };
}

/** Whether this copy came from the cache without part of its spec. */
export function isStripped(sim: SimulationObject): boolean {
  return sim.metadata.annotations?.[CACHED_WITHOUT_ANNOTATION] !== undefined;
}

/**
 * The spec to admit: a stripped copy's history stands in as one trade. Used
 * only where no run can start: without a usable platform (the outcome is a
 * refusal either way, and an invalid history, which the CRD schema already
 * refuses at the API server, is reported once the platform is there and the
 * full object is read), and while this process holds a run of the
 * generation (admitted on the full object when it launched; no decision
 * submits until it is released).
 */
export function specForAdmission(sim: SimulationObject): unknown {
  if (!isStripped(sim)) return sim.spec;
  const spec = sim.spec as HistorySpec;
  return { ...spec, trader: { ...spec.trader, history: { ...spec.trader?.history, pnl: [0] } } };
}
