// Kubernetes writes of the simulation controller: the status subresource and
// the finalizers, each a JSON patch that sets metadata.resourceVersion, which
// the API server takes as a precondition and answers 409 Conflict when stale
// (a JSON-patch `test` op would fail with 422, which reads as a bad request);
// deletion with a uid precondition; core/v1 Events.
import { API_VERSION } from "../api/group.ts";
import { SimulationResource } from "../api/resources.ts";
import type { SimulationStatus } from "../api/simulation.ts";
import type {
  KubeEvent,
  SimulationRef,
  SimulationWriter,
} from "../controllers/simulation/ports.ts";
import { httpStatusOf } from "../runtime/errors.ts";
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
          { op: "replace", path: "/metadata/resourceVersion", value: ref.resourceVersion },
          { op: "add", path: "/status", value: status },
        ],
        ignoreResponse: true,
      });
    },
    async setFinalizers(ref, finalizers) {
      const written = await request<{ metadata?: { resourceVersion?: string } }>({
        method: "PATCH",
        path: path(ref),
        contentType: "application/json-patch+json",
        body: [
          { op: "replace", path: "/metadata/resourceVersion", value: ref.resourceVersion },
          { op: "add", path: "/metadata/finalizers", value: finalizers },
        ],
      });
      return written?.metadata?.resourceVersion ?? ref.resourceVersion;
    },
    async deleteObject(ref) {
      try {
        await request({
          method: "DELETE",
          path: path(ref),
          body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: ref.uid } },
          ignoreResponse: true,
        });
      } catch (err) {
        // Gone already, or a new object of the same name: nothing to delete.
        const status = httpStatusOf(err);
        if (status !== 404 && status !== 409) throw err;
      }
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
