import type { KubeConfig } from "./kube-config.ts";
import { apiError } from "./kube-transport.ts";

export interface KubeRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Default application/json; a merge patch needs application/merge-patch+json. */
  contentType?: string;
  signal?: AbortSignal;
  /** Aborts the request after this long (default 30 s). */
  timeoutMs?: number;
  /**
   * Skip parsing a successful answer (resolve with undefined): writes whose
   * answer nobody reads save the JSON parse of the whole object.
   */
  ignoreResponse?: boolean;
}

/** Sends one request and returns the parsed JSON body; throws KubeApiError on non-2xx. */
export type KubeRequester = <T = unknown>(request: KubeRequest) => Promise<T>;

/**
 * Raw JSON requests over the config's transport (kube-transport.ts): objects
 * stay exactly as the API server sent them, for any resource.
 */
export function createKubeRequester(kc: KubeConfig): KubeRequester {
  return async <T>(request: KubeRequest): Promise<T> => {
    const transport = await kc.transport();
    const path = withQuery(request.path, request.query);
    const response = await transport.send({
      method: request.method,
      path,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      contentType: request.contentType,
      signal: request.signal,
      timeoutMs: request.timeoutMs ?? 30_000,
    });
    if (response.status < 200 || response.status > 299) {
      throw apiError(response.status, request.method, request.path, response.text);
    }
    if (request.ignoreResponse || response.text === "") return undefined as T;
    return parseJson(response.text) as T;
  };
}

export function withQuery(
  path: string,
  query: Record<string, string | number | boolean | undefined> | undefined,
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
