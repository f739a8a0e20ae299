// The local stack's pieces are real: API server with RBAC, PostgreSQL via the
// generated Prisma client, Ray Serve.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrisma } from "../../src/adapters/prisma.ts";
import { assessmentSpec } from "../fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  getJson,
  kubectl,
  kubectlOk,
  serviceAccountKubeconfig,
  simulation,
  stack,
  unique,
} from "./harness.ts";

describe("local stack", () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace("stack");
  });

  it("creates and reads a MonteCarloSimulation through the API server", async () => {
    await apply(simulation(ns, "read-back", assessmentSpec()));
    const got = await getJson(["get", "mcs", "read-back", "-n", ns]);
    expect(got.spec.assessmentId).toBe("asm-1042");
    // Defaults from the CRD schema were applied at admission.
    expect(got.spec.platformRef).toEqual({ name: "default" });
    expect(got.spec.backoffLimit).toBe(3);
  });

  it("refuses the same request from an unprivileged service account", async () => {
    await kubectlOk(["create", "serviceaccount", "nobody", "-n", ns]);
    const kubeconfig = await serviceAccountKubeconfig(ns, "nobody");
    const obj = JSON.stringify(simulation(ns, "forbidden", assessmentSpec()));
    const r = await kubectl(["create", "-f", "-"], obj, { KUBECONFIG: kubeconfig });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/forbidden.*system:serviceaccount:.*:nobody.*montecarlosimulations/i);
    expect((await kubectl(["get", "mcs", "forbidden", "-n", ns])).code).not.toBe(0);
  });

  describe("database", () => {
    const prisma = createPrisma(stack.databaseUrl);
    afterAll(() => prisma.$disconnect());

    it("writes and reads a SimulationJob row through the generated client", async () => {
      const uid = unique("uid");
      const created = await prisma.simulationJob.create({
        data: {
          namespace: ns,
          name: "row",
          uid,
          generation: 1n,
          assessmentId: "asm-1",
          inputData: { paths: 10 },
          requestHash: "abc",
          seed: 42n,
        },
      });
      const read = await prisma.simulationJob.findUniqueOrThrow({
        where: { uid_generation: { uid, generation: 1n } },
      });
      expect(read).toMatchObject({
        id: created.id,
        status: "pending",
        attempts: 0,
        seed: 42n,
        inputData: { paths: 10 },
      });
      await expect(
        prisma.simulationJob.create({
          data: {
            namespace: ns,
            name: "dup",
            uid,
            generation: 1n,
            inputData: {},
            requestHash: "x",
            seed: 1n,
          },
        }),
      ).rejects.toThrow(/Unique constraint/i);
    });
  });

  it("Ray Serve answers GET /health with the seed's body", async () => {
    const r = await fetch(`${stack.rayUrl}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: "healthy" });
  });
});
