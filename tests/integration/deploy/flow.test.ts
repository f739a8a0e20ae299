// The whole simulation flow with the operator authenticated as its own
// service account (a TokenRequest token, not the admin certificate), with
// exactly the RBAC of manifests/base: whatever the operator needs and the
// manifests forgot shows up here as a 403 in the API server's audit log.
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessmentSpec } from "../../fixtures/simulations.ts";
import {
  apply,
  getJson,
  kubectl,
  kubectlOk,
  type OperatorProcess,
  platform,
  serviceAccountKubeconfig,
  simulation,
  stack,
  startOperator,
  unique,
  waitFor,
} from "../harness.ts";
import { auditedRequests } from "./audit.ts";
import { type Manifest, objects, operatorRbac, render, toYaml } from "./render.ts";

const LABEL = "deploy.montecarlo.vatic.io/flow";

describe("end to end as the operator's service account", () => {
  let operatorNs: string;
  let simNs: string;
  let platformName: string;
  let operator: OperatorProcess | undefined;
  let operatorUser: string;
  let clusterScoped: string[] = [];
  let rayService: Manifest;

  beforeAll(async () => {
    operatorNs = unique("deploy-op");
    simNs = unique("deploy-sims");
    platformName = unique("deploy");
    await kubectlOk(["create", "namespace", operatorNs]);
    await kubectlOk(["create", "namespace", simNs]);

    const base = objects(await render("manifests/base"));
    // The RayService Role of ray-system goes where this test's RayService is.
    const rbac = operatorRbac(
      base,
      { "montecarlo-system": operatorNs, "ray-system": simNs },
      operatorNs,
    );
    await kubectlOk(["apply", "-f", "-"], toYaml(rbac.objects));
    clusterScoped = rbac.clusterScoped.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`);

    // The base's RayService (ray/serve-config.yaml as its serve config base),
    // moved here: the platform controller renders its serveConfigV2 when it runs. Nothing runs Ray
    // for it (no KubeRay here); the simulations use the local Ray Serve.
    rayService = structuredClone(base.find((o) => o.kind === "RayService"));
    rayService.metadata.namespace = simNs;
    await kubectlOk(["apply", "-f", "-"], toYaml([rayService]));
    const ownPlatform = platform(platformName, {
      rayService: { namespace: simNs, name: rayService.metadata.name },
      endpoint: stack.rayUrl,
      autoscaling: { minReplicas: 1, maxReplicas: 3, targetOngoingRequests: 5 },
    });
    await apply({ ...ownPlatform, metadata: { name: platformName, labels: { [LABEL]: simNs } } });

    const kubeconfig = await serviceAccountKubeconfig(operatorNs, rbac.serviceAccount);
    // Not admin: the token's identity is the service account.
    const whoami = await kubectl(
      ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"],
      undefined,
      {
        KUBECONFIG: kubeconfig,
      },
    );
    operatorUser = `system:serviceaccount:${operatorNs}:${rbac.serviceAccount}`;
    expect(whoami.stdout).toBe(operatorUser);

    operator = await startOperator({
      KUBECONFIG: kubeconfig,
      POD_NAME: unique("deploy-operator"),
      WATCH_NAMESPACE: simNs,
      LEADER_ELECTION: "true",
      LEADER_ELECTION_NAMESPACE: operatorNs,
      CONTROLLERS: "simulation,platform",
      // As deployment.yaml does: RayServices only where the Role allows. Other
      // test files' platforms name RayServices elsewhere, which this service
      // account may not read: it manages its own platform only.
      RAY_SERVICE_NAMESPACE: simNs,
      PLATFORM_SELECTOR: `${LABEL}=${simNs}`,
    });
  });

  afterAll(async () => {
    await operator?.stop();
    await kubectl(["delete", "mcp", platformName, "--ignore-not-found", "--wait=false"]);
    for (const object of clusterScoped) await kubectl(["delete", object, "--ignore-not-found"]);
    if (simNs) await kubectl(["delete", "namespace", "--wait=false", simNs, operatorNs]);
  });

  it("takes the leader Lease in its own namespace", async () => {
    const lease = await waitFor("the leader Lease", async () => {
      const r = await kubectl([
        "get",
        "lease",
        "montecarlo-operator",
        "-n",
        operatorNs,
        "-o",
        "json",
      ]);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    });
    expect(lease.spec.holderIdentity).toMatch(/^deploy-operator-/);
  });

  // Generous: the stack is shared, and another test may be restarting Ray
  // Serve, which the operator then waits out with backoff.
  it("runs a simulation to Succeeded, with its finalizer, status and Events", {
    timeout: 330_000,
  }, async () => {
    // A seed of its own: an identical earlier request would be answered from
    // its stored result without calling Ray.
    const spec = assessmentSpec();
    spec.simulation.seed = randomInt(1, 2 ** 31);
    await apply(simulation(simNs, "asm", { ...spec, platformRef: { name: platformName } }));
    const waited = await kubectl([
      "wait",
      "-n",
      simNs,
      "--for=condition=Succeeded",
      "--timeout=300s",
      "mcs/asm",
    ]);
    expect(waited.code, `${waited.stderr}\noperator log: ${operator?.logFile}`).toBe(0);
    const sim = await getJson(["get", "mcs", "asm", "-n", simNs]);
    expect(sim.metadata.finalizers).toContain("montecarlo.vatic.io/finalizer");
    expect(sim.status).toMatchObject({ phase: "Succeeded", observedGeneration: 1, attempts: 1 });
    expect(sim.status.result.reusedFromJobId).toBeUndefined();
    expect(sim.status.result.passProbability).toBeGreaterThan(0);
    const events = await getJson([
      "get",
      "events",
      "-n",
      simNs,
      "--field-selector",
      "involvedObject.name=asm",
    ]);
    expect(events.items.map((e: Manifest) => e.reason)).toContain("Completed");
  });

  it("removes its finalizer when the simulation is deleted", async () => {
    await kubectlOk(["delete", "mcs", "asm", "-n", simNs, "--wait=false"]);
    await waitFor("the simulation to be gone", async () => {
      const r = await kubectl(["get", "mcs", "asm", "-n", simNs]);
      return r.code !== 0 && /NotFound/.test(r.stderr);
    });
  });

  it("keeps the platform's bounds in the RayService", async () => {
    // Applied, not Ready: nothing runs KubeRay here, so the RayService never reports ready.
    const current = await waitFor("the platform to apply its bounds", async () => {
      const p = await getJson(["get", "mcp", platformName]);
      const applied = p.status?.conditions?.find((c: Manifest) => c.type === "ServeConfigApplied");
      return applied?.status === "True" ? p : undefined;
    });
    expect(current.status.conditions.find((c: Manifest) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "RayServiceNotReady",
    });
    expect(current.status.applied).toMatchObject({ minReplicas: 1, maxReplicas: 3 });
    const live = await getJson(["get", "rayservice", rayService.metadata.name, "-n", simNs]);
    expect(live.spec.serveConfigV2).toMatch(/max_replicas: 3/);
  });

  it("was never refused by the API server", () => {
    const requests = auditedRequests(operatorUser);
    // The log holds the operator's own requests (taking its Lease), so an
    // empty list of refusals means something.
    const leaseWrites = requests.filter(
      (e) =>
        ["create", "update"].includes(e.verb) &&
        e.requestURI.includes(`/namespaces/${operatorNs}/leases`) &&
        (e.responseStatus?.code ?? 0) < 300,
    );
    expect(leaseWrites.length).toBeGreaterThan(0);
    const refused = requests
      .filter((e) => e.responseStatus?.code === 403)
      .map((e) => `${e.verb} ${e.requestURI}`);
    expect(refused).toEqual([]);
  });
});
