// What both transports to the API server share (kube-transport.ts over
// HTTP/1.1, kube-http2.ts over HTTP/2): the request and response shapes, the
// API server's error, and reading a response or a watch's lines.
import type { Readable } from "node:stream";

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

// A watch the server ends after 20-28 s (list-watch.ts) sends a bookmark
// before; a connection silent this long is dead.
export const WATCH_IDLE_MS = 60_000;

/** The whole body as text; a body cut off rejects with ECONNRESET. */
export function readAll(res: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
    res.on("aborted", () => reject(named("ECONNRESET", "the response was cut off")));
  });
}

/**
 * Calls onLine for every complete line; resolves at the end of the response.
 * A line's pieces are joined once, when its newline arrives: appending each
 * chunk to one string and searching it again would copy a 100 KB object
 * (a simulation with a long history) several times over.
 */
function streamLines(res: Readable, onLine: (line: string) => void): Promise<void> {
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

/** Calls onEvent with each watch event (one JSON object per line) until the end of the response. */
export function streamEvents(
  res: Readable,
  onEvent: (type: string, object: unknown) => void,
): Promise<void> {
  return streamLines(res, (line) => {
    const event = JSON.parse(line) as { type: string; object: unknown };
    onEvent(event.type, event.object);
  });
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

export function named(name: string, message: string): Error {
  const err = new Error(message);
  if (name.startsWith("E")) Object.assign(err, { code: name });
  else err.name = name;
  return err;
}
