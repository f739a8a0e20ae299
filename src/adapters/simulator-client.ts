// The Ray Serve simulator over HTTP (docs/engine.md has the contract). Maps
// every way a call can end onto the four outcomes the reconciler knows.
// POST /simulate carries the operator's bearer token; GET /health is open.
import type { EngineRequest } from "../controllers/simulation/engine-request.ts";
import type { SimulateOutcome, SimulatorClient } from "../controllers/simulation/ports.ts";
import { EngineResult } from "../controllers/simulation/result-summary.ts";
import type { SimulatorCredentials } from "./simulator-credentials.ts";

/** Statuses that say "not now" rather than "not this request". */
const UNAVAILABLE = new Set([404, 408, 429, 502, 503, 504]);

export interface SimulatorClientOptions {
  /** Longest a single POST /simulate may take before it counts as unavailable. */
  readonly requestTimeoutMs: number;
  /** The bearer tokens to send (docs/security.md); none: no Authorization header. */
  readonly credentials?: SimulatorCredentials | undefined;
  readonly fetch?: typeof fetch;
}

/** The simulator refused the token: try the next one, if there is one. */
const REFUSED = new Set([401, 403]);

export function createSimulatorClient(options: SimulatorClientOptions): SimulatorClient {
  const http = options.fetch ?? fetch;

  /** POST /simulate with each token in turn until one is not refused. */
  async function post(endpoint: string, body: string, signal: AbortSignal): Promise<Response> {
    const tokens = options.credentials ? await options.credentials.tokens() : [undefined];
    let response: Response | undefined;
    for (const token of tokens) {
      // A refused token was stopped before the request was read: nothing ran.
      await response?.body?.cancel();
      response = await http(`${endpoint}/simulate`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.requestTimeoutMs)]),
      });
      if (!REFUSED.has(response.status)) break;
    }
    return response as Response;
  }

  return {
    async simulate(endpoint, request: EngineRequest, signal): Promise<SimulateOutcome> {
      let response: Response;
      try {
        response = await post(endpoint, JSON.stringify(request), signal);
      } catch (err) {
        if (signal.aborted) throw err;
        return { kind: "unavailable", message: networkMessage(err) };
      }
      const text = await response.text().catch(() => "");
      if (response.ok) {
        const parsed = EngineResult.safeParse(safeJson(text));
        return parsed.success
          ? { kind: "ok", result: parsed.data }
          : { kind: "failed", message: `unexpected response body: ${parsed.error.message}` };
      }
      const message = `HTTP ${response.status}: ${errorDetail(text)}`;
      // The operator's credentials, not the spec, are wrong: wait for a fixed Secret.
      if (REFUSED.has(response.status)) {
        return {
          kind: "unavailable",
          message: `the simulator refused the operator's token (${message})`,
        };
      }
      if (UNAVAILABLE.has(response.status)) return { kind: "unavailable", message };
      if (response.status >= 400 && response.status < 500) return { kind: "rejected", message };
      return { kind: "failed", message };
    },

    async health(endpoint, signal) {
      const response = await http(`${endpoint}/health`, {
        signal: signal ?? AbortSignal.timeout(3_000),
      });
      const body = safeJson(await response.text()) as { status?: unknown } | undefined;
      if (!response.ok || body?.status !== "healthy") {
        throw new Error(`simulator /health answered HTTP ${response.status}`);
      }
    },
  };
}

function safeJson(text: string): unknown {
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

function networkMessage(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code} ${cause.message ?? ""}`.trim();
  if (err instanceof Error && err.name === "TimeoutError") return "request timed out";
  return err instanceof Error ? err.message : String(err);
}
