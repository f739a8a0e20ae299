/**
 * Pure editing of a RayService's `spec.serveConfigV2` (Ray Serve's
 * multi-application config, a YAML string).
 *
 * Only one deployment of one application is touched, and inside it only
 * `max_ongoing_requests` and the autoscaling keys the platform owns. Every
 * other application, field, comment and the key order stay as they were: the
 * Ray dashboard drops any application missing from a PUT, and a diff of the
 * RayService should show only what the platform changed.
 *
 * How: the document is parsed with `yaml`'s Document API, the edit is made on
 * that tree (the model of the result), and the same edit is also expressed as
 * splices of the original text. The spliced text is used when it parses to
 * exactly the edited tree, so untouched bytes stay untouched; otherwise (flow
 * collections that would need new keys, and other rare shapes) the edited
 * tree is serialised, which keeps comments and key order but may normalise
 * spacing.
 *
 * A deployment that is defined in the application's code but missing from
 * the config's `deployments` list is reported (`DeploymentNotFound`), not
 * added: Serve fails the whole application when the config overrides a
 * deployment its code does not define, so a typo in the platform would take
 * the simulator down. The owner of the serve config lists the deployment
 * (`- name: MonteCarloSimulator`) once; the platform manages its bounds.
 */
import { isDeepStrictEqual } from "node:util";
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
  type YAMLMap,
} from "yaml";
import { afterLine, applySplices, columnOf, lineStart, type TextSplice } from "./text-splice.ts";

/** The Serve settings the platform owns, in the platform's own names. */
export interface ServeBounds {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetOngoingRequests: number;
  readonly initialReplicas?: number | undefined;
  readonly upscaleDelaySeconds?: number | undefined;
  readonly downscaleDelaySeconds?: number | undefined;
  readonly maxOngoingRequests: number;
}

/** Which deployment of which application inside serveConfigV2. */
export interface ServeTarget {
  readonly application: string;
  readonly deployment: string;
}

export const ServeConfigErrorReasons = {
  InvalidServeConfig: "InvalidServeConfig",
  ApplicationNotFound: "ApplicationNotFound",
  DeploymentNotFound: "DeploymentNotFound",
} as const;
export type ServeConfigErrorReason =
  (typeof ServeConfigErrorReasons)[keyof typeof ServeConfigErrorReasons];

/** Event reasons of the clean-ups made beside the bounds. */
export const ServeConfigNoteReasons = {
  /** A removed Ray Serve key was renamed to (or dropped in favour of) its current name. */
  RemovedFieldReplaced: "RemovedFieldReplaced",
  /** `num_replicas` was removed because it may not stand beside `autoscaling_config`. */
  NumReplicasRemoved: "NumReplicasRemoved",
  /** An `initial_replicas` the platform does not set was moved into the new bounds. */
  InitialReplicasClamped: "InitialReplicasClamped",
} as const;
export type ServeConfigNoteReason =
  (typeof ServeConfigNoteReasons)[keyof typeof ServeConfigNoteReasons];

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

/** Current Ray Serve names of the removed ones. */
const REMOVED_DEPLOYMENT_KEYS = { max_concurrent_queries: "max_ongoing_requests" } as const;
const REMOVED_AUTOSCALING_KEYS = {
  target_num_ongoing_requests_per_replica: "target_ongoing_requests",
} as const;

/** Applies `bounds` to `target` inside the serveConfigV2 document `source`. */
export function editServeConfig(
  source: string,
  target: ServeTarget,
  bounds: ServeBounds,
): ServeConfigEdit {
  const doc = parseDocument(source, { prettyErrors: false });
  if (doc.errors.length > 0) {
    return invalid(`serveConfigV2 is not valid YAML: ${doc.errors[0]!.message}`);
  }
  const located = locate(doc, target);
  if (!located.ok) return located;

  const editor = new Editor(source, doc);
  const { deployment } = located;
  editor.renameRemovedKeys(deployment, REMOVED_DEPLOYMENT_KEYS, "");
  editor.setNumber(deployment, "max_ongoing_requests", bounds.maxOngoingRequests, "");

  const autoscaling = deployment.get("autoscaling_config", true) as Node | null | undefined;
  const owned = ownedAutoscaling(bounds);
  if (autoscaling === undefined || isEmptyScalar(autoscaling)) {
    editor.setMapping(deployment, "autoscaling_config", owned);
  } else if (isMap(autoscaling)) {
    const refused = refuseShared(autoscaling, "autoscaling_config");
    if (refused) return refused;
    editor.renameRemovedKeys(autoscaling, REMOVED_AUTOSCALING_KEYS, "autoscaling_config.");
    for (const [key, value] of Object.entries(owned)) {
      editor.setNumber(autoscaling, key, value, "autoscaling_config.");
    }
    editor.clampInitialReplicas(autoscaling, bounds);
  } else {
    return invalid(
      `autoscaling_config of deployment "${target.deployment}" in application "${target.application}" is not a mapping`,
    );
  }
  editor.removeNumReplicas(deployment);

  const refused = editor.refused();
  if (refused) return invalid(refused);
  if (editor.changes.length === 0 && editor.notes.length === 0) {
    return { ok: true, text: source, changed: false, changes: [], notes: [] };
  }
  return {
    ok: true,
    text: editor.render(),
    changed: true,
    changes: editor.changes,
    notes: editor.notes,
  };
}

