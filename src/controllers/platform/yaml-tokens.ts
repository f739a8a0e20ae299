/**
 * Line-level edits of `yaml`'s concrete syntax tree, for the serve-config
 * editor. The tree's tokens, read in order, spell the source exactly; where
 * the lexer puts a line's indentation (in the item, in the previous item's
 * tail, in the parent's separator) varies, so lines are found in that flat
 * order rather than in one item. An edit empties or extends token sources;
 * `CST.stringify` writes the result.
 */
import type { CST } from "yaml";

type AnyToken = CST.Token | CST.SourceToken | null | undefined;
type Item = CST.BlockMap["items"][number] | CST.CollectionItem;

/** The leaf tokens under `tokens`, in source order (the order `CST.stringify` writes them). */
export function tokensOf(tokens: readonly AnyToken[]): { type: string; source: string }[] {
  const out: { type: string; source: string }[] = [];
  const items = (list: readonly Item[]) => {
    for (const i of list) {
      i.start.forEach(walk);
      walk(i.key);
      i.sep?.forEach(walk);
      walk(i.value);
    }
  };
  function walk(t: AnyToken): void {
    if (!t) return;
    if (t.type === "document") {
      t.start.forEach(walk);
      walk(t.value);
      t.end?.forEach(walk);
    } else if (t.type === "block-map" || t.type === "block-seq") {
      items(t.items);
    } else if (t.type === "flow-collection") {
      walk(t.start);
      items(t.items);
      t.end.forEach(walk);
    } else if (t.type === "block-scalar") {
      t.props.forEach(walk);
      out.push(t);
    } else {
      out.push(t);
      if ("end" in t) t.end?.forEach(walk);
    }
  }
  tokens.forEach(walk);
  return out;
}

const own = (item: Item) => tokensOf([item.key, ...(item.sep ?? []), item.value]);

/** The newline token that ends the item's last line, if it has one. */
export function lastNewline(item: Item): { source: string } | undefined {
  return own(item).findLast((t) => t.type === "newline");
}

/** Writes `lines` after the item's last line (a nested mapping's lines included). */
export function appendLines(item: Item, lines: readonly string[], eol: string): void {
  const leaves = own(item);
  const at = leaves.findLast((t) => t.type === "newline") ?? leaves[leaves.length - 1]!;
  at.source += (at.type === "newline" ? "" : eol) + lines.join(eol) + eol;
}

/**
 * Removes the item's lines from `all` (the whole tree's leaves). Its own
 * indentation goes with it; so does the next line's, when the item was the
 * first key after a sequence's "- " and the next key must move up beside it.
 * Returns false when the item shares its line with something else.
 */
export function removeItem(all: { type: string; source: string }[], item: Item): boolean {
  const leaves = own(item);
  const from = all.indexOf(leaves[0]!);
  const to = all.indexOf(lastNewline(item) as { type: string; source: string });
  if (from < 0 || to < from) return false;
  const before = all[from - 1];
  const prior = all[from - 2];
  let range: [number, number];
  if (before?.type === "space" && (prior === undefined || prior.type === "newline")) {
    range = [from - 1, to];
  } else if (before?.type === "space" && prior?.type === "seq-item-ind") {
    if (all[to + 1]?.type !== "space") return false;
    range = [from, to + 1];
  } else {
    return false;
  }
  for (let i = range[0]; i <= range[1]; i++) all[i]!.source = "";
  return true;
}

/** The column of `offset`, counted in characters from the start of its line. */
export function columnOf(source: string, offset: number): number {
  return offset - (source.lastIndexOf("\n", offset - 1) + 1);
}
