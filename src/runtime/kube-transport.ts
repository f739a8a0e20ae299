// The transport to the API server: HTTP/2 over TLS when the server offers it
// (kube-http2.ts, as client-go; DISABLE_HTTP2=true turns it off, as there),
// else HTTP/1.1 over node:http(s) with one keep-alive connection pool per
// kubeconfig. A bearer token or a client certificate, raw JSON bodies.
// Watches are newline-delimited JSON on a long response. Errors follow the
// runtime's taxonomy (errors.ts): KubeApiError carries the HTTP status as
// `code` and the Status body; connection failures keep their Node codes;
// timeouts are named TimeoutError, aborts AbortError.
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { KubeConnection } from "./kube-config.ts";
import { createHttp2Transport } from "./kube-http2.ts";
import {
  apiError,
  type KubeTransport,
  named,
  readAll,
  streamEvents,
  type TransportRequest,
  type TransportResponse,
  WATCH_IDLE_MS,
} from "./kube-wire.ts";
import { USER_AGENT } from "./user-agent.ts";

export {
  apiError,
  KubeApiError,
  type KubeTransport,
  type TransportRequest,
  type TransportResponse,
} from "./kube-wire.ts";

const TOKEN_FILE_TTL_MS = 60_000;

export function createKubeTransport(
  connection: KubeConnection,
  env: NodeJS.ProcessEnv = process.env,
): KubeTransport {
  const authorization = bearer(connection);
  const http1 = createHttp1Transport(connection, authorization);
  const http2 = connection.server.startsWith("https:") && env.DISABLE_HTTP2 !== "true";
  return http2 ? createHttp2Transport(connection, authorization, http1) : http1;
}

function createHttp1Transport(
  connection: KubeConnection,
  authorization: () => string | undefined,
): KubeTransport {
  const secure = connection.server.startsWith("https:");
  const agent = secure
    ? new https.Agent({
        keepAlive: true,
        ca: connection.ca,
        cert: connection.cert,
        key: connection.key,
        rejectUnauthorized: !connection.insecureSkipTlsVerify,
        ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
      })
    : new http.Agent({ keepAlive: true });
  const open = (method: string, path: string, headers: Record<string, string | number>) => {
    const token = authorization();
    const url = `${connection.server}${path}`;
    const options = {
      method,
      agent,
      headers: {
        accept: "application/json",
        "user-agent": USER_AGENT,
        ...headers,
        ...(token ? { authorization: token } : {}),
      },
    };
    return secure ? https.request(url, options) : http.request(url, options);
  };
  return {
    send: (request) => send(open, request),
    watch: (path, onEvent, signal) => watch(open, path, onEvent, signal),
  };
}

type Open = (
  method: string,
  path: string,
  headers: Record<string, string | number>,
) => http.ClientRequest;

function send(open: Open, request: TransportRequest): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8");
    const headers: Record<string, string | number> = body
      ? { "content-type": request.contentType ?? "application/json", "content-length": body.length }
      : {};
    const req = open(request.method, request.path, headers);
    const fail = (err: Error) => {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      reject(err);
    };
    const timer = setTimeout(
      () => req.destroy(named("TimeoutError", `no answer within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    const onAbort = () => req.destroy(named("AbortError", "the request was aborted"));
    if (request.signal?.aborted) onAbort();
    request.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", fail);
    req.on("response", (res) => {
      readAll(res).then((text) => {
        clearTimeout(timer);
        request.signal?.removeEventListener("abort", onAbort);
        resolve({ status: res.statusCode ?? 0, text });
      }, fail);
    });
    req.end(body);
  });
}

function watch(
  open: Open,
  path: string,
  onEvent: (type: string, object: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = open("GET", path, {});
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", onAbort);
      req.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => finish();
    if (signal.aborted) return finish();
    signal.addEventListener("abort", onAbort, { once: true });
    req.setTimeout(WATCH_IDLE_MS, () => finish(named("TimeoutError", "the watch went silent")));
    req.on("error", (err) => finish(signal.aborted ? undefined : err));
    req.on("response", (res) => {
      if ((res.statusCode ?? 0) >= 300) {
        readAll(res).then(
          (text) => finish(apiError(res.statusCode ?? 0, "GET", path, text)),
          finish,
        );
        return;
      }
      streamEvents(res, onEvent).then(() => finish(), finish);
    });
    req.end();
  });
}

/** The Authorization header: a static token, or a token file re-read every minute. */
function bearer(connection: KubeConnection): () => string | undefined {
  if (connection.token) return () => `Bearer ${connection.token}`;
  const file = connection.tokenFile;
  if (!file) return () => undefined;
  let cached: { value: string; readAt: number } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.readAt > TOKEN_FILE_TTL_MS) {
      cached = { value: `Bearer ${readFileSync(file, "utf8").trim()}`, readAt: now };
    }
    return cached.value;
  };
}
