// HTTP to the simulator with the operator's bearer tokens: each request is
// sent with the current token, and again with the next one when the first is
// refused (401/403) during a rotation (docs/security.md). The tokens are
// read again when both are refused, and at least every 10 s. Plus the small
// helpers that read the simulator's answers.
import type { HttpFetch, HttpInit, HttpResponse } from "./http-fetch.ts";
import type { SimulatorCredentials } from "./simulator-credentials.ts";

/** The simulator refused the token: try the next one, if there is one. */
export const REFUSED = new Set([401, 403]);

export type AuthorizedFetch = (url: string, init: HttpInit) => Promise<HttpResponse>;

// Reading the two token files costs more CPU than the rest of a small
// request's handling (docs/performance.md): the tokens are kept this long,
// and read again at once when the simulator refuses them.
const TOKEN_TTL_MS = 10_000;

export function authorizedFetch(
  http: HttpFetch,
  credentials: SimulatorCredentials | undefined,
  now: () => number = Date.now,
): AuthorizedFetch {
  let cached: { tokens: readonly string[]; readAt: number } | undefined;
  const tokens = async (reload: boolean) => {
    if (!credentials) return [undefined];
    if (reload || !cached || now() - cached.readAt > TOKEN_TTL_MS) {
      cached = undefined;
      cached = { tokens: await credentials.tokens(), readAt: now() };
    }
    return cached.tokens;
  };
  return async (url, init) => {
    const offered = await tokens(false);
    const response = await tryTokens(http, url, init, offered);
    if (!credentials || !REFUSED.has(response.status)) return response;
    // Refused: a rotated Secret may hold tokens the cache does not have yet.
    const fresh = await tokens(true);
    if (fresh.join("\n") === offered.join("\n")) return response;
    await response.body?.cancel();
    return tryTokens(http, url, init, fresh);
  };
}

async function tryTokens(
  http: HttpFetch,
  url: string,
  init: HttpInit,
  tokens: readonly (string | undefined)[],
): Promise<HttpResponse> {
  let response: HttpResponse | undefined;
  for (const token of tokens) {
    // A refused token was stopped before the request was read: nothing ran.
    await response?.body?.cancel();
    init.signal?.throwIfAborted();
    const headers = token ? { ...init.headers, authorization: `Bearer ${token}` } : init.headers;
    response = await http(url, { ...init, ...(headers ? { headers } : {}) });
    if (!REFUSED.has(response.status)) break;
  }
  return response as HttpResponse;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** FastAPI's `{"detail": [{"loc": [...], "msg": ...}]}` as "simulation.paths: msg". */
export function errorDetail(text: string): string {
  const body = safeJson(text) as { detail?: unknown } | undefined;
  const detail = body?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d: { loc?: unknown[]; msg?: string }) => {
        const loc = (d.loc ?? []).filter((p) => p !== "body").join(".");
        return loc ? `${loc}: ${d.msg}` : String(d.msg);
      })
      .join("; ");
  }
  return text.slice(0, 500) || "no body";
}

export function networkMessage(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code} ${cause.message ?? ""}`.trim();
  if (err instanceof Error && err.name === "TimeoutError") return "request timed out";
  return err instanceof Error ? err.message : String(err);
}
