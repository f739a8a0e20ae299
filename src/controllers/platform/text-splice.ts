/**
 * Byte-level edits of a source text. The serve-config editor describes its
 * changes as splices of the original YAML so that everything it does not
 * touch (spacing before comments, quoting, indentation, blank lines) stays
 * byte for byte as the author wrote it; re-serialising the parsed document
 * would normalise all of that and turn a one-value change into a noisy diff.
 */

export interface TextSplice {
  /** Offset of the first replaced character. */
  readonly start: number;
  /** Offset after the last replaced character; equal to `start` for an insertion. */
  readonly end: number;
  readonly text: string;
}

/**
 * Applies splices that do not overlap. At one offset, insertions go before a
 * replacement that starts there, and insertions keep the order given.
 */
export function applySplices(source: string, splices: readonly TextSplice[]): string {
  const ordered = splices
    .map((s, i) => ({ s, i }))
    .sort(
      (a, b) =>
        a.s.start - b.s.start ||
        Number(a.s.end > a.s.start) - Number(b.s.end > b.s.start) ||
        a.i - b.i,
    )
    .map(({ s }) => s);
  let out = "";
  let cursor = 0;
  for (const s of ordered) {
    if (s.start < cursor || s.end < s.start) {
      throw new Error(`overlapping splice at ${s.start}`);
    }
    out += source.slice(cursor, s.start) + s.text;
    cursor = s.end;
  }
  return out + source.slice(cursor);
}

/** Offset of the first character of the line that holds `offset`. */
export function lineStart(source: string, offset: number): number {
  return source.lastIndexOf("\n", offset - 1) + 1;
}

/**
 * Offset just after the line that holds the character before `offset`
 * (after its newline, or the end of the text). A node's range that already
 * ends with a newline (block scalars, block collections) ends right there.
 */
export function afterLine(source: string, offset: number): number {
  if (offset > 0 && source[offset - 1] === "\n") return offset;
  const newline = source.indexOf("\n", offset);
  return newline < 0 ? source.length : newline + 1;
}

/** The column of `offset`, counted in characters from the start of its line. */
export function columnOf(source: string, offset: number): number {
  return offset - lineStart(source, offset);
}
