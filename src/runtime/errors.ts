/**
 * Errors that carry a reason: a CamelCase word that becomes a condition's
 * reason and a log field. The worker normalises whatever a reconcile throws
 * into one of the two kinds below, once, at its boundary.
 */

export interface ReasonedErrorOptions {
  cause?: unknown;
}

/** Base for both kinds; use TransientError or TerminalError. */
export class ReasonedError extends Error {
  readonly reason: string;

  constructor(reason: string, message: string, options?: ReasonedErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}

/** The world may change: retried with per-key exponential backoff. */
export class TransientError extends ReasonedError {
  override readonly name = "TransientError";
}

/** Retrying cannot help (until the object changes): logged, key forgotten. */
export class TerminalError extends ReasonedError {
  override readonly name = "TerminalError";
}

export const Reasons = {
  Conflict: "Conflict",
  NotFound: "NotFound",
  AlreadyExists: "AlreadyExists",
  TooManyRequests: "TooManyRequests",
  ApiServerUnavailable: "ApiServerUnavailable",
  Timeout: "Timeout",
  InternalError: "InternalError",
  Unknown: "ReconcileError",
} as const;

// Statuses whose retry cannot succeed with the same request; everything else
// (conflicts, missing objects, throttling, server errors, RBAC still being
// applied) may pass on a later attempt.
const TERMINAL_HTTP = new Set([400, 405, 406, 413, 415, 422]);

const HTTP_REASON: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  408: "Timeout",
  409: "Conflict",
  410: "Expired",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "Timeout",
};

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

const CAMEL_CASE = /^[A-Z][A-Za-z0-9]*$/;

/** The reason of any thrown value: its own, else the normalised one. */
export function errorReason(err: unknown): string {
  return normalizeError(err).reason;
}

export function isTerminal(err: unknown): boolean {
  return normalizeError(err) instanceof TerminalError;
}

/**
 * The HTTP status of a client-node ApiException (`code`) or of the plain
 * Error its Watch throws (`statusCode`); undefined for anything else.
 */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode === "number") return e.statusCode;
  if (typeof e.code === "number") return e.code;
  return undefined;
}

/** True when the error (or a cause) is a connection-level failure. */
export function isNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Maps anything thrown to a TransientError or TerminalError:
 * - ours are returned as they are;
 * - client-node ApiException / Watch errors by HTTP status (the Status body's
 *   own reason wins when present): 409 Conflict, 404 NotFound, 429 and 5xx
 *   transient; 400/422 and other requests that cannot succeed as sent, terminal;
 * - connection failures (ECONNREFUSED, resets, DNS) → transient ApiServerUnavailable;
 * - timeouts/aborts → transient Timeout;
 * - anything else → transient ReconcileError (controller-runtime retries unknown errors).
 */
export function normalizeError(err: unknown): TransientError | TerminalError {
  if (err instanceof TransientError || err instanceof TerminalError) return err;
  if (err instanceof ReasonedError) {
    return new TransientError(err.reason, err.message, { cause: err });
  }
  const message = messageOf(err);
  const status = httpStatusOf(err);
  if (status !== undefined && status >= 400) {
    const reason = statusBodyReason(err) ?? HTTP_REASON[status] ?? `Http${status}`;
    const detail = statusBodyMessage(err) ?? message;
    return TERMINAL_HTTP.has(status)
      ? new TerminalError(reason, detail, { cause: err })
      : new TransientError(reason, detail, { cause: err });
  }
  if (isNetworkError(err)) {
    return new TransientError(Reasons.ApiServerUnavailable, message, { cause: err });
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (name === "TimeoutError" || name === "AbortError") {
    return new TransientError(Reasons.Timeout, message, { cause: err });
  }
  return new TransientError(Reasons.Unknown, message, { cause: err });
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function statusBody(err: unknown): { reason?: unknown; message?: unknown } | undefined {
  let body = (err as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return typeof body === "object" && body !== null ? body : undefined;
}

function statusBodyReason(err: unknown): string | undefined {
  const reason = statusBody(err)?.reason;
  return typeof reason === "string" && CAMEL_CASE.test(reason) ? reason : undefined;
}

function statusBodyMessage(err: unknown): string | undefined {
  const message = statusBody(err)?.message;
  return typeof message === "string" && message !== "" ? message : undefined;
}
