// HTTP/2 to the API server, as client-go speaks it: every request and watch
// is a stream of one TLS connection, negotiated by ALPN. Against HTTP/1.1 a
// small write costs the operator about a third more CPU (socket pooling,
// header parsing, a TLS record per request; docs/performance.md). A server
// that does not offer h2 is spoken to over HTTP/1.1 (kube-transport.ts).
//
// A session that closes, fails or receives GOAWAY is replaced at the next
// request; streams still open on it finish. A request that times out makes
// the session suspect: it is pinged, and destroyed when no answer comes in
// PING_TIMEOUT_MS, so a dead connection fails every stream at once instead
// of each waiting for its own timeout. Stream and session failures reach the
// caller as ECONNRESET (the runtime's network class, errors.ts).
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { isIP } from "node:net";
import tls from "node:tls";
import type { KubeConnection } from "./kube-config.ts";
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

const PING_TIMEOUT_MS = 15_000;
const CONNECT_TIMEOUT_MS = 10_000;
const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;

/** One TLS connection to the API server, HTTP/2 when the server offers it. */
class Http2Connection {
  readonly #connection: KubeConnection;
  /** Resolves to undefined when the server chose HTTP/1.1: it is not asked again. */
  #session: Promise<ClientHttp2Session | undefined> | undefined;
  /** Open streams per session: a session keeps the process alive while it has some. */
  readonly #open = new WeakMap<ClientHttp2Session, number>();

  constructor(connection: KubeConnection) {
    this.#connection = connection;
  }

  /** The live session, dialled on first use; undefined when the server speaks HTTP/1.1 only. */
  session(): Promise<ClientHttp2Session | undefined> {
    if (!this.#session) {
      const dialled = dial(this.#connection).then((session) => {
        if (session) this.#watchSession(session, dialled);
        return session;
      });
      dialled.catch(() => this.#forget(dialled));
      this.#session = dialled;
    }
    return this.#session;
  }

  /**
   * Opens a stream; the session keeps the process alive while streams are
   * open, not longer. Throws ECONNRESET when the session cannot open it.
   */
  request(session: ClientHttp2Session, headers: http2.OutgoingHttpHeaders, endStream: boolean) {
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream });
    } catch (err) {
      session.destroy();
      throw connectionLost(err);
    }
    const open = this.#open.get(session) ?? 0;
    this.#open.set(session, open + 1);
    if (open === 0) session.ref();
    stream.once("close", () => {
      const left = (this.#open.get(session) ?? 1) - 1;
      this.#open.set(session, left);
      if (left === 0 && !session.destroyed) session.unref();
    });
    return stream;
  }

  /** A request went unanswered: ping, and drop the session if the ping goes unanswered too. */
  suspect(session: ClientHttp2Session): void {
    if (session.destroyed) return;
    const timer = setTimeout(() => session.destroy(), PING_TIMEOUT_MS);
    timer.unref();
    const pinged = session.ping((err) => {
      clearTimeout(timer);
      if (err) session.destroy();
    });
    if (!pinged) clearTimeout(timer);
  }

  #watchSession(session: ClientHttp2Session, dialled: Promise<ClientHttp2Session | undefined>) {
    const forget = () => this.#forget(dialled);
    session.on("error", forget); // each open stream reports it too
    session.once("goaway", forget);
    session.once("close", forget);
    session.unref();
  }

  #forget(dialled: Promise<ClientHttp2Session | undefined>) {
    if (this.#session === dialled) this.#session = undefined;
  }
}

/** Connects over TLS offering h2 and http/1.1; the session if the server chose h2. */
function dial(connection: KubeConnection): Promise<ClientHttp2Session | undefined> {
  const url = new URL(connection.server);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const servername = connection.tlsServerName ?? (isIP(host) ? undefined : host);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      ca: connection.ca,
      cert: connection.cert,
      key: connection.key,
      rejectUnauthorized: !connection.insecureSkipTlsVerify,
      ALPNProtocols: ["h2", "http/1.1"],
      ...(servername ? { servername } : {}),
    });
    socket.once("error", reject);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () =>
      socket.destroy(named("ETIMEDOUT", `no TLS connection within ${CONNECT_TIMEOUT_MS} ms`)),
    );
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      socket.setTimeout(0);
      if (socket.alpnProtocol !== "h2") {
        socket.destroy();
        resolve(undefined);
        return;
      }
      resolve(http2.connect(connection.server, { createConnection: () => socket }));
    });
  });
}

/** Stops a stream that is no longer wanted (timeout, abort, end of a watch). */
function cancel(stream: ClientHttp2Stream): void {
  if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
}

