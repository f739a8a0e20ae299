import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

/** Resolves (or returns true/undefined) when healthy; throws or returns false otherwise. */
export type HealthCheck = () => Promise<CheckOutcome> | CheckOutcome;

// biome-ignore lint/suspicious/noConfusingVoidType: lets checks be plain `async () => { ... }`
export type CheckOutcome = boolean | undefined | void;

export interface HealthServerOptions {
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  registry?: Registry;
  logger?: Logger;
  /** A check that takes longer fails. Default 5 s. */
  checkTimeoutMs?: number;
}

export interface HealthServer {
  /** A liveness check, served under /healthz. */
  addLivenessCheck(name: string, check: HealthCheck): void;
  /** A readiness check, served under /readyz. */
  addReadinessCheck(name: string, check: HealthCheck): void;
  /** Listens; resolves with the bound port. */
  start(): Promise<number>;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * One port for the kubelet and Prometheus: /healthz, /readyz (each with
 * `?verbose`, `?exclude=name` and /readyz/<name>, as kube-apiserver serves
 * them) and /metrics. A built-in `ping` check is always present.
 */
export function createHealthServer(options: HealthServerOptions): HealthServer {
  const checkTimeoutMs = options.checkTimeoutMs ?? 5000;
  const log = options.logger;
  const liveness = new Map<string, HealthCheck>([["ping", () => true]]);
  const readiness = new Map<string, HealthCheck>([["ping", () => true]]);
  let server: Server | undefined;

  const runCheck = async (check: HealthCheck): Promise<string | undefined> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const outcome = await Promise.race([
        Promise.resolve().then(check),
        new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), checkTimeoutMs);
        }),
      ]);
      if (outcome === "timeout") return `timed out after ${checkTimeoutMs} ms`;
      return outcome === false ? "check returned false" : undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
  };

  const serveChecks = async (
    kind: "healthz" | "readyz",
    checks: Map<string, HealthCheck>,
    url: URL,
    res: ServerResponse,
  ) => {
    const sub = url.pathname.slice(kind.length + 2);
    if (sub !== "") {
      const check = checks.get(sub);
      if (!check) return send(res, 404, `no such check: ${sub}\n`);
      const failure = await runCheck(check);
      if (failure === undefined) return send(res, 200, "ok");
      log?.warn({ check: sub, failure }, `${kind} check failed`);
      return send(res, 503, `internal server error: ${failure}\n`);
    }
    const excluded = new Set(url.searchParams.getAll("exclude"));
    const names = [...checks.keys()].filter((n) => !excluded.has(n));
    const failures = await Promise.all(names.map((n) => runCheck(checks.get(n)!)));
    const failed = failures.some((f) => f !== undefined);
    const verbose = url.searchParams.has("verbose");
    if (!failed && !verbose) return send(res, 200, "ok");
    const lines = names.map((n, i) => {
      const failure = failures[i];
      // Like kube-apiserver: the reason goes to the log, not to the anonymous caller.
      return failure === undefined ? `[+]${n} ok` : `[-]${n} failed: reason withheld`;
    });
    for (const n of excluded) if (checks.has(n)) lines.push(`[+]${n} excluded: ok`);
    names.forEach((n, i) => {
      if (failures[i] !== undefined)
        log?.warn({ check: n, failure: failures[i] }, `${kind} check failed`);
    });
    lines.push(failed ? `${kind} check failed` : `${kind} check passed`);
    return send(res, failed ? 503 : 200, `${lines.join("\n")}\n`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" && req.method !== "HEAD")
      return send(res, 405, "method not allowed\n");
    if (url.pathname === "/healthz" || url.pathname.startsWith("/healthz/")) {
      return serveChecks("healthz", liveness, url, res);
    }
    if (url.pathname === "/readyz" || url.pathname.startsWith("/readyz/")) {
      return serveChecks("readyz", readiness, url, res);
    }
    if (url.pathname === "/metrics" && options.registry) {
      return send(res, 200, await options.registry.metrics(), options.registry.contentType);
    }
    return send(res, 404, "not found\n");
  };

  return {
    addLivenessCheck: (name, check) => void liveness.set(name, check),
    addReadinessCheck: (name, check) => void readiness.set(name, check),
    start() {
      if (server) throw new Error("health server already started");
      const s = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          log?.error({ err }, "health server request failed");
          if (!res.headersSent) send(res, 500, "internal error\n");
          else res.end();
        });
      });
      server = s;
      return new Promise((resolve, reject) => {
        s.once("error", reject);
        s.listen(options.port, options.host ?? "0.0.0.0", () => {
          s.off("error", reject);
          resolve((s.address() as AddressInfo).port);
        });
      });
    },
    close() {
      const s = server;
      server = undefined;
      if (!s) return Promise.resolve();
      return new Promise((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}

function send(res: ServerResponse, status: number, body: string, contentType?: string): void {
  res.writeHead(status, {
    "Content-Type": contentType ?? "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "X-Content-Type-Options": "nosniff",
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
