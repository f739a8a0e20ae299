// The admission policy that sets the operator's finalizer at creation
// (manifests/components/simulation-finalizer-policy), read from its files.
// What it does to a create is tested on a real API server in
// tests/integration/lifecycle/finalizer.test.ts.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { GROUP } from "../../../src/api/group.ts";
import { FINALIZER } from "../../../src/controllers/simulation/reasons.ts";
import { manifest, read } from "./manifest-files.ts";

const DIR = "manifests/components/simulation-finalizer-policy";
const policy = manifest(`${DIR}/policy.yaml`, "MutatingAdmissionPolicy");
const binding = manifest(`${DIR}/policy.yaml`, "MutatingAdmissionPolicyBinding");

describe("the finalizer policy", () => {
  it("adds the operator's own finalizer, on creates of simulations only", () => {
    const expression: string = policy.spec.mutations[0].jsonPatch.expression;
    const named = [...expression.matchAll(/"([a-z0-9.-]+\/[a-z0-9.-]+)"/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set([FINALIZER]));
    expect(policy.spec.matchConstraints.resourceRules).toEqual([
      {
        apiGroups: [GROUP],
        apiVersions: ["*"],
        operations: ["CREATE"],
        resources: ["montecarlosimulations"],
      },
    ]);
  });

  it("never refuses a create: a failing policy leaves the finalizer to the operator", () => {
    expect(policy.spec.failurePolicy).toBe("Ignore");
    expect(binding.spec.policyName).toBe(policy.metadata.name);
  });

  it("is a component of the dev overlay, and left to opt in elsewhere", () => {
    const components = (dir: string) => parse(read(`${dir}/kustomization.yaml`)).components ?? [];
    expect(components("manifests/overlays/dev")).toContain(`../../components/${DIR.split("/")[2]}`);
    expect(components("manifests/overlays/prod")).toEqual([]);
    expect(parse(read(`${DIR}/kustomization.yaml`)).kind).toBe("Component");
  });
});
