// Kubernetes writes of the simulation controller: the status subresource
// (guarded by resourceVersion), finalizers (a JSON patch that tests the
// resourceVersion first) and core/v1 Events.
import { randomBytes } from "node:crypto";
import { API_VERSION } from "../api/group.ts";
import type { SimulationStatus } from "../api/simulation.ts";
import type {
  KubeEvent,
  SimulationRef,
  SimulationWriter,
} from "../controllers/simulation/ports.ts";
import type { KubeRequester } from "../runtime/kube-request.ts";
import { objectPath, type ResourceRef } from "../runtime/resource.ts";

export const SIMULATIONS: ResourceRef = {
  group: "montecarlo.vatic.io",
  version: "v1alpha1",
  plural: "montecarlosimulations",
  namespaced: true,
};

export function createSimulationWriter(
  request: KubeRequester,
  component: string,
): SimulationWriter {
  const path = (ref: SimulationRef) => objectPath(SIMULATIONS, ref.name, ref.namespace);
  return {
    async replaceStatus(ref, status: SimulationStatus) {
      await request({
        method: "PATCH",
        path: `${path(ref)}/status`,
        contentType: "application/json-patch+json",
        body: [
          { op: "test", path: "/metadata/resourceVersion", value: ref.resourceVersion },
          { op: "add", path: "/status", value: status },
        ],
      });
    },
    async setFinalizers(ref, finalizers) {
      await request({
        method: "PATCH",
        path: path(ref),
        contentType: "application/json-patch+json",
        body: [
          { op: "test", path: "/metadata/resourceVersion", value: ref.resourceVersion },
          { op: "add", path: "/metadata/finalizers", value: finalizers },
        ],
      });
    },
    async recordEvent(ref, event: KubeEvent) {
      const now = new Date().toISOString();
      await request({
        method: "POST",
        path: `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/events`,
        body: {
          apiVersion: "v1",
          kind: "Event",
          metadata: {
            name: `${ref.name}.${randomBytes(8).toString("hex")}`,
            namespace: ref.namespace,
          },
          involvedObject: {
            apiVersion: API_VERSION,
            kind: "MonteCarloSimulation",
            name: ref.name,
            namespace: ref.namespace,
            uid: ref.uid,
            resourceVersion: ref.resourceVersion,
          },
          type: event.type,
          reason: event.reason,
          message: event.message.slice(0, 1024),
          source: { component },
          reportingComponent: component,
          reportingInstance: process.env.POD_NAME ?? component,
          action: event.reason,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    },
  };
}
