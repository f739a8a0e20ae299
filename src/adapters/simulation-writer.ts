// Kubernetes writes of the simulation controller: the status subresource
// (guarded by resourceVersion), finalizers (a JSON patch that tests the
// resourceVersion first) and core/v1 Events.
import { API_VERSION } from "../api/group.ts";
import { SimulationResource } from "../api/resources.ts";
import type { SimulationStatus } from "../api/simulation.ts";
import type {
  KubeEvent,
  SimulationRef,
  SimulationWriter,
} from "../controllers/simulation/ports.ts";
import type { KubeRequester } from "../runtime/kube-request.ts";
import { objectPath } from "../runtime/resource.ts";
import { createEventRecorder } from "./events.ts";

export function createSimulationWriter(
  request: KubeRequester,
  component: string,
  instance: string,
): SimulationWriter {
  const record = createEventRecorder(request, { component, instance });
  const path = (ref: SimulationRef) => objectPath(SimulationResource, ref.name, ref.namespace);
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
    recordEvent: (ref, event: KubeEvent) =>
      record(
        {
          apiVersion: API_VERSION,
          kind: "MonteCarloSimulation",
          metadata: {
            name: ref.name,
            namespace: ref.namespace,
            uid: ref.uid,
            resourceVersion: ref.resourceVersion,
          },
        },
        event,
      ),
  };
}
