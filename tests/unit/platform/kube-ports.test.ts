import { ApiException } from "@kubernetes/client-node";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createKubePlatformPorts } from "../../../src/controllers/platform/kube-ports.ts";
import { FakeClock } from "../../../src/runtime/fake-clock.ts";
import type { KubeRequest, KubeRequester } from "../../../src/runtime/kube-request.ts";
import { NOW, platform, rayService, SERVE_CONFIG } from "./fixtures.ts";

function setup(respond: (r: KubeRequest) => unknown = () => ({})) {
  const sent: KubeRequest[] = [];
  const request = (async (r: KubeRequest) => {
    sent.push(r);
    return respond(r);
  }) as KubeRequester;
  const ports = createKubePlatformPorts({
    request,
    listPlatforms: () => [],
    clock: new FakeClock(NOW.getTime()),
    logger: pino({ level: "silent" }),
    identity: "pod-1",
  });
  return { ports, sent };
}

const signal = new AbortController().signal;

describe("kube ports", () => {
  it("writes serveConfigV2 with a merge patch locked on resourceVersion", async () => {
    const { ports, sent } = setup();
    await ports.writeServeConfig(
      { namespace: "ray-system", name: "rs", resourceVersion: "42", serveConfigV2: SERVE_CONFIG },
      signal,
    );
    expect(sent).toEqual([
      {
        method: "PATCH",
        path: "/apis/ray.io/v1/namespaces/ray-system/rayservices/rs",
        query: { fieldManager: "montecarlo-platform" },
        contentType: "application/merge-patch+json",
        body: { metadata: { resourceVersion: "42" }, spec: { serveConfigV2: SERVE_CONFIG } },
        signal,
      },
    ]);
  });

  it("replaces the status whole through the status subresource", async () => {
    const { ports, sent } = setup();
    await ports.writeStatus(platform(), { observedGeneration: 3 }, signal);
    expect(sent[0]).toMatchObject({
      method: "PATCH",
      path: "/apis/montecarlo.vatic.io/v1alpha1/montecarloplatforms/default/status",
      contentType: "application/json-patch+json",
      body: [{ op: "add", path: "/status", value: { observedGeneration: 3 } }],
    });
  });

  it.each([
    { name: "a missing platform", call: "platform", code: 404, result: undefined },
    { name: "a missing RayService", call: "rayService", code: 404, result: undefined },
  ])("reads $name as undefined", async ({ call, code, result }) => {
    const { ports } = setup(() => {
      throw new ApiException(code, "not found", {}, {});
    });
    const read =
      call === "platform"
        ? ports.getPlatform("default", signal)
        : ports.getRayService("ns", "rs", signal);
    expect(await read).toBe(result);
  });

  it("lets other read failures through", async () => {
    const { ports } = setup(() => {
      throw new ApiException(403, "forbidden", {}, {});
    });
    await expect(ports.getPlatform("default", signal)).rejects.toThrow(/forbidden/);
  });

  it.each([
    {
      name: "the cluster-scoped platform, in default",
      about: platform(),
      path: "/api/v1/namespaces/default/events",
      involved: {
        apiVersion: "montecarlo.vatic.io/v1alpha1",
        kind: "MonteCarloPlatform",
        name: "default",
        uid: "uid-default",
      },
    },
    {
      name: "the RayService, in its namespace",
      about: rayService(SERVE_CONFIG),
      path: "/api/v1/namespaces/ray-system/events",
      involved: {
        apiVersion: "ray.io/v1",
        kind: "RayService",
        name: "vatic-prop-ray",
        namespace: "ray-system",
        uid: "uid-rs",
      },
    },
  ])("records an Event about $name", async ({ about, path, involved }) => {
    const { ports, sent } = setup();
    await ports.recordEvent(
      { regarding: "platform", type: "Normal", reason: "DriftCorrected", message: "restored" },
      about,
    );
    expect(sent[0]?.path).toBe(path);
    expect(sent[0]?.body).toMatchObject({
      involvedObject: involved,
      reason: "DriftCorrected",
      type: "Normal",
      message: "restored",
      source: { component: "montecarlo-platform" },
      reportingComponent: "montecarlo-platform",
      reportingInstance: "pod-1",
      firstTimestamp: NOW.toISOString(),
      count: 1,
    });
  });

  it("never fails the reconcile over an Event", async () => {
    const { ports } = setup(() => {
      throw new ApiException(403, "forbidden", {}, {});
    });
    await expect(
      ports.recordEvent(
        { regarding: "platform", type: "Normal", reason: "X", message: "m" },
        platform(),
      ),
    ).resolves.toBeUndefined();
  });
});
