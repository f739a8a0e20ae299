// Which simulations a change of a MonteCarloPlatform wakes, and which changes
// wake none. The simulation reconciler reads only a platform's spec (its
// endpoint and limits), so an update that leaves the spec alone, such as the
// platform controller's own status writes, carries nothing a simulation
// acts on: waking every unfinished simulation of the platform for it would
// be a reconcile, a zod parse and a database read each, for nothing.
import { type PlatformObject, platformNameOf, type SimulationObject } from "../../api/objects.ts";
import { isTerminal } from "./status.ts";

/** The update left the platform's spec as it was: the same object, the same generation. */
export function isSpecUnchanged(old: PlatformObject, platform: PlatformObject): boolean {
  const before = old.metadata;
  const after = platform.metadata;
  return (
    before.uid === after.uid &&
    before.generation !== undefined &&
    before.generation === after.generation
  );
}

/** The unfinished simulations on this platform, as work-queue keys. */
export function simulationsOnPlatform(
  platform: PlatformObject,
  simulations: readonly SimulationObject[],
): string[] {
  const name = platform.metadata.name;
  const keys: string[] = [];
  for (const s of simulations) {
    if (platformNameOf(s) !== name || isTerminal(s.status, s.metadata.generation)) continue;
    keys.push(`${s.metadata.namespace}/${s.metadata.name}`);
  }
  return keys;
}
