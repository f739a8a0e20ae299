/**
 * Which deployment of a serve config the platform edits, and when it must
 * not edit it. The target is found by application and deployment name; it is
 * refused when it is shared with other places through anchors and aliases
 * (an edit would change them too) or holds merge keys (which hide where a
 * value comes from). Refusals travel as exceptions to editServeConfig, which
 * returns them as its result.
 */
import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  visit,
  type YAMLMap,
} from "yaml";
import { type ServeConfigErrorReason, ServeConfigErrorReasons } from "./reasons.ts";
import type { ServeTarget } from "./serve-keys.ts";

/** A refusal travels as an exception from anywhere in the edit to editServeConfig's result. */
export class Refused extends Error {
  reason: ServeConfigErrorReason = ServeConfigErrorReasons.InvalidServeConfig;
}
export function refuse(message: string, reason?: ServeConfigErrorReason): never {
  throw Object.assign(new Refused(message), reason ? { reason } : {});
}

/** The target deployment's mapping in `doc`. */
export function locate(doc: Document.Parsed, target: ServeTarget): YAMLMap {
  const root = doc.contents;
  const apps = deref(doc, isMap(root) ? root.get("applications", true) : undefined);
  if (!isSeq(apps)) refuse("serveConfigV2 is not a mapping with an applications list");
  const app = named(doc, apps.items, target.application);
  if (!app.found) {
    const message = `application "${target.application}" not found in serveConfigV2 (applications: ${app.names})`;
    refuse(message, ServeConfigErrorReasons.ApplicationNotFound);
  }
  const list = app.found.get("deployments", true);
  const deployments = deref(doc, list);
  const dep = named(doc, isSeq(deployments) ? deployments.items : [], target.deployment);
  if (!dep.found) {
    const message =
      `deployment "${target.deployment}" not listed in application "${target.application}" ` +
      `(deployments: ${dep.names}); add "- name: ${target.deployment}" to its deployments so the platform can manage its bounds`;
    refuse(message, ServeConfigErrorReasons.DeploymentNotFound);
  }
  const what = `deployment "${target.deployment}"`;
  if (isAlias(list) || (isNode(deployments) && deployments.anchor) || app.shared || dep.shared) {
    refuse(`${what} is shared through a YAML anchor`);
  }
  // An anchored node is shared with its aliases; merge keys hide where a value comes from.
  visit(dep.found, (_key, node) => {
    if (isAlias(node)) refuse(`${what} contains the alias *${node.source}; write the values out`);
    if (isNode(node) && node.anchor) refuse(`${what} carries the YAML anchor &${node.anchor}`);
    if (isPair(node) && isScalar(node.key) && node.key.value === "<<") {
      refuse(`${what} contains a merge key (<<); write the merged keys out`);
    }
  });
  return dep.found;
}

const deref = (doc: Document.Parsed, node: unknown) => (isAlias(node) ? node.resolve(doc) : node);

function named(doc: Document.Parsed, items: unknown[], name: string) {
  const names: string[] = [];
  for (const item of items) {
    const node = deref(doc, item);
    const value = isMap(node) ? node.get("name") : undefined;
    if (typeof value === "string") names.push(value);
    if (value === name) {
      return { found: node as YAMLMap, shared: isAlias(item) || !!(node as YAMLMap).anchor };
    }
  }
  return { found: undefined, names: names.join(", ") || "none" };
}
