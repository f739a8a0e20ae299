/**
 * Pure editing of a RayService's `spec.serveConfigV2` (Ray Serve's
 * multi-application config, a YAML string): the platform's bounds go into
 * one deployment (serve-keys.ts); every other byte stays as it was.
 *
 * One model: `yaml` reads the text into its concrete syntax tree (every
 * space, comment and newline a token) and composes the document tree on it,
 * each node keeping its source token. The document tree says where things
 * are; an edit rewrites their tokens in place, and the result is the tokens
 * written back out. Nothing is re-serialised, so untouched values keep their
 * text (`12345678901234567891`, `0123`, quotes, spacing, CRLF). Where no
 * in-place edit exists (a flow mapping that needs a key, an empty
 * `autoscaling_config:`, a tagged value, anchors, aliases or merge keys in
 * the deployment) the edit is refused with InvalidServeConfig, saying what
 * to change. Each result is read back: it must hold the bounds and equal the
 * original everywhere else, or it is refused too.
 *
 * A deployment missing from `deployments` is reported, not added: Serve fails
 * the whole application when the config names a deployment its code lacks.
 */
import {
  Composer,
  CST,
  isMap,
  isScalar,
  type Pair,
  Parser,
  parse,
  type Scalar,
  type YAMLMap,
} from "yaml";
import {
  type ServeConfigErrorReason,
  ServeConfigErrorReasons,
  type ServeConfigNoteReason,
  ServeConfigNoteReasons,
} from "./reasons.ts";
import * as keys from "./serve-keys.ts";
import { locate, Refused, refuse } from "./serve-target.ts";
import { appendLines, columnOf, lastNewline, removeItem, tokensOf } from "./yaml-tokens.ts";

/** Something the edit did besides setting the bounds; each becomes an Event. */
export interface ServeConfigNote {
  readonly reason: ServeConfigNoteReason;
  readonly message: string;
}

/** One owned value that differed: `field` is its path inside the deployment. */
export interface FieldChange {
  readonly field: string;
  /** The value found (undefined when the key was absent). */
  readonly from: unknown;
  readonly to: number;
}

export type ServeConfigEdit =
  | {
      readonly ok: true;
      /** The edited document; identical to the input when `changed` is false. */
      readonly text: string;
      readonly changed: boolean;
      readonly changes: readonly FieldChange[];
      readonly notes: readonly ServeConfigNote[];
    }
  | { readonly ok: false; readonly reason: ServeConfigErrorReason; readonly message: string };

/** Applies `bounds` to `target` inside the serveConfigV2 document `source`. */
export function editServeConfig(
  source: string,
  target: keys.ServeTarget,
  bounds: keys.ServeBounds,
): ServeConfigEdit {
  try {
    const { changes, notes, text } = plan(source, target, bounds);
    if (changes.length + notes.length === 0)
      return { ok: true, text: source, changed: false, changes, notes };
    // Read back: a token edit gone wrong must surface as a refusal, never as a document.
    const again = plan(text, target, bounds);
    const rest = (doc: string) =>
      JSON.stringify(keys.withoutOwned(parse(doc, { logLevel: "error" }), target));
    if (again.changes.length + again.notes.length > 0 || rest(text) !== rest(source)) {
      refuse("the bounds cannot be written in place without changing other content");
    }
    return { ok: true, text, changed: true, changes, notes };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.reason, message: err.message };
    const message = `serveConfigV2 cannot be read: ${(err as Error).message}`;
    return { ok: false, reason: ServeConfigErrorReasons.InvalidServeConfig, message };
  }
}

function plan(source: string, target: keys.ServeTarget, bounds: keys.ServeBounds) {
  const tokens = [...new Parser().parse(source)];
  const docs = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
  if (docs.length !== 1) refuse(`serveConfigV2 holds ${docs.length} YAML documents, not one`);
  const error = docs[0]!.errors[0];
  if (error) refuse(`serveConfigV2 is not valid YAML: ${error.message}`);
  const deployment = locate(docs[0]!, target);
  const edit = new Editor(source, tokens);
  // Removals first: an appended key may follow the line of a removed one.
  edit.renameRemoved(deployment, keys.REMOVED_DEPLOYMENT_KEYS, "");
  edit.removeNumReplicas(deployment);
  const autoscaling = deployment.get(keys.AUTOSCALING, true);
  const prefix = `${keys.AUTOSCALING}.`;
  if (isMap(autoscaling)) edit.renameRemoved(autoscaling, keys.REMOVED_AUTOSCALING_KEYS, prefix);
  edit.set(deployment, "max_ongoing_requests", bounds.maxOngoingRequests, "");
  const owned = Object.entries(keys.ownedAutoscaling(bounds));
  if (autoscaling === undefined) {
    for (const [key, to] of owned) edit.changes.push({ field: prefix + key, from: undefined, to });
    edit.append(deployment, keys.AUTOSCALING, owned);
  } else if (isMap(autoscaling)) {
    for (const [key, to] of owned) edit.set(autoscaling, key, to, prefix);
    edit.clampInitialReplicas(autoscaling, bounds);
  } else {
    refuse(`${keys.AUTOSCALING} is empty or not a mapping: give it the bounds or remove it`);
  }
  return { changes: edit.changes, notes: edit.notes, text: edit.text() };
}

const findPair = (map: YAMLMap, key: string) =>
  map.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair<Scalar> | undefined;
const number = (value: number) => (Number.isInteger(value) ? value.toFixed(0) : String(value));