/** The server ended the stream, and nobody reset it. */
function closedCleanly(stream: ClientHttp2Stream, ended: boolean): boolean {
  return ended && (stream.rstCode ?? NGHTTP2_NO_ERROR) === NGHTTP2_NO_ERROR;
}

function closedMessage(stream: ClientHttp2Stream): string {
  return `the HTTP/2 stream closed before its end (code ${stream.rstCode ?? "none"})`;
}

/** A stream or session failure, in the runtime's network class. */
function connectionLost(err: unknown): Error {
  const cause = err instanceof Error ? err : new Error(String(err));
  const code = (cause as Error & { code?: unknown }).code;
  // ECONNREFUSED, ECONNRESET, ETIMEDOUT, ... keep their own code.
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return cause;
  const lost = new Error(`connection to the API server lost: ${cause.message}`, { cause });
  return Object.assign(lost, { code: "ECONNRESET" });
}

/** Pseudo-headers and headers of one request; `authorization` is the bearer, if any. */
type Headers = (method: string, path: string) => http2.OutgoingHttpHeaders;

/**
 * HTTP/2 when the server offers it, else `http1` (the server chose
 * HTTP/1.1 in the TLS handshake, and is not asked again).
 */
export function createHttp2Transport(
  connection: KubeConnection,
  authorization: () => string | undefined,
  http1: KubeTransport,
): KubeTransport {
  const h2 = new Http2Connection(connection);
  const headers: Headers = (method, path) => {
    const token = authorization();
    return {
      ":method": method,
      ":path": path,
      accept: "application/json",
      "user-agent": USER_AGENT,
      ...(token ? { authorization: token } : {}),
    };
  };
  return {
    async send(request) {
      const session = await h2.session();
      return session ? send(h2, session, headers, request) : http1.send(request);
    },
    async watch(path, onEvent, signal) {
      const session = await h2.session();
      if (!session) return http1.watch(path, onEvent, signal);
      return watch(h2, session, headers("GET", path), path, onEvent, signal);
    },
  };
}

function send(
  h2: Http2Connection,
  session: ClientHttp2Session,
  headers: Headers,
  request: TransportRequest,
): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8");
    const head = headers(request.method, request.path);
    if (body) {
      head["content-type"] = request.contentType ?? "application/json";
      head["content-length"] = body.length;
    }
    let stream: ClientHttp2Stream;
    try {
      stream = h2.request(session, head, !body);
    } catch (err) {
      reject(err);
      return;
    }
    let settled = false;
    const settle = (err: Error | undefined, response?: TransportResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      if (err) {
        cancel(stream);
        reject(err);
      } else if (response) resolve(response);
    };
    const timer = setTimeout(() => {
      h2.suspect(session);
      settle(named("TimeoutError", `no answer within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    const onAbort = () => settle(named("AbortError", "the request was aborted"));
    if (request.signal?.aborted) return onAbort();
    request.signal?.addEventListener("abort", onAbort, { once: true });
    // Settled at 'close': a stream the server resets may still 'end' first.
    let status = 0;
    let ended = false;
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"] ?? 0);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => {
      ended = true;
    });
    stream.on("error", (err) => settle(connectionLost(err)));
    stream.once("close", () => {
      if (!closedCleanly(stream, ended)) settle(connectionLost(new Error(closedMessage(stream))));
      else settle(undefined, { status, text: Buffer.concat(chunks).toString("utf8") });
    });
    if (body) stream.end(body);
  });
}

function watch(
  h2: Http2Connection,
  session: ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  path: string,
  onEvent: (type: string, object: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stream: ClientHttp2Stream;
    try {
      stream = h2.request(session, headers, true);
    } catch (err) {
      reject(err);
      return;
    }
    let done = false;
    let ended = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", onAbort);
      cancel(stream);
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => finish();
    if (signal.aborted) return finish();
    signal.addEventListener("abort", onAbort, { once: true });
    stream.setTimeout(WATCH_IDLE_MS, () => finish(named("TimeoutError", "the watch went silent")));
    stream.on("error", (err) => finish(signal.aborted ? undefined : connectionLost(err)));
    stream.once("end", () => {
      ended = true;
    });
    // 'close' comes before the promise callbacks of the lines' end: a reset
    // stream fails here even when it 'end'ed first.
    stream.once("close", () => {
      if (!closedCleanly(stream, ended)) finish(connectionLost(new Error(closedMessage(stream))));
    });
    stream.once("response", (h) => {
      const status = Number(h[":status"] ?? 0);
      if (status >= 300) {
        readAll(stream).then((text) => finish(apiError(status, "GET", path, text)), finish);
        return;
      }
      streamEvents(stream, onEvent).then(() => finish(), finish);
    });
  });
}
