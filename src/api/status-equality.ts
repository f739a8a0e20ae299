// One notion of "the status did not change" for every controller: the same
// JSON value (key order and undefined fields do not count), so that a
// reconcile that computes the same status writes nothing. Compared in place:
// every reconcile asks, and building canonical JSON texts to compare cost
// more than the rest of deciding (docs/performance.md).

export function statusEquals(a: unknown, b: unknown): boolean {
  return sameJson(a ?? {}, b ?? {});
}

type Json = Record<string, unknown>;

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => sameJson(item, b[i]))
    );
  }
  const keys = definedKeys(a as Json);
  return (
    keys.length === definedKeys(b as Json).length &&
    keys.every((k) => sameJson((a as Json)[k], (b as Json)[k]))
  );
}

function definedKeys(object: Json): string[] {
  return Object.keys(object).filter((k) => object[k] !== undefined);
}

/** Longest status or Event message written: a long simulator error must not wedge status writes. */
export const MAX_MESSAGE_BYTES = 1024;

/** `message` cut to at most MAX_MESSAGE_BYTES of UTF-8, marked with an ellipsis when cut. */
export function boundedMessage(message: string): string {
  if (Buffer.byteLength(message, "utf8") <= MAX_MESSAGE_BYTES) return message;
  const ellipsis = "…";
  let cut = message.slice(0, MAX_MESSAGE_BYTES);
  while (Buffer.byteLength(cut + ellipsis, "utf8") > MAX_MESSAGE_BYTES) cut = cut.slice(0, -1);
  // Never end on half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + ellipsis;
}
