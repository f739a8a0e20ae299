/**
 * Ray Serve's own state for the platform's integration tests, read from the
 * local Ray dashboard (GET /api/serve/applications/, as KubeRay reads it),
 * plus the two processes those tests drive: the local KubeRay stand-in
 * (hack/kuberay-standin) and a bounded load of concurrent simulations.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { createDashboard } from "../../../hack/kuberay-standin/dashboard.ts";
import { REPO, stack, waitFor } from "../harness.ts";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: eval "$(hack/stack/env.sh)"`);
  return value;
}

export const dashboard = () =>
  createDashboard(
    required("RAY_DASHBOARD_URL"),
    readFileSync(required("RAY_AUTH_TOKEN_PATH"), "utf8").trim(),
  );

/** What Serve reports for one deployment: its autoscaling bounds and its replicas. */
export interface DeploymentState {
  minReplicas: number;
  maxReplicas: number;
  targetOngoingRequests: number;
  /** Replicas in state RUNNING. */
  running: number;
  /** Replicas in any state (starting, running, stopping). */
  replicas: number;
  targetNumReplicas: number;
}

interface DeploymentDetails {
  target_num_replicas: number;
  replicas?: Array<{ state: string }>;
  deployment_config: {
    autoscaling_config?: {
      min_replicas: number;
      max_replicas: number;
      target_ongoing_requests: number;
    };
  };
}

export async function deploymentState(app: string, deployment: string): Promise<DeploymentState> {
  const details = (await dashboard().applications()) as {
    applications?: Record<string, { deployments?: Record<string, DeploymentDetails> }>;
  };
  const dep = details.applications?.[app]?.deployments?.[deployment];
  const auto = dep?.deployment_config.autoscaling_config;
  if (!dep || !auto)
    throw new Error(`Serve reports no autoscaling deployment ${app}/${deployment}`);
  const replicas = dep.replicas ?? [];
  return {
    minReplicas: auto.min_replicas,
    maxReplicas: auto.max_replicas,
    targetOngoingRequests: auto.target_ongoing_requests,
    running: replicas.filter((r) => r.state === "RUNNING").length,
    replicas: replicas.length,
    targetNumReplicas: dep.target_num_replicas,
  };
}

export interface Process {
  readonly logFile: string;
  stop(): Promise<void>;
}

/** Starts the KubeRay stand-in for one RayService, as the demo does. */
export async function startStandin(namespace: string, name: string): Promise<Process> {
  const logDir = `${stack.dir}/logs/standins`;
  mkdirSync(logDir, { recursive: true });
  const logFile = `${logDir}/${namespace}-${name}.log`;
  const child: ChildProcess = spawn(
    `${REPO}node_modules/.bin/node`,
    [`${REPO}hack/kuberay-standin/main.ts`, "--rayservice", `${namespace}/${name}`],
    {
      env: {
        PATH: process.env.PATH,
        KUBECONFIG: stack.kubeconfig,
        RAY_DASHBOARD_URL: required("RAY_DASHBOARD_URL"),
        RAY_AUTH_TOKEN_PATH: required("RAY_AUTH_TOKEN_PATH"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const out = createWriteStream(logFile);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitFor(`the stand-in to start (log ${logFile})`, async () => {
    if (child.exitCode !== null) throw new Error(`stand-in exited; log ${logFile}`);
    return child.pid !== undefined;
  });
  return {
    logFile,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A simulation request small enough to finish in about a second, big enough to be in flight. */
const simulationRequest = (id: number) => ({
  jobId: `autoscaling-load-${id}`,
  seed: id,
  mode: "assessment",
  account: { initialBalance: 100000 },
  rules: {
    profitTarget: 10000,
    minTradingDays: 4,
    maxTradingDays: 30,
    maxLoss: { amount: 10000, mode: "TrailingEndOfDay", lockAtInitialBalance: false },
    dailyLoss: { amount: 5000, onBreach: "Fail" },
  },
  trader: {
    tradesPerDay: { mean: 3, distribution: "Fixed" },
    parametric: { winRate: 0.5, averageWin: 600, averageLoss: 400, sizeVariation: 0.3 },
  },
  simulation: { paths: 20000, horizonDays: 60, confidenceLevel: 0.95 },
});

export interface Load {
  /** Stops sending, waits for the requests in flight, and says how they went. */
  stop(): Promise<{ ok: number; failed: number }>;
}

/**
 * `concurrency` clients, each sending its next simulation as soon as the last
 * one answered, so that Serve sees that many requests in flight all the time.
 * It stops by itself at `deadline` (epoch ms) if nobody stops it first.
 */
export function startLoad(concurrency: number, deadline: number): Load {
  let stopped = false;
  const counts = { ok: 0, failed: 0 };
  let next = 0;
  const token = readFileSync(stack.simulatorTokenFile, "utf8").trim();
  const client = async () => {
    while (!stopped && Date.now() < deadline) {
      try {
        const response = await fetch(`${stack.rayUrl}/simulate`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify(simulationRequest(next++)),
          signal: AbortSignal.timeout(120_000),
        });
        await response.arrayBuffer();
        counts[response.ok ? "ok" : "failed"]++;
      } catch {
        counts.failed++;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  return {
    async stop() {
      stopped = true;
      await Promise.all(clients);
      return counts;
    },
  };
}
