/**
 * The one RayService the stand-in serves, on the local API server: read it,
 * replace its status through the status subresource, and watch it.
 */
import {
  ApiException,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from "@kubernetes/client-node";
import type { RayServiceStatus } from "./status.ts";

export interface RayServiceRef {
  namespace: string;
  name: string;
}

export interface RayService {
  metadata: { name: string; namespace: string; uid: string; generation: number };
  spec?: { serveConfigV2?: string };
  status?: RayServiceStatus;
}

export interface RayServices {
  /** The RayService now, or undefined when it does not exist. */
  get(): Promise<RayService | undefined>;
  writeStatus(status: RayServiceStatus): Promise<void>;
  /** Calls `onChange` on every watch event until `signal` aborts; re-watches when a watch ends. */
  watch(onChange: () => void, signal: AbortSignal): void;
}

const FIELD_MANAGER = "kuberay-standin";

export function createRayServices(kc: KubeConfig, ref: RayServiceRef): RayServices {
  const api = kc.makeApiClient(CustomObjectsApi);
  const coords = { group: "ray.io", version: "v1", plural: "rayservices", ...ref };
  const path = `/apis/ray.io/v1/namespaces/${ref.namespace}/rayservices`;
  return {
    async get() {
      try {
        return (await api.getNamespacedCustomObject(coords)) as RayService;
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined;
        throw err;
      }
    },
    async writeStatus(status) {
      // A JSON patch "add" of /status replaces it whole, so fields dropped stay dropped.
      await api.patchNamespacedCustomObjectStatus(
        {
          ...coords,
          body: [{ op: "add", path: "/status", value: status }],
          fieldManager: FIELD_MANAGER,
        },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      );
    },
    watch(onChange, signal) {
      const start = async (): Promise<void> => {
        if (signal.aborted) return;
        const restart = () => {
          if (!signal.aborted) setTimeout(() => void start(), 1000);
        };
        try {
          const controller = await new Watch(kc).watch(
            path,
            { fieldSelector: `metadata.name=${ref.name}` },
            () => onChange(),
            restart,
          );
          signal.addEventListener("abort", () => controller.abort(), { once: true });
        } catch {
          restart();
        }
      };
      void start();
    },
  };
}