/** The autoscaling keys the platform sets, in the order new keys are written. */
function ownedAutoscaling(bounds: ServeBounds): Record<string, number> {
  const owned: Record<string, number> = {
    min_replicas: bounds.minReplicas,
    max_replicas: bounds.maxReplicas,
  };
  if (bounds.initialReplicas !== undefined) owned.initial_replicas = bounds.initialReplicas;
  owned.target_ongoing_requests = bounds.targetOngoingRequests;
  if (bounds.upscaleDelaySeconds !== undefined) owned.upscale_delay_s = bounds.upscaleDelaySeconds;
  if (bounds.downscaleDelaySeconds !== undefined) {
    owned.downscale_delay_s = bounds.downscaleDelaySeconds;
  }
  return owned;
}

type Located =
  | { ok: true; deployment: YAMLMap }
  | { ok: false; reason: ServeConfigErrorReason; message: string };

function locate(doc: Document.Parsed, target: ServeTarget): Located {
  const root = doc.contents;
  if (!isMap(root)) return invalid("serveConfigV2 is not a mapping with an applications list");
  const applications = root.get("applications", true);
  if (!isSeq(applications)) return invalid("serveConfigV2 has no applications list");

  const appNames: string[] = [];
  let app: YAMLMap | undefined;
  for (const item of applications.items) {
    const node = resolved(doc, item);
    if (!isMap(node)) continue;
    const name = node.get("name");
    if (typeof name === "string") appNames.push(name);
    if (name === target.application) {
      if (isAlias(item)) return invalid(`application "${name}" is a YAML alias`);
      app = node;
      break;
    }
  }
  if (!app) {
    return {
      ok: false,
      reason: ServeConfigErrorReasons.ApplicationNotFound,
      message: `application "${target.application}" not found in serveConfigV2 (applications: ${
        appNames.length > 0 ? appNames.join(", ") : "none"
      })`,
    };
  }

  const deployments = resolved(doc, app.get("deployments", true));
  const depNames: string[] = [];
  if (isSeq(deployments)) {
    for (const item of deployments.items) {
      const node = resolved(doc, item);
      if (!isMap(node)) continue;
      const name = node.get("name");
      if (typeof name === "string") depNames.push(name);
      if (name === target.deployment) {
        if (isAlias(item) || isAlias(app.get("deployments", true))) {
          return invalid(`deployment "${name}" is defined through a YAML alias`);
        }
        return refuseShared(node, `deployment "${name}"`) ?? { ok: true, deployment: node };
      }
    }
  }
  return {
    ok: false,
    reason: ServeConfigErrorReasons.DeploymentNotFound,
    message:
      `deployment "${target.deployment}" not listed in application "${target.application}" ` +
      `(deployments: ${depNames.length > 0 ? depNames.join(", ") : "none"}); ` +
      `add "- name: ${target.deployment}" to its deployments so the platform can manage its bounds`,
  };
}

