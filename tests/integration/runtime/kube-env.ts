import { randomBytes } from "node:crypto";
import { KubeConfig } from "../../../src/runtime/kube-config.ts";
import { createKubeRequester, type KubeRequester } from "../../../src/runtime/kube-request.ts";

/**
 * The admin kubeconfig of the local stack. Integration tests must not pass
 * by skipping: without KUBECONFIG the importing test file fails here.
 */
export function loadKubeConfig(): KubeConfig {
  const path = process.env.KUBECONFIG;
  if (!path) {
    throw new Error(
      "KUBECONFIG is not set. Start the local stack and point the tests at it: " +
        'hack/stack/up.sh && eval "$(hack/stack/env.sh)"',
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export async function createTestNamespace(request: KubeRequester, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await request({
    method: "POST",
    path: "/api/v1/namespaces",
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
  return name;
}

export async function deleteNamespace(request: KubeRequester, name: string): Promise<void> {
  await request({ method: "DELETE", path: `/api/v1/namespaces/${name}` }).catch(() => {});
}

export interface ConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
}

export function configMaps(request: KubeRequester, namespace: string) {
  const base = `/api/v1/namespaces/${namespace}/configmaps`;
  return {
    create: (name: string, data: Record<string, string> = {}) =>
      request<ConfigMap>({
        method: "POST",
        path: base,
        body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data },
      }),
    patchData: (name: string, data: Record<string, string>) =>
      request<ConfigMap>({
        method: "PATCH",
        path: `${base}/${name}`,
        contentType: "application/merge-patch+json",
        body: { data },
      }),
    get: (name: string) => request<ConfigMap>({ method: "GET", path: `${base}/${name}` }),
    delete: (name: string) => request({ method: "DELETE", path: `${base}/${name}` }),
  };
}

/** Polls `check` until it stops throwing, or fails with its last error. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

export { createKubeRequester };
