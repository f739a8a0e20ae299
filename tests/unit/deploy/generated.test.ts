// manifests/ holds copies that hack/gen-manifests.ts makes from the sources
// kustomize may not reach (crds/, ray/serve-config.yaml). They must be fresh.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { blockScalar, renderGenerated } from "../../../hack/gen-manifests.ts";
import { SERVE_CONFIG_BASE_ANNOTATION } from "../../../src/api/platform.ts";
import { manifest, REPO, read } from "./manifest-files.ts";

describe("generated manifests", () => {
  // The cases below come from the generator: an empty list must fail, not pass.
  it("generates a copy of each CRD and the serve-config patch", () => {
    const crds = readdirSync(`${REPO}crds`).filter((f) => f.endsWith(".yaml"));
    expect(crds.length).toBeGreaterThan(0);
    expect([...renderGenerated().keys()].toSorted()).toEqual(
      [
        ...crds.map((f) => `manifests/base/crds/${f}`),
        "manifests/base/ray/serve-config.patch.yaml",
      ].toSorted(),
    );
  });

  it.each([...renderGenerated()].map(([path, text]) => [path, text] as const))(
    "%s is up to date (run: node hack/gen-manifests.ts)",
    (path, text) => {
      expect(read(path)).toBe(text);
    },
  );

  it("embeds ray/serve-config.yaml in the RayService's serve config base byte for byte", () => {
    const patch = manifest("manifests/base/ray/serve-config.patch.yaml", "RayService");
    expect(patch.metadata.annotations[SERVE_CONFIG_BASE_ANNOTATION]).toBe(
      read("ray/serve-config.yaml"),
    );
    expect(patch).not.toHaveProperty("spec");
    const rayService = manifest("manifests/base/ray/rayservice.yaml", "RayService");
    expect(patch.metadata).toMatchObject({
      name: rayService.metadata.name,
      namespace: rayService.metadata.namespace,
    });
  });

  it("lists every CRD of crds/ in the base", () => {
    const kustomization = parse(read("manifests/base/kustomization.yaml"));
    const crds = readdirSync(`${REPO}crds`).filter((f) => f.endsWith(".yaml"));
    for (const file of crds) expect(kustomization.resources).toContain(`crds/${file}`);
  });

  it.each([
    ["a trailing newline", "a: 1\nb: 2\n"],
    ["no trailing newline", "a: 1"],
    ["several trailing newlines", "a: 1\n\n\n"],
    ["blank lines and indentation inside", "a:\n\n  - b  \n\t# tab\n"],
    ["a leading space", "  a: 1\n"],
    ["quotes and colons", "x: \"y: z\" # 'q'\n"],
  ])("block scalars round-trip text with %s", (_name, text) => {
    expect(parse(`k: ${blockScalar(text, 2)}`).k).toBe(text);
  });
});
