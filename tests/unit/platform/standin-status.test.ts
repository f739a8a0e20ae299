// The local KubeRay stand-in's one decision: the RayService status KubeRay
// would write for what the Ray dashboard reports (hack/kuberay-standin).
import { describe, expect, it } from "vitest";
import {
  type Observation,
  type RayServiceStatus,
  rayServiceStatus,
  type ServeDetails,
  statusDiffers,
} from "../../../hack/kuberay-standin/status.ts";

const NOW = new Date("2030-01-01T00:00:00.000Z");
const LATER = new Date("2030-01-01T00:01:00.000Z");

function serve(apps: Record<string, string>, proxy = "HEALTHY"): ServeDetails {
  return {
    proxies: { node1: { status: proxy } },
    applications: Object.fromEntries(
      Object.entries(apps).map(([name, status]) => [
        name,
        { status, deployments: { [`${name}-dep`]: { status: "HEALTHY" } } },
      ]),
    ),
  };
}

const seen = (o: Partial<Observation>): Observation => ({
  generation: 3,
  applications: ["simulator", "health"],
  configApplied: true,
  serve: serve({ simulator: "RUNNING", health: "RUNNING" }),
  ...o,
});

const ready = (s: RayServiceStatus) => {
  const c = s.conditions?.find((x) => x.type === "Ready");
  return `${c?.status}/${c?.reason}`;
};

/** A status KubeRay (or the stand-in) wrote earlier, with Ready at `reason`. */
const previous = (reason: string, status: "True" | "False"): RayServiceStatus => ({
  conditions: [
    { type: "Ready", status, reason, message: "", lastTransitionTime: NOW.toISOString() },
  ],
  observedGeneration: 2,
});

describe("rayServiceStatus", () => {
  it.each<{
    name: string;
    before?: RayServiceStatus;
    seen: Observation;
    want: string;
    message?: RegExp;
  }>([
    {
      name: "ready once Serve accepted the config and runs all of it",
      seen: seen({}),
      want: "True/NonZeroServeEndpoints",
    },
    {
      name: "initializing while an application deploys",
      seen: seen({ serve: serve({ simulator: "DEPLOYING", health: "RUNNING" }) }),
      want: "False/Initializing",
      message: /^waiting for applications: simulator DEPLOYING$/,
    },
    {
      name: "initializing while the config has not reached Serve, even if Serve runs old apps",
      seen: seen({ configApplied: false, configError: "PUT refused: HTTP 400" }),
      want: "False/Initializing",
      message: /PUT refused/,
    },
    {
      name: "initializing without a serve config",
      seen: seen({ applications: [], configApplied: false }),
      want: "False/Initializing",
      message: /no serveConfigV2/,
    },
    {
      name: "initializing while the dashboard cannot be read",
      seen: seen({ serve: undefined, serveError: "ECONNREFUSED", configApplied: false }),
      want: "False/Initializing",
      message: /ECONNREFUSED/,
    },
    {
      name: "still ready during an in-place update, as KubeRay keeps serving",
      before: previous("NonZeroServeEndpoints", "True"),
      seen: seen({ serve: serve({ simulator: "DEPLOYING", health: "RUNNING" }) }),
      want: "True/NonZeroServeEndpoints",
    },
    {
      name: "no endpoints once ready, when no proxy is healthy",
      before: previous("NonZeroServeEndpoints", "True"),
      seen: seen({ serve: serve({ simulator: "RUNNING", health: "RUNNING" }, "UNHEALTHY") }),
      want: "False/ZeroServeEndpoints",
    },
  ])("$name", ({ before, seen, want, message }) => {
    const status = rayServiceStatus(before, seen, LATER);
    expect(ready(status)).toBe(want);
    const condition = status.conditions?.find((c) => c.type === "Ready");
    if (message) expect(condition?.message).toMatch(message);
    expect(status.serviceStatus === "Running").toBe(want.startsWith("True"));
  });

  it("reports what Serve reports, and the generation Serve holds", () => {
    const status = rayServiceStatus(undefined, seen({}), NOW);
    expect(status).toMatchObject({
      numServeEndpoints: 1,
      observedGeneration: 3,
      activeServiceStatus: {
        applicationStatuses: {
          simulator: {
            status: "RUNNING",
            serveDeploymentStatuses: { "simulator-dep": { status: "HEALTHY" } },
          },
        },
      },
    });
    expect(status.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      "Ready=True",
      "UpgradeInProgress=False",
    ]);
  });

  it("keeps the generation it last delivered while a new config is refused", () => {
    const status = rayServiceStatus(
      previous("NonZeroServeEndpoints", "True"),
      seen({ configApplied: false, configError: "HTTP 400" }),
      LATER,
    );
    expect(status.observedGeneration).toBe(2);
  });

  it("keeps lastTransitionTime while Ready stays, and so writes nothing new", () => {
    const first = rayServiceStatus(undefined, seen({}), NOW);
    const again = rayServiceStatus(first, seen({}), LATER);
    expect(again.conditions?.[0]?.lastTransitionTime).toBe(NOW.toISOString());
    expect(statusDiffers(first, again)).toBe(false);
  });
});

describe("statusDiffers", () => {
  const base = rayServiceStatus(undefined, seen({}), NOW);
  it.each([
    { name: "the same", a: base, b: structuredClone(base), differs: false },
    { name: "only the update time", a: { ...base, lastUpdateTime: "x" }, b: base, differs: false },
    {
      name: "key order as the API server returns it",
      a: Object.fromEntries(Object.entries(base).reverse()) as RayServiceStatus,
      b: base,
      differs: false,
    },
    { name: "nothing written yet", a: undefined, b: base, differs: true },
    { name: "another generation", a: base, b: { ...base, observedGeneration: 9 }, differs: true },
  ])("$name", ({ a, b, differs }) => {
    expect(statusDiffers(a, b)).toBe(differs);
  });
});
