// HTTP/1.1 to the API server over node:https: one keep-alive connection pool
// per kubeconfig, a bearer token or a client certificate, raw JSON bodies.
// Watches are newline-delimited JSON on a long response. Errors follow the
// runtime's taxonomy (errors.ts): KubeApiError carries the HTTP status as
// `code` and the Status body; connection failures keep their Node codes;
// timeouts are named TimeoutError, aborts AbortError.
import { readFileSync } from "node:fs";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { KubeConnection } from "./kube-config.ts";

export interface TransportRequest {
  readonly method: string;
  /** Path and query, e.g. /api/v1/namespaces?limit=500. */
  readonly path: string;
  readonly body?: string | undefined;
  readonly contentType?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs: number;
}

export interface TransportResponse {
  readonly status: number;
  readonly text: string;
}

export interface KubeTransport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /**
   * Streams a watch's events (one JSON object per line) to onEvent until the
   * server ends the response (resolves), `signal` aborts (resolves), or an
   * error (rejects; a non-2xx answer as KubeApiError).
   */
  watch(
    path: string,
    onEvent: (type: string, object: unknown) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/** A non-2xx answer of the API server. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  readonly code: number;
  readonly body: unknown;

  constructor(code: number, message: string, body: unknown) {
    super(message);
    this.code = code;
    this.body = body;
  }
}

const TOKEN_FILE_TTL_MS = 60_000;
// A watch the server ends after 20-28 s (list-watch.ts) sends a bookmark
// before; a connection silent this long is dead.
const WATCH_IDLE_MS = 60_000;

export function createKubeTransport(connection: KubeConnection): KubeTransport {
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
  const authorization = bearer(connection);
  const open = (method: string, path: string, headers: Record<string, string | number>) => {
    const token = authorization();
    const url = `${connection.server}${path}`;
    const options = {
      method,
      agent,
      headers: {
        accept: "application/json",
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

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
    res.on("aborted", () => reject(named("ECONNRESET", "the response was cut off")));
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
      streamLines(res, (line) => {
        const event = JSON.parse(line) as { type: string; object: unknown };
        onEvent(event.type, event.object);
      }).then(() => finish(), finish);
    });
    req.end();
  });
}

/**
 * Calls onLine for every complete line; resolves at the end of the response.
 * A line's pieces are joined once, when its newline arrives: appending each
 * chunk to one string and searching it again would copy a 100 KB object
 * (a simulation with a long history) several times over.
 */
function streamLines(res: IncomingMessage, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let pieces: string[] = [];
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      let start = 0;
      for (let nl = chunk.indexOf("\n"); nl >= 0; nl = chunk.indexOf("\n", start)) {
        pieces.push(chunk.slice(start, nl));
        const line = pieces.join("");
        pieces = [];
        start = nl + 1;
        if (line.trim() === "") continue;
        try {
          onLine(line);
        } catch (err) {
          reject(err);
          res.destroy();
          return;
        }
      }
      if (start < chunk.length) pieces.push(chunk.slice(start));
    });
    res.on("end", () => resolve());
    res.on("error", reject);
    res.on("aborted", () => reject(named("ECONNRESET", "the watch was cut off")));
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

export function apiError(status: number, method: string, path: string, text: string) {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const message =
    typeof (body as { message?: unknown })?.message === "string"
      ? (body as { message: string }).message
      : `HTTP ${status} from ${method} ${path.split("?")[0]}`;
  return new KubeApiError(status, message, body);
}

function named(name: string, message: string): Error {
  const err = new Error(message);
  if (name.startsWith("E")) Object.assign(err, { code: name });
  else err.name = name;
  return err;
}
