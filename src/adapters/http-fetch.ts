// The part of fetch the simulator client uses, over node:http(s) with
// keep-alive pools: global fetch (undici) spends a share of every request's
// CPU on web streams, Request/Response objects and abort signals
// (docs/performance.md). Tests pass a real fetch, whose Request and Response
// fit these types.
import http, { type IncomingMessage } from "node:http";
import https from "node:https";

export interface HttpInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  text(): Promise<string>;
  readonly body: { cancel(): Promise<void> } | null;
}

export type HttpFetch = (url: string, init: HttpInit) => Promise<HttpResponse>;

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/**
 * Resolves when the response headers arrive, as fetch does; the body is
 * read by text() or dropped by body.cancel(). Failures are fetch's: a
 * TypeError "fetch failed" whose cause is the socket error, and the
 * signal's reason when it aborts.
 */
export const httpFetch: HttpFetch = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === "https:";
    const body = init.body === undefined ? undefined : Buffer.from(init.body, "utf8");
    const headers = { ...init.headers, ...(body ? { "content-length": String(body.length) } : {}) };
    const options = {
      method: init.method ?? "GET",
      headers,
      agent: agents[secure ? "https:" : "http:"],
    };
    const req = secure ? https.request(target, options) : http.request(target, options);
    const signal = init.signal;
    const onAbort = () => req.destroy(signal?.reason ?? new DOMException("aborted", "AbortError"));
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) => {
      signal?.removeEventListener("abort", onAbort);
      reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: err }));
    });
    req.on("response", (res) => resolve(responseOf(res, signal, onAbort)));
    req.end(body);
  });

function responseOf(res: IncomingMessage, signal: AbortSignal | undefined, onAbort: () => void) {
  const status = res.statusCode ?? 0;
  const done = () => signal?.removeEventListener("abort", onAbort);
  return {
    status,
    ok: status >= 200 && status < 300,
    text: () =>
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          done();
          resolve(Buffer.concat(chunks).toString("utf8"));
        });
        res.on("error", (err) => {
          done();
          reject(signal?.aborted ? signal.reason : err);
        });
      }),
    body: {
      cancel: async () => {
        done();
        res.resume();
      },
    },
  };
}