function resolved(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** Editing an anchored node would also change every alias of it elsewhere. */
function refuseShared(node: YAMLMap, what: string) {
  return node.anchor
    ? invalid(`${what} carries the YAML anchor &${node.anchor}; anchored nodes are not edited`)
    : undefined;
}

function invalid(message: string) {
  return { ok: false as const, reason: ServeConfigErrorReasons.InvalidServeConfig, message };
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && (node.value === null || node.value === undefined);
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair | undefined;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toFixed(0) : String(value);
}

function displayValue(node: unknown): unknown {
  if (isScalar(node)) return node.value;
  if (isAlias(node)) return `*${node.source}`;
  return node === null || node === undefined ? undefined : String(node);
}

/**
 * Collects the edit twice: on the parsed tree and as splices of the source.
 * `spliceable` turns false when a change has no safe textual form; the
 * rendered text then comes from the tree.
 */
class Editor {
  readonly changes: FieldChange[] = [];
  readonly notes: ServeConfigNote[] = [];
  private readonly source: string;
  private readonly doc: Document.Parsed;
  private readonly splices: TextSplice[] = [];
  private readonly appends = new Map<YAMLMap, [string, number | Record<string, number>][]>();
  private spliceable = true;
  private refusal: string | undefined;

  constructor(source: string, doc: Document.Parsed) {
    this.source = source;
    this.doc = doc;
  }

  refused(): string | undefined {
    return this.refusal;
  }

  /** Sets `key` of `map` to `value` unless it already holds that number. */
  setNumber(map: YAMLMap, key: string, value: number, prefix: string): void {
    const pair = findPair(map, key);
    if (!pair) {
      this.changes.push({ field: prefix + key, from: undefined, to: value });
      this.append(map, key, value);
      return;
    }
    const node = pair.value;
    if (isScalar(node) && typeof node.value === "number" && node.value === value) return;
    if ((isScalar(node) || isAlias(node)) && node.anchor) {
      this.refusal = `${prefix}${key} carries the YAML anchor &${node.anchor}; anchored nodes are not edited`;
      return;
    }
    this.changes.push({ field: prefix + key, from: displayValue(node), to: value });
    const text = formatNumber(value);
    const range = (node as Node | null)?.range;
    if ((isScalar(node) || isAlias(node)) && range) {
      const empty = range[0] === range[1];
      this.splices.push({ start: range[0], end: range[1], text: empty ? ` ${text}` : text });
    } else {
      this.spliceable = false;
    }
    if (isScalar(node)) {
      // Keep the node (and its comment); drop what belonged to the old text.
      node.value = value;
      node.type = Scalar.PLAIN;
      node.tag = undefined;
      node.format = undefined;
      node.minFractionDigits = undefined;
    } else {
      const scalar = new Scalar(value);
      if (node && typeof node === "object" && "comment" in node) {
        scalar.comment = (node as { comment?: string | null }).comment;
      }
      pair.value = scalar;
    }
  }

  /** Replaces an absent or empty `key` of `map` with a mapping of `values`. */
  setMapping(map: YAMLMap, key: string, values: Record<string, number>): void {
    for (const [k, v] of Object.entries(values)) {
      this.changes.push({ field: `${key}.${k}`, from: undefined, to: v });
    }
    const pair = findPair(map, key);
    if (pair) {
      // `key:` with no value: the text form would need a re-indented block.
      this.spliceable = false;
      pair.value = this.doc.createNode(values);
      return;
    }
    this.append(map, key, values);
  }

  /** Renames removed keys to their current names, or drops them when both are present. */
  renameRemovedKeys(map: YAMLMap, renames: Record<string, string>, prefix: string): void {
    for (const [removed, current] of Object.entries(renames)) {
      const pair = findPair(map, removed);
      if (!pair) continue;
      if (findPair(map, current)) {
        this.deletePair(map, pair);
        this.notes.push({
          reason: ServeConfigNoteReasons.RemovedFieldReplaced,
          message: `removed ${prefix}${removed} (Ray Serve no longer reads it; ${prefix}${current} is set)`,
        });
        continue;
      }
      const keyNode = pair.key as Scalar;
      this.splices.push({ start: keyNode.range![0], end: keyNode.range![1], text: current });
      keyNode.value = current;
      keyNode.type = Scalar.PLAIN;
      this.notes.push({
        reason: ServeConfigNoteReasons.RemovedFieldReplaced,
        message: `renamed ${prefix}${removed} to ${prefix}${current} (the old name is removed from Ray Serve)`,
      });
    }
  }

  /** An `initial_replicas` left by the author must stay within [min, max] or Serve refuses the app. */
  clampInitialReplicas(autoscaling: YAMLMap, bounds: ServeBounds): void {
    if (bounds.initialReplicas !== undefined) return;
    const node = findPair(autoscaling, "initial_replicas")?.value;
    if (!isScalar(node) || typeof node.value !== "number") return;
    const found = node.value;
    const clamped = Math.min(Math.max(found, bounds.minReplicas), bounds.maxReplicas);
    if (clamped === found) return;
    this.setNumber(autoscaling, "initial_replicas", clamped, "autoscaling_config.");
    this.notes.push({
      reason: ServeConfigNoteReasons.InitialReplicasClamped,
      message: `autoscaling_config.initial_replicas ${found} lay outside [${bounds.minReplicas}, ${bounds.maxReplicas}]; set to ${clamped}`,
    });
  }

  /** Serve rejects a fixed `num_replicas` beside `autoscaling_config` ("auto" is allowed). */
  removeNumReplicas(deployment: YAMLMap): void {
    const pair = findPair(deployment, "num_replicas");
    if (!pair) return;
    const value = displayValue(pair.value);
    if (value === "auto") return;
    this.deletePair(deployment, pair);
    this.notes.push({
      reason: ServeConfigNoteReasons.NumReplicasRemoved,
      message: `removed num_replicas: ${String(value)} (not allowed beside autoscaling_config; use initialReplicas on the platform)`,
    });
  }

  /** The edited document: the spliced source when it is faithful, else the serialised tree. */
  render(): string {
    for (const [map, entries] of this.appends) this.spliceAppend(map, entries);
    for (const [map, entries] of this.appends) {
      for (const [key, value] of entries) map.add(this.doc.createPair(key, value));
    }
    const fromTree = this.doc.toString({ lineWidth: 0, indentSeq: this.indentsSequences() });
    if (!this.spliceable) return fromTree;
    let spliced: string;
    try {
      spliced = applySplices(this.source, this.splices);
    } catch {
      return fromTree;
    }
    const check = parseDocument(spliced);
    if (check.errors.length === 0 && isDeepStrictEqual(check.toJS(), this.doc.toJS())) {
      return spliced;
    }
    return fromTree;
  }

  /** Whether the author indents block sequences under their key, as `applications` shows. */
  private indentsSequences(): boolean {
    const root = this.doc.contents;
    const pair = isMap(root) ? findPair(root, "applications") : undefined;
    const key = (pair?.key as Node | undefined)?.range;
    const seq = (pair?.value as Node | undefined)?.range;
    if (!key || !seq || !isSeq(pair?.value) || pair.value.flow) return true;
    return columnOf(this.source, seq[0]) > columnOf(this.source, key[0]);
  }

  private append(map: YAMLMap, key: string, value: number | Record<string, number>): void {
    const entries = this.appends.get(map) ?? [];
    entries.push([key, value]);
    this.appends.set(map, entries);
  }

  private deletePair(map: YAMLMap, pair: Pair): void {
    const keyRange = (pair.key as Node).range;
    const valueRange = (pair.value as Node | null)?.range;
    const start = keyRange ? lineStart(this.source, keyRange[0]) : -1;
    if (map.flow || !keyRange || this.source.slice(start, keyRange[0]).trim() !== "") {
      // e.g. the first key of a sequence item, which shares its line with "- ".
      this.spliceable = false;
    } else {
      const end = afterLine(this.source, valueRange ? valueRange[1] : keyRange[1]);
      this.splices.push({ start, end, text: "" });
    }
    map.items.splice(map.items.indexOf(pair), 1);
  }

  /** New keys go after the mapping's last entry, at the column of its keys. */
  private spliceAppend(map: YAMLMap, entries: [string, number | Record<string, number>][]): void {
    const first = map.items[0]?.key as Node | undefined;
    const last = map.items[map.items.length - 1];
    if (map.flow || !first?.range || !last) {
      this.spliceable = false;
      return;
    }
    const indent = " ".repeat(columnOf(this.source, first.range[0]));
    const lastEnd = ((last.value as Node | null)?.range ?? (last.key as Node).range)?.[1];
    if (lastEnd === undefined) {
      this.spliceable = false;
      return;
    }
    const at = afterLine(this.source, lastEnd);
    const lines: string[] = [];
    for (const [key, value] of entries) {
      if (typeof value === "number") {
        lines.push(`${indent}${key}: ${formatNumber(value)}`);
      } else {
        lines.push(`${indent}${key}:`);
        for (const [k, v] of Object.entries(value)) {
          lines.push(`${indent}  ${k}: ${formatNumber(v)}`);
        }
      }
    }
    const eol = this.source.includes("\r\n") ? "\r\n" : "\n";
    const needsNewline = at === this.source.length && !this.source.endsWith("\n");
    this.splices.push({
      start: at,
      end: at,
      text: `${needsNewline ? eol : ""}${lines.join(eol)}${eol}`,
    });
  }
}
