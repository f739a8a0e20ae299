// One notion of "the status did not change" for every controller: equal
// canonical JSON (key order and undefined fields do not count), so that a
// reconcile that computes the same status writes nothing.
import { canonicalJson } from "./canonical-json.ts";

export function statusEquals(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
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
