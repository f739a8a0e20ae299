// The Ray Serve simulator over HTTP (docs/engine.md has the contract). Maps
// every way a POST /simulate can end onto the four outcomes the reconciler
// knows; reads the engine version and a job's progress (a few reads per
// endpoint at once); asks for a job's computation to stop. Every call but
// GET /health carries the operator's bearer token (simulator-http.ts).
import { z } from "zod";
import type { EngineRequest } from "../controllers/simulation/engine-request.ts";
import type { SimulateOutcome, SimulatorClient } from "../controllers/simulation/ports.ts";
import { EngineResult } from "../controllers/simulation/result-summary.ts";
import { deadline } from "../runtime/deadline.ts";
import { type HttpFetch, type HttpResponse, httpFetch } from "./http-fetch.ts";
import type { SimulatorCredentials } from "./simulator-credentials.ts";
import {
  type AuthorizedFetch,
  authorizedFetch,
  errorDetail,
  networkMessage,
  REFUSED,
  safeJson,
} from "./simulator-http.ts";

/** The part of GET /jobs/{jobId} the operator reads (docs/engine.md). */
const JobBody = z.object({
  state: z.enum(["running", "succeeded", "failed", "cancelled"]),
  pathsDone: z.int().min(0),
  pathsTotal: z.int().min(0),
  startTime: z.iso.datetime({ offset: true }),
});

/** Statuses that say "not now" rather than "not this request". */
const UNAVAILABLE = new Set([404, 408, 429, 502, 503, 504]);

export interface SimulatorClientOptions {
  /** Longest a single POST /simulate may take; past it the execution counts as failed. */
  readonly requestTimeoutMs: number;
  /** How long an engine version read from GET /version is trusted (default 60 s). */
  readonly versionTtlMs?: number;
  /** The bearer tokens to send (docs/security.md); none: no Authorization header. */
  readonly credentials?: SimulatorCredentials | undefined;
  /** Default: node:http with keep-alive (http-fetch.ts); tests pass a fake fetch. */
  readonly fetch?: HttpFetch;
}

export function createSimulatorClient(options: SimulatorClientOptions): SimulatorClient {
  const http = options.fetch ?? httpFetch;
  const call = authorizedFetch(http, options.credentials);
  return {
    simulate: (endpoint, request, signal) => simulate(call, options, endpoint, request, signal),
    engineVersion: createVersionCache(call, options.versionTtlMs ?? 60_000),

    job: createJobReader(call),

    async cancel(endpoint, jobId) {
      const response = await call(`${endpoint}/jobs/${encodeURIComponent(jobId)}`, {
        method: "DELETE",
        signal: AbortSignal.timeout(5_000),
      });
      await response.body?.cancel();
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

async function simulate(
  call: AuthorizedFetch,
  options: SimulatorClientOptions,
  endpoint: string,
  request: EngineRequest,
  signal: AbortSignal,
): Promise<SimulateOutcome> {
  const limit = deadline(signal, options.requestTimeoutMs);
  let response: HttpResponse;
  let text: string;
  try {
    response = await call(`${endpoint}/simulate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
      signal: limit.signal,
    });
    text = await response.text().catch(() => "");
  } catch (err) {
    if (signal.aborted) throw err;
    // A request that outlives the timeout is a failed execution, not an
    // outage: it consumes backoffLimit instead of retrying forever.
    if (limit.timedOut()) {
      return {
        kind: "failed",
        message: `no answer within SIMULATOR_TIMEOUT_SECONDS (${options.requestTimeoutMs / 1000} s)`,
      };
    }
    return { kind: "unavailable", message: networkMessage(err) };
  } finally {
    limit.dispose();
  }
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
  // 410: the job was cancelled on the simulator while this request waited.
  if (response.status === 410) return { kind: "failed", message };
  if (response.status >= 400 && response.status < 500) return { kind: "rejected", message };
  return { kind: "failed", message };
}

/**
 * Progress reads in flight to one endpoint at most. They are routes of the
 * same Serve deployment as POST /simulate, so each takes a replica slot; when
 * long runs fill the slots, the reads wait in Serve's queue (up to their 5 s
 * timeout), where every execution in flight would add one each interval and
 * crowd out new runs. Past this many a read is skipped: progress is best
 * effort, and the next interval tries again.
 */
export const PROGRESS_READS_PER_ENDPOINT = 8;

/** GET /jobs/{jobId}: the job's progress, undefined when the simulator does not know it. */
function createJobReader(call: AuthorizedFetch): SimulatorClient["job"] {
  const reading = new Map<string, number>();
  const read = async (endpoint: string, jobId: string) => {
    const response = await call(`${endpoint}/jobs/${encodeURIComponent(jobId)}`, {
      signal: AbortSignal.timeout(5_000),
    });
    const body = safeJson(await response.text());
    if (response.status === 404) return undefined;
    const parsed = JobBody.safeParse(body);
    if (!response.ok || !parsed.success) {
      throw new Error(`GET /jobs/${jobId} answered HTTP ${response.status}`);
    }
    return { ...parsed.data, startTime: new Date(parsed.data.startTime), observedAt: new Date() };
  };
  return async (endpoint, jobId) => {
    const inFlight = reading.get(endpoint) ?? 0;
    if (inFlight >= PROGRESS_READS_PER_ENDPOINT) {
      throw new Error(`${inFlight} progress reads to ${endpoint} in flight; this one skipped`);
    }
    reading.set(endpoint, inFlight + 1);
    try {
      return await read(endpoint, jobId);
    } finally {
      reading.set(endpoint, (reading.get(endpoint) ?? 1) - 1);
    }
  };
}

/**
 * GET /version per endpoint, kept for `ttlMs`; when a refresh fails the last
 * version read is used, so a short outage does not stop new runs from being
 * recorded. Throws only when the endpoint never answered.
 */
function createVersionCache(call: AuthorizedFetch, ttlMs: number) {
  const known = new Map<string, { version: string; atMs: number }>();
  return async (endpoint: string): Promise<string> => {
    const cached = known.get(endpoint);
    if (cached && Date.now() - cached.atMs < ttlMs) return cached.version;
    try {
      const response = await call(`${endpoint}/version`, { signal: AbortSignal.timeout(5_000) });
      const body = safeJson(await response.text()) as { engineVersion?: unknown } | undefined;
      if (REFUSED.has(response.status)) {
        throw new Error(`the simulator refused the operator's token (HTTP ${response.status})`);
      }
      if (!response.ok || typeof body?.engineVersion !== "string") {
        throw new Error(`GET /version answered HTTP ${response.status}`);
      }
      known.set(endpoint, { version: body.engineVersion, atMs: Date.now() });
      return body.engineVersion;
    } catch (err) {
      if (cached) return cached.version;
      throw new Error(`cannot read its engine version: ${networkMessage(err)}`, { cause: err });
    }
  };
}

export { errorDetail };
