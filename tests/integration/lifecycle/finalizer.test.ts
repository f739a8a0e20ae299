// The operator's finalizer on the local stack: set at creation by the
// admission policy the stack installs, as the dev overlay does
// (manifests/components/simulation-finalizer-policy), and added by the
// operator itself to an object that lacks it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { FINALIZER } from "../../../src/controllers/simulation/reasons.ts";
import { getJson, kubectl, kubectlOk, simulation, waitFor } from "../harness.ts";
import { type Fixture, quickSpec, setUp, waitCondition } from "./fixtures.ts";

interface Managed {
  metadata: {
    finalizers?: string[];
    managedFields: { manager: string; subresource?: string; fieldsV1?: unknown }[];
  };
}

describe("the finalizer", () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await setUp("finalizer");
  });
  afterAll(async () => {
    await f?.operator.stop();
  });

  const create = async (name: string, finalizers?: string[]) => {
    const sim = simulation(f.ns, name, quickSpec(f.platformName));
    const object = finalizers ? { ...sim, metadata: { ...sim.metadata, finalizers } } : sim;
    return JSON.parse(await kubectlOk(["create", "-o", "json", "-f", "-"], stringify(object)));
  };
  const managed = (name: string) =>
    getJson<Managed>(["get", "mcs", name, "-n", f.ns, "--show-managed-fields"]);
  const managersOf = (m: Managed) =>
    m.metadata.managedFields.map((e) => `${e.manager}:${e.subresource ?? ""}`);

  it("comes with the create, so the operator writes only the status; deletion still removes it", async () => {
    const created = await create("at-create");
    expect(created.metadata.finalizers).toEqual([FINALIZER]);
    expect(await waitCondition(f.ns, "at-create", "Succeeded", 120)).toBe(true);
    const managers = managersOf(await managed("at-create"));
    expect(managers).toContain("montecarlo-operator:status");
    expect(managers).not.toContain("montecarlo-operator:");

    await kubectlOk(["delete", "mcs", "at-create", "-n", f.ns, "--wait=false"]);
    await waitFor("the deleted simulation to go", async () => {
      const r = await kubectl(["get", "mcs", "at-create", "-n", f.ns]);
      return r.code !== 0 && /NotFound/.test(r.stderr);
    });
  });

  it("is added after the finalizers the create carries, which stay", async () => {
    const created = await create("others", ["example.com/keep"]);
    expect(created.metadata.finalizers).toEqual(["example.com/keep", FINALIZER]);
    const again = await create("ours-already", [FINALIZER]);
    expect(again.metadata.finalizers).toEqual([FINALIZER]);
    const patch = JSON.stringify({ metadata: { finalizers: [FINALIZER] } });
    await kubectlOk(["patch", "mcs", "others", "-n", f.ns, "--type=merge", "-p", patch]);
  });

  it("stays through server-side applies that do not list it (Argo CD), owned by no manager", async () => {
    const applied = (paths: number) =>
      kubectlOk(
        ["apply", "--server-side", "--field-manager=gitops", "-o", "json", "-f", "-"],
        stringify(simulation(f.ns, "synced", quickSpec(f.platformName, { simulation: { paths } }))),
      );
    expect(JSON.parse(await applied(2000)).metadata.finalizers).toEqual([FINALIZER]);
    const again = JSON.parse(await applied(3000));
    expect(again.metadata.generation).toBe(2);
    expect(again.metadata.finalizers).toEqual([FINALIZER]);
    expect(await waitCondition(f.ns, "synced", "Succeeded", 120)).toBe(true);
    const m = await managed("synced");
    expect(managersOf(m)).not.toContain("montecarlo-operator:");
    // Owned by no manager: an apply that leaves it out never removes it.
    expect(JSON.stringify(m.metadata.managedFields)).not.toContain("f:finalizers");
  });

  it("is added by the operator when the object lacks it", async () => {
    await create("removed");
    expect(await waitCondition(f.ns, "removed", "Succeeded", 120)).toBe(true);
    const remove = JSON.stringify([{ op: "remove", path: "/metadata/finalizers" }]);
    await kubectlOk(["patch", "mcs", "removed", "-n", f.ns, "--type=json", "-p", remove]);
    const restored = await waitFor("the operator to add the finalizer back", async () => {
      const m = await managed("removed");
      return m.metadata.finalizers?.includes(FINALIZER) ? m : undefined;
    });
    expect(managersOf(restored)).toContain("montecarlo-operator:");
  });
});
