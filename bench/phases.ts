// Counts the simulations of one namespace by phase through a watch (the
// runtime's own informer), so waiting for 10,000 simulations does not list
// them again and again; and checks in the database that nothing was lost.

import pg from "pg";
import type { SimulationObject } from "../src/api/objects.ts";
import { SimulationResource } from "../src/api/resources.ts";
import { createInformer } from "../src/runtime/informer.ts";
import type { KubeConfig } from "../src/runtime/kube-config.ts";
import { stack } from "../tests/integration/harness.ts";

export interface PhaseWatch {
  count(phase: string): number;
  /** How many simulations were ever seen in `phase`. */
  ever(phase: string): number;
  /** Resolves with performance.now() when `n` simulations are in `phase`. */
  until(phase: string, n: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

export async function watchPhases(kubeConfig: KubeConfig, namespace: string): Promise<PhaseWatch> {
  const informer = createInformer<SimulationObject>({
    resource: SimulationResource,
    kubeConfig,
    listWatchOptions: { namespace },
    resyncPeriodMs: 0,
    transform: namesAndPhases,
  });
  const phases = new Map<string, string>();
  const counts = new Map<string, number>();
  const seen = new Map<string, Set<string>>();
  const waiters = new Set<() => void>();
  const set = (key: string, phase: string | undefined) => {
    const old = phases.get(key);
    if (old === phase) return;
    if (phase !== undefined) seen.set(phase, (seen.get(phase) ?? new Set()).add(key));
    if (old !== undefined) counts.set(old, (counts.get(old) ?? 0) - 1);
    if (phase === undefined) phases.delete(key);
    else {
      phases.set(key, phase);
      counts.set(phase, (counts.get(phase) ?? 0) + 1);
    }
    for (const check of waiters) check();
  };
  const keyOf = (s: SimulationObject) => `${s.metadata.namespace}/${s.metadata.name}`;
  informer.addHandlers({
    onAdd: (s) => set(keyOf(s), s.status?.phase ?? "None"),
    onUpdate: (_, s) => set(keyOf(s), s.status?.phase ?? "None"),
    onDelete: (s) => set(keyOf(s), undefined),
  });
  informer.start();
  await informer.waitForSync();
  const count = (phase: string) => counts.get(phase) ?? 0;
  return {
    count,
    ever: (phase) => seen.get(phase)?.size ?? 0,
    until(phase, n, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out: ${count(phase)} of ${n} simulations ${phase}`));
        }, timeoutMs);
        const check = () => {
          if (count(phase) < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(performance.now());
        };
        waiters.add(check);
        check();
      });
    },
    stop: () => informer.stop(),
  };
}

/** The bench reads names and phases only (histories would fill its heap). */
function namesAndPhases(sim: SimulationObject): SimulationObject {
  const { name, namespace, uid, generation, resourceVersion } = sim.metadata;
  return {
    apiVersion: sim.apiVersion,
    kind: sim.kind,
    metadata: { name, namespace, uid, generation, resourceVersion },
    spec: undefined,
    ...(sim.status?.phase ? { status: { phase: sim.status.phase } } : {}),
  };
}

/** The namespace's rows: all, completed, and the distinct uids among the completed. */
/** Rows of the simulations of `namespace` whose names start with `prefix`. */
export async function rowsOf(namespace: string, prefix = "") {
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT count(*)::int AS rows,
              count(*) FILTER (WHERE status = 'completed')::int AS completed,
              count(DISTINCT uid) FILTER (WHERE status = 'completed')::int AS uids
         FROM "SimulationJob" WHERE namespace = $1 AND starts_with(name, $2)`,
      [namespace, prefix],
    );
    return rows[0] as { rows: number; completed: number; uids: number };
  } finally {
    await db.end();
  }
}
