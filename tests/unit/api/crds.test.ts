import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderCrds } from "../../../src/api/render-crds.ts";

type Schema = { [key: string]: unknown };

/** Paths of properties lacking a description, so `kubectl explain` teaches every field. */
function undocumented(schema: Schema, path: string): string[] {
  const missing: string[] = [];
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [name, child] of Object.entries(props)) {
    const childPath = `${path}.${name}`;
    if (!child.description && name !== "metadata") missing.push(childPath);
    missing.push(...undocumented(child, childPath));
  }
  if (schema.items) missing.push(...undocumented(schema.items as Schema, `${path}[]`));
  return missing;
}

// The cases below come from the generator: an empty list must fail, not pass.
it("renders one CRD per kind, and crds/ holds exactly those", () => {
  const files = renderCrds().map(([file]) => file);
  expect(files.toSorted()).toEqual([
    "montecarloplatforms.montecarlo.vatic.io.yaml",
    "montecarlosimulations.montecarlo.vatic.io.yaml",
  ]);
  const committed = readdirSync(new URL("../../../crds/", import.meta.url));
  expect(committed.filter((f) => f.endsWith(".yaml")).toSorted()).toEqual(files.toSorted());
});

describe.each(renderCrds())("%s", (file, text) => {
  it("matches the committed file (run `npm run generate` after changing src/api)", () => {
    expect(readFileSync(new URL(`../../../crds/${file}`, import.meta.url), "utf8")).toBe(text);
  });

  it("documents every field", () => {
    const crd = parse(text);
    const schema = crd.spec.versions[0].schema.openAPIV3Schema as Schema;
    expect(undocumented(schema, "")).toEqual([]);
  });

  it("is structural: every node has a type and nothing uses additionalProperties: false", () => {
    const untyped: string[] = [];
    const visit = (node: Schema, path: string) => {
      if (node.type === undefined) untyped.push(path);
      expect(node.additionalProperties).not.toBe(false);
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
        visit(v, `${path}.${k}`);
      }
      if (node.items) visit(node.items as Schema, `${path}[]`);
    };
    visit(parse(text).spec.versions[0].schema.openAPIV3Schema, "");
    expect(untyped).toEqual([]);
  });
});
