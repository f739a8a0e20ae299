// Which watch updates of a simulation need no reconcile: the echo of the
// controller's own Pending or Running status write. The reconcile that wrote
// it already acted on everything that update carries, and whatever comes next
// (a result, a free slot, a retry gate, a deadline) enqueues the simulation
// on its own. Skipping the echo saves a reconcile per write: a zod parse of
// the spec, a database read and a status comparison that finds no change.
// Anything else still reconciles: a spec change (generation), deletion,
// finalizers, a terminal status (its reconcile schedules the TTL), a status
// someone else rewrote to an unknown phase, and every resync.
import type { SimulationObject } from "../../api/objects.ts";

const IN_PROGRESS: ReadonlySet<string> = new Set(["Pending", "Running"]);

export function isStatusEcho(old: SimulationObject, sim: SimulationObject): boolean {
  const before = old.metadata;
  const after = sim.metadata;
  return (
    before.uid === after.uid &&
    before.generation === after.generation &&
    before.deletionTimestamp === after.deletionTimestamp &&
    sameList(before.finalizers, after.finalizers) &&
    sim.status?.observedGeneration === after.generation &&
    IN_PROGRESS.has(sim.status?.phase ?? "")
  );
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
