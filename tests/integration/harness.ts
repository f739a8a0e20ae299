// Shared helpers of the integration tests: the local stack's endpoints
// (from hack/stack/env.sh), kubectl, unique namespaces, and an operator
// process started from src/main.ts.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL("../../", import.meta.url));

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: start the stack (hack/stack/up.sh) and eval "$(hack/stack/env.sh)"`,
    );
  }
  return value;
}

export const stack = {
  get kubeconfig() {
    return required("KUBECONFIG");
  },
  get databaseUrl() {
    return required("DATABASE_URL");
  },
  get rayUrl() {
    return required("RAY_SERVE_URL");
  },
  get kubectl() {
    return process.env.KUBECTL ?? "kubectl";
  },
  get dir() {
    return required("MC_STACK_DIR");
  },
  get simulatorTokenFile() {
    return required("SIMULATOR_TOKEN_FILE");
  },
  get rayTokenFile() {
    return required("RAY_AUTH_TOKEN_PATH");
  },
  get rayDashboardUrl() {
    return required("RAY_DASHBOARD_URL");
  },
};

export const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString("hex")}`;

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs kubectl; never throws on a non-zero exit (tests assert on `code`). */
export async function kubectl(
  args: string[],
  input?: string,
  extraEnv: Record<string, string> = {},
): Promise<KubectlResult> {
  const child = run(stack.kubectl, args, {
    env: { ...process.env, KUBECONFIG: stack.kubeconfig, ...extraEnv },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code ?? 1 };
  }
}

export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * A kubeconfig for a service account: the stack's server and CA with a token
 * from the TokenRequest API, and no client certificate (which would win).
 */
export async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const token = (
    await kubectlOk(["create", "token", name, "-n", namespace, "--duration", "1h"])
  ).trim();
  const admin = parse(readFileSync(stack.kubeconfig, "utf8"));
  const file = `${stack.dir}/sa-${namespace}-${name}.kubeconfig`;
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: admin.clusters,
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: admin.clusters[0].name, user: name, namespace } }],
      "current-context": name,
    }),
  );
  return file;
}

export const apply = (objects: object | object[]) =>
  kubectlOk(
    ["apply", "-f", "-"],
    (Array.isArray(objects) ? objects : [objects]).map((o) => stringify(o)).join("---\n"),
  );

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary API objects
export async function getJson<T = any>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, "-o", "json"])) as T;
}

export async function createNamespace(prefix: string): Promise<string> {
  const name = unique(prefix);
  await kubectlOk(["create", "namespace", name]);
  return name;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
  );
}

export const simulation = (namespace: string, name: string, spec: object) => ({
  apiVersion: "montecarlo.vatic.io/v1alpha1",
  kind: "MonteCarloSimulation",
  metadata: { namespace, name },
  spec,
});

export const platform = (name: string, spec: object) => ({
  apiVersion: "montecarlo.vatic.io/v1alpha1",
  kind: "MonteCarloPlatform",
  metadata: { name },
  spec,
});

export interface OperatorProcess {
  readonly port: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
  metrics(): Promise<string>;
}

/** A port free right now on 127.0.0.1 (several test processes may start operators at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `node src/main.ts` against the stack and waits until it serves /healthz. */
export async function startOperator(env: Record<string, string>): Promise<OperatorProcess> {
  const port = await freePort();
  const logDir = `${stack.dir}/logs/operators`;
  mkdirSync(logDir, { recursive: true });
  const logFile = `${logDir}/${env.POD_NAME ?? "operator"}-${port}.log`;
  const out = createWriteStream(logFile);
  const child = spawn(`${REPO}node_modules/.bin/node`, [`${REPO}src/main.ts`], {
    env: {
      PATH: process.env.PATH,
      KUBECONFIG: stack.kubeconfig,
      DATABASE_URL: stack.databaseUrl,
      HTTP_HOST: "127.0.0.1",
      HTTP_PORT: String(port),
      LOG_LEVEL: "debug",
      // The simulator's bearer token, as the operator reads it in a pod.
      SIMULATOR_TOKEN_FILE: stack.simulatorTokenFile,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  await waitFor(`operator on port ${port} (log ${logFile})`, async () => {
    if (child.exitCode !== null)
      throw new Error(`operator exited with ${child.exitCode}; log ${logFile}`);
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    return r.ok;
  });
  return {
    port,
    child,
    logFile,
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
    async metrics() {
      return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    },
  };
}

/** Stops one piece of the local stack (an outage) ... */
export async function stopPiece(piece: "ray" | "postgres"): Promise<void> {
  await run(`${REPO}hack/stack/down.sh`, [piece], { env: process.env });
}

/** ... and starts it again, waiting for its readiness. */
export async function startPiece(piece: "ray" | "postgres"): Promise<void> {
  await run(`${REPO}hack/stack/up.sh`, [], {
    env: { ...process.env, MC_STACK_PIECES: piece },
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** The condition of `type` on a simulation, if any. */
export async function simulationCondition(namespace: string, name: string, type: string) {
  const sim = await getJson(["get", "mcs", name, "-n", namespace]);
  return (sim.status?.conditions ?? []).find((c: { type: string }) => c.type === type) as
    | { status: string; reason: string; message: string }
    | undefined;
}
