// The API resources the operator reads and writes, for informers and paths.
import type { ResourceRef } from "../runtime/resource.ts";
import { GROUP, VERSION } from "./group.ts";

export const SimulationResource: ResourceRef = {
  group: GROUP,
  version: VERSION,
  plural: "montecarlosimulations",
  namespaced: true,
};

export const PlatformResource: ResourceRef = {
  group: GROUP,
  version: VERSION,
  plural: "montecarloplatforms",
  namespaced: false,
};

/** KubeRay's RayService (ray.io/v1). */
export const RayServiceResource: ResourceRef = {
  group: "ray.io",
  version: "v1",
  plural: "rayservices",
  namespaced: true,
};
