import {
  ApiException,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  type KubeConfig,
  RequestContext,
} from "@kubernetes/client-node";

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
}

/** Sends one request and returns the parsed JSON body; throws ApiException on non-2xx. */
export type KubeRequester = <T = unknown>(request: KubeRequest) => Promise<T>;

/**
 * Raw JSON requests with client-node's own authentication and transport.
 * Used where the generated typed clients get in the way: generic list of any
 * resource, and objects kept exactly as the API server sent them (the typed
 * clients turn timestamps into Dates on read but not on watch).
 */
export function createKubeRequester(kc: KubeConfig): KubeRequester {
  const http = new IsomorphicFetchHttpLibrary();
  // client-node builds a new connection pool (undici Agent) for every request,
  // so each request would pay a TLS handshake (~15 ms here, and CPU on the API
  // server). Reuse one pool; renew it now and then so rotated client
  // certificates are picked up. Headers (tokens) are still applied per request.
  let pool: { dispatcher: Dispatcher; createdAt: number } | undefined;
  const reusePool = (ctx: RequestContext) => {
    const fresh = ctx.getDispatcher();
    if (fresh === undefined) return;
    const now = Date.now();
    if (pool && now - pool.createdAt < POOL_TTL_MS) {
      ctx.setDispatcher(pool.dispatcher);
      return;
    }
    const old = pool;
    pool = { dispatcher: fresh, createdAt: now };
    // close() lets requests in flight finish first.
    void old?.dispatcher.close().catch(() => {});
  };
  return async <T>(request: KubeRequest): Promise<T> => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    const url = new URL(cluster.server.replace(/\/$/, "") + request.path);
    for (const [k, v] of Object.entries(request.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const ctx = new RequestContext(url.toString(), HttpMethod[request.method]);
    ctx.setHeaderParam("Accept", "application/json");
    if (request.body !== undefined) {
      ctx.setHeaderParam("Content-Type", request.contentType ?? "application/json");
      ctx.setBody(JSON.stringify(request.body));
    }
    const timeout = AbortSignal.timeout(request.timeoutMs ?? 30_000);
    ctx.setSignal(request.signal ? AbortSignal.any([request.signal, timeout]) : timeout);
    await kc.applySecurityAuthentication(ctx);
    reusePool(ctx);
    const response = await http.send(ctx).toPromise();
    const text = await response.body.text();
    const body = parseJson(text);
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      const message =
        typeof (body as { message?: unknown })?.message === "string"
          ? (body as { message: string }).message
          : `HTTP ${response.httpStatusCode} from ${request.method} ${request.path}`;
      throw new ApiException(response.httpStatusCode, message, body, response.headers);
    }
    return body as T;
  };
}

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

const POOL_TTL_MS = 5 * 60_000;

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
