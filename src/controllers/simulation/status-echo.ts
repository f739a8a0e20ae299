// Which watch updates of a simulation need no reconcile: the echo of the
// controller's own Pending or Running status write, of the write that
// finishes it (Succeeded or Failed: that reconcile scheduled the TTL), and
// of its finalizer patch (the reconcile that adds the finalizer goes on in
// the same pass).
// The reconcile that wrote it already acted on everything that update
// carries, and whatever comes next
// (a result, a free slot, a retry gate, a deadline) enqueues the simulation
// on its own. Skipping the echo saves a reconcile per write: a zod parse of
// the spec, a database read and a status comparison that finds no change.
// Anything else still reconciles: a spec change (generation), deletion,
// anyone else's finalizer change, a change between terminal statuses, a
// status someone else rewrote to an unknown phase, and every resync.
import type { SimulationObject } from "../../api/objects.ts";
import { statusEquals } from "../../api/status-equality.ts";
import { FINALIZER } from "./reasons.ts";
import { isTerminal } from "./status.ts";

const IN_PROGRESS: ReadonlySet<string> = new Set(["Pending", "Running"]);

/** The update is the echo of one of the controller's own writes (skipUpdate). */
export const isOwnEcho = (old: SimulationObject, sim: SimulationObject): boolean =>
  isStatusEcho(old, sim) || isFinalizerEcho(old, sim);

export function isStatusEcho(old: SimulationObject, sim: SimulationObject): boolean {
  const before = old.metadata;
  const after = sim.metadata;
  return (
    before.uid === after.uid &&
    before.generation === after.generation &&
    before.deletionTimestamp === after.deletionTimestamp &&
    sameList(before.finalizers, after.finalizers) &&
    sim.status?.observedGeneration === after.generation &&
    (IN_PROGRESS.has(sim.status?.phase ?? "") || finishes(old, sim))
  );
}

/** The update takes this generation from not finished to finished, as observe judges it. */
function finishes(old: SimulationObject, sim: SimulationObject): boolean {
  return (
    isTerminal(sim.status, sim.metadata.generation) &&
    !isTerminal(old.status, old.metadata.generation)
  );
}

/** Only our finalizer was added, at the end, as the reconciler adds it. */
export function isFinalizerEcho(old: SimulationObject, sim: SimulationObject): boolean {
  const before = old.metadata;
  const after = sim.metadata;
  const had = before.finalizers ?? [];
  return (
    before.uid === after.uid &&
    before.generation === after.generation &&
    before.deletionTimestamp === after.deletionTimestamp &&
    !had.includes(FINALIZER) &&
    sameList([...had, FINALIZER], after.finalizers) &&
    statusEquals(old.status, sim.status)
  );
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
