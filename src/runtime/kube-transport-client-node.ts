// The transport for kubeconfigs the native one does not read (exec plugins,
// auth providers, proxies, basic auth): @kubernetes/client-node's own
// authentication, fetch and Watch. Imported only for such a kubeconfig.
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
  Watch,
} from "@kubernetes/client-node";
import type { KubeTransport } from "./kube-transport.ts";

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

const POOL_TTL_MS = 5 * 60_000;

export function clientNodeTransport(file: string): KubeTransport {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  const http = new IsomorphicFetchHttpLibrary();
  // client-node builds a connection pool (undici Agent) per request, so each
  // request would pay a TLS handshake. Reuse one; renew it now and then so
  // rotated client certificates are picked up.
  let pool: { dispatcher: Dispatcher; createdAt: number } | undefined;
  const reusePool = (ctx: RequestContext) => {
    const fresh = ctx.getDispatcher();
    if (fresh === undefined) return;
    if (pool && Date.now() - pool.createdAt < POOL_TTL_MS) {
      ctx.setDispatcher(pool.dispatcher);
      return;
    }
    const old = pool;
    pool = { dispatcher: fresh, createdAt: Date.now() };
    void old?.dispatcher.close().catch(() => {});
  };
  return {
    async send(request) {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error("kubeconfig has no current cluster");
      const url = cluster.server.replace(/\/$/, "") + request.path;
      const ctx = new RequestContext(url, HttpMethod[request.method as keyof typeof HttpMethod]);
      ctx.setHeaderParam("Accept", "application/json");
      if (request.body !== undefined) {
        ctx.setHeaderParam("Content-Type", request.contentType ?? "application/json");
        ctx.setBody(request.body);
      }
      const timeout = AbortSignal.timeout(request.timeoutMs);
      ctx.setSignal(request.signal ? AbortSignal.any([request.signal, timeout]) : timeout);
      await kc.applySecurityAuthentication(ctx);
      reusePool(ctx);
      const response = await http.send(ctx).toPromise();
      return { status: response.httpStatusCode, text: await response.body.text() };
    },
    watch(path, onEvent, signal) {
      const [base, query = ""] = path.split("?");
      const params = Object.fromEntries(new URLSearchParams(query));
      return new Promise<void>((resolve, reject) => {
        new Watch(kc)
          .watch(base ?? "", params, onEvent, (err: unknown) => {
            const name = (err as { name?: string } | null)?.name;
            if (!err || signal.aborted || name === "AbortError") resolve();
            else reject(err);
          })
          .then(
            (controller) => {
              if (signal.aborted) controller.abort();
              else signal.addEventListener("abort", () => controller.abort(), { once: true });
            },
            (err: unknown) => reject(err),
          );
      });
    },
  };
}
