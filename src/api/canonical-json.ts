// Canonical JSON (keys sorted, no whitespace) so that equal requests hash
// equally whatever order their fields were written in. Stored rows keep the
// hash of this text, so its output must never change (tests pin it).
import { hash } from "node:crypto";

/**
 * Built by appending to one string: a simulation's reconciles hash its spec
 * several times, and building arrays of entries and parts for every object
 * cost more than the hash itself (docs/performance.md).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      // An undefined element is written as nothing, as join() wrote it.
      out += `${i > 0 ? "," : ""}${canonicalJson(value[i]) ?? ""}`;
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  let out = "";
  for (const key of Object.keys(object).sort()) {
    const field = object[key];
    if (field === undefined) continue;
    out += `${out ? "," : ""}${JSON.stringify(key)}:${canonicalJson(field)}`;
  }
  return `{${out}}`;
}

/** One-shot: about half the CPU of a Hash object for these short texts. */
export function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}