/** Collects the changes and rewrites the source tokens of what it changes. */
class Editor {
  readonly changes: FieldChange[] = [];
  readonly notes: ServeConfigNote[] = [];
  private readonly source: string;
  private readonly tokens: CST.Token[];
  constructor(source: string, tokens: CST.Token[]) {
    this.source = source;
    this.tokens = tokens;
  }

  text(): string {
    return this.tokens.map((t) => CST.stringify(t)).join("");
  }

  /** Sets `key` of `map` to `value` unless it already holds that number. */
  set(map: YAMLMap, key: string, value: number, prefix: string): void {
    const pair = findPair(map, key);
    if (!pair) {
      this.changes.push({ field: prefix + key, from: undefined, to: value });
      this.append(map, key, value, prefix);
      return;
    }
    const node = pair.value as Scalar | null;
    if (node?.value === value) return;
    this.changes.push({ field: prefix + key, from: node?.value ?? undefined, to: value });
    if (node?.tag) refuse(`${prefix}${key} carries the tag ${node.tag}; write a plain number`);
    const item = this.item(map, pair);
    const colon = item.sep?.find((t) => t.type === "map-value-ind");
    if (!item.value && colon) {
      colon.source = `: ${number(value)}`; // `key:` with nothing after it
    } else if (CST.isScalar(item.value) && item.value.type !== "block-scalar") {
      Object.assign(item.value, { type: "scalar", source: number(value) });
    } else {
      refuse(`${prefix}${key} is not a plain value; write it as a number`);
    }
  }

  /** Adds a key after the mapping's last entry, at the column of its keys. */
  append(map: YAMLMap, key: string, value: number | [string, number][], prefix = ""): void {
    const token = map.srcToken;
    const keyed = token?.type === "block-map" ? token.items.filter((i) => i.key) : [];
    if (keyed.length === 0)
      refuse(
        `${prefix}${key} cannot be added in place to a flow mapping {...}; write the mapping as a block`,
      );
    const pad = " ".repeat(columnOf(this.source, keyed[0]!.key!.offset));
    const lines =
      typeof value === "number"
        ? [`${pad}${key}: ${number(value)}`]
        : [`${pad}${key}:`, ...value.map(([k, v]) => `${pad}  ${k}: ${number(v)}`)];
    appendLines(keyed[keyed.length - 1]!, lines, this.source.includes("\r\n") ? "\r\n" : "\n");
  }

  /** Renames removed keys to their current names, or drops them when both are present. */
  renameRemoved(map: YAMLMap, renames: Record<string, string>, prefix: string): void {
    for (const [removed, current] of Object.entries(renames)) {
      const pair = findPair(map, removed);
      if (!pair) continue;
      const reason = ServeConfigNoteReasons.RemovedFieldReplaced;
      if (findPair(map, current)) {
        this.remove(map, pair);
        const message = `removed ${prefix}${removed} (Ray Serve no longer reads it; ${prefix}${current} is set)`;
        this.notes.push({ reason, message });
        continue;
      }
      Object.assign(this.item(map, pair).key as CST.FlowScalar, {
        type: "scalar",
        source: current,
      });
      pair.key.value = current;
      const message = `renamed ${prefix}${removed} to ${prefix}${current} (the old name is removed from Ray Serve)`;
      this.notes.push({ reason, message });
    }
  }

  /** An `initial_replicas` the author left must stay within [min, max] or Serve refuses the app. */
  clampInitialReplicas(autoscaling: YAMLMap, bounds: keys.ServeBounds): void {
    const found = (findPair(autoscaling, "initial_replicas")?.value as Scalar | null)?.value;
    if (bounds.initialReplicas !== undefined || typeof found !== "number") return;
    const clamped = Math.min(Math.max(found, bounds.minReplicas), bounds.maxReplicas);
    if (clamped === found) return;
    this.set(autoscaling, "initial_replicas", clamped, `${keys.AUTOSCALING}.`);
    this.notes.push({
      reason: ServeConfigNoteReasons.InitialReplicasClamped,
      message: `${keys.AUTOSCALING}.initial_replicas ${found} lay outside [${bounds.minReplicas}, ${bounds.maxReplicas}]; set to ${clamped}`,
    });
  }

  /** Serve rejects a fixed `num_replicas` beside `autoscaling_config` ("auto" is allowed). */
  removeNumReplicas(deployment: YAMLMap): void {
    const pair = findPair(deployment, "num_replicas");
    const value = (pair?.value as Scalar | null)?.value;
    if (!pair || value === "auto") return;
    this.remove(deployment, pair);
    this.notes.push({
      reason: ServeConfigNoteReasons.NumReplicasRemoved,
      message: `removed num_replicas: ${String(value)} (not allowed beside ${keys.AUTOSCALING}; use initialReplicas on the platform)`,
    });
  }

  private remove(map: YAMLMap, pair: Pair<Scalar>): void {
    const item = this.item(map, pair);
    const inPlace = map.srcToken?.type === "block-map" && lastNewline(item);
    if (!inPlace || !removeItem(tokensOf(this.tokens), item)) {
      refuse(`${String(pair.key.value)} cannot be removed in place: it shares its line`);
    }
    map.items.splice(map.items.indexOf(pair), 1);
  }

  private item(map: YAMLMap, pair: Pair<Scalar>) {
    const token = map.srcToken;
    const items =
      token?.type === "block-map" || token?.type === "flow-collection" ? token.items : [];
    const found = items.find((i) => i.key && i.key === pair.key.srcToken);
    return found ?? refuse(`${String(pair.key.value)} has no source token`);
  }
}
