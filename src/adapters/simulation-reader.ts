// GET of one MonteCarloSimulation from the API server: the full spec of an
// object whose cached copy left its trader history out.
import type { SimulationObject } from "../api/objects.ts";
import { SimulationResource } from "../api/resources.ts";
import type { SimulationReader } from "../controllers/simulation/ports.ts";
import { httpStatusOf } from "../runtime/errors.ts";
import type { KubeRequester } from "../runtime/kube-request.ts";
import { objectPath } from "../runtime/resource.ts";

export function createSimulationReader(request: KubeRequester): SimulationReader {
  return {
    async get(namespace, name) {
      try {
        return await request<SimulationObject>({
          method: "GET",
          path: objectPath(SimulationResource, name, namespace),
        });
      } catch (err) {
        if (httpStatusOf(err) === 404) return undefined;
        throw err;
      }
    },
  };
}
