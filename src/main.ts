// Wiring only: config -> logger -> adapters -> controllers -> start.
// The process serves /healthz, /readyz and /metrics at once; it reconciles
// only while it holds the leader Lease, and exits when it loses it (a fresh
// process re-lists everything), as controller-runtime managers do.
import { fileURLToPath } from "node:url";
import pg from "pg";
import pino from "pino";
import { createPool } from "./adapters/database-pool.ts";
import { applyMigrations } from "./adapters/migrations.ts";
import { createPrisma } from "./adapters/prisma.ts";
import { createSimulationStore } from "./adapters/simulation-store.ts";
import { createSimulatorClient } from "./adapters/simulator-client.ts";
import { simulatorCredentials } from "./adapters/simulator-credentials.ts";
import { platformEndpoint } from "./api/platform.ts";
import { loadConfig } from "./config.ts";
import { createPlatformController } from "./controllers/platform/controller.ts";
import { createSimulationController } from "./controllers/simulation/controller.ts";
import { storeSettledResults } from "./controllers/simulation/shutdown.ts";
import type { Controller } from "./runtime/controller.ts";
import { createControllerMetrics } from "./runtime/controller-metrics.ts";
import { createHealthServer } from "./runtime/health-server.ts";
import type { Informer } from "./runtime/informer.ts";
import { KubeConfig } from "./runtime/kube-config.ts";
import { createKubeRequester } from "./runtime/kube-request.ts";
import { createLeaderElector } from "./runtime/leader-election.ts";
import { kubeLeaseLock } from "./runtime/lease-lock.ts";
import { createMetricsRegistry } from "./runtime/metrics.ts";

const config = loadConfig(process.env);
// No pino `name`: each reconcile's child logger binds the object's `name`.
const log = pino({ level: config.LOG_LEVEL, base: { component: "montecarlo-operator" } });

if (config.MIGRATE_ON_START) {
  const client = new pg.Client({ connectionString: config.DATABASE_URL });
  await client.connect();
  try {
    const dir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
    const { applied } = await applyMigrations(client, dir);
    log.info({ applied }, "migrations checked");
  } finally {
    await client.end();
  }
}

const registry = createMetricsRegistry();
const controllerMetrics = createControllerMetrics(registry);
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const request = createKubeRequester(kubeConfig);
const pool = createPool(config.DATABASE_URL);
const prisma = createPrisma(pool);
const store = createSimulationStore(prisma, pool);
const credentials = simulatorCredentials(config);
// An unreadable token file stops the process at start, not at the first simulation.
await credentials?.tokens();
const simulator = createSimulatorClient({
  requestTimeoutMs: config.SIMULATOR_TIMEOUT_SECONDS * 1000,
  credentials,
});

const informers: Informer<unknown>[] = [];
const controllers: Controller[] = [];
const simulation = config.CONTROLLERS.includes("simulation")
  ? createSimulationController({
      kubeConfig,
      request,
      store,
      simulator,
      logger: log,
      registry,
      controllerMetrics,
      workers: config.SIMULATION_WORKERS,
      resyncPeriodMs: config.RESYNC_SECONDS * 1000,
      namespace: config.WATCH_NAMESPACE,
      identity: config.POD_NAME,
      finalizerGraceMs: config.FINALIZER_GRACE_SECONDS * 1000,
      orphanSweepMs: config.ORPHAN_SWEEP_SECONDS * 1000,
    })
  : undefined;
if (simulation) {
  informers.push(...(simulation.informers as Informer<unknown>[]));
  controllers.push(simulation.controller);
}
if (config.CONTROLLERS.includes("platform")) {
  const platform = createPlatformController({
    kubeConfig,
    request,
    logger: log,
    registry,
    controllerMetrics,
    identity: config.POD_NAME,
    resyncPeriodMs: config.RESYNC_SECONDS * 1000,
    workers: config.PLATFORM_WORKERS,
    ...(config.PLATFORM_SELECTOR ? { platformSelector: config.PLATFORM_SELECTOR } : {}),
    ...(config.RAY_SERVICE_NAMESPACE ? { rayServiceNamespace: config.RAY_SERVICE_NAMESPACE } : {}),
  });
  informers.push(...(platform.informers as unknown as Informer<unknown>[]));
  controllers.push(platform.controller);
}

let leading = false;
const health = createHealthServer({
  host: config.HTTP_HOST,
  port: config.HTTP_PORT,
  registry,
  logger: log,
});
// A standby replica is ready to take over: its caches start when it leads.
health.addReadinessCheck(
  "informers-synced",
  () => !leading || informers.every((i) => i.hasSynced()),
);
health.addReadinessCheck("database", async () => {
  await store.ping();
});
health.addReadinessCheck("simulator", async () => {
  const endpoints = new Set(
    (simulation?.platforms.list() ?? []).flatMap((p) => {
      const spec = p.spec as {
        endpoint?: string;
        rayService?: { name: string; namespace: string };
      };
      return spec.rayService
        ? [platformEndpoint({ endpoint: spec.endpoint ?? "", rayService: spec.rayService })]
        : [];
    }),
  );
  await Promise.all([...endpoints].map((e) => simulator.health(e)));
});

async function lead(signal: AbortSignal): Promise<void> {
  leading = true;
  log.info("leading: starting informers and controllers");
  for (const informer of informers) informer.start();
  simulation?.startSweeps(signal);
  await Promise.all(controllers.map((c) => c.start(signal)));
  await new Promise<void>((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  // A graceful stop lets reconciles finish; lost leadership must not act any more.
  await stopWork(shutdown.signal.aborted ? undefined : 0);
}

// A stop lets reconciles in progress finish (up to SHUTDOWN_GRACE_SECONDS),
// stores the results that already arrived, and cuts off executions still in
// flight without waiting for them: their rows stay running and the next
// leader submits them again. Then the lease is released at once.
let stopping: Promise<void> | undefined;
function stopWork(timeoutMs?: number): Promise<void> {
  stopping ??= (async () => {
    const graceMs = timeoutMs ?? config.SHUTDOWN_GRACE_SECONDS * 1000;
    await Promise.all(controllers.map((c) => c.stop({ timeoutMs: graceMs })));
    if (simulation) {
      const stored = await storeSettledResults(simulation.executions, store, log);
      simulation.executions.abortAll();
      log.info({ stored }, "stopped executions; results that had arrived are stored");
    }
    await Promise.all(informers.map((i) => i.stop()));
  })();
  return stopping;
}

const shutdown = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "shutting down");
    shutdown.abort();
  });
}

await health.start();
log.info(
  { port: config.HTTP_PORT, controllers: config.CONTROLLERS },
  "serving /healthz, /readyz, /metrics",
);

let exitCode = 0;
if (config.LEADER_ELECTION) {
  const elector = createLeaderElector({
    lock: kubeLeaseLock(kubeConfig, config.LEADER_ELECTION_NAMESPACE, config.LEADER_ELECTION_ID),
    identity: config.POD_NAME,
    leaseDurationMs: config.LEASE_DURATION_SECONDS * 1000,
    renewDeadlineMs: config.RENEW_DEADLINE_SECONDS * 1000,
    retryPeriodMs: config.RETRY_PERIOD_SECONDS * 1000,
    metrics: controllerMetrics,
    logger: log,
    onStartedLeading: lead,
    onNewLeader: (identity) => log.info({ leader: identity }, "leader observed"),
  });
  health.addLivenessCheck("leader-election", () => elector.healthy());
  const end = await elector.run(shutdown.signal);
  if (end === "lost") {
    log.error("lost the leader lease; exiting so that a fresh process re-lists everything");
    exitCode = 1;
  }
} else {
  await lead(shutdown.signal);
}
await stopWork();
await health.close();
await prisma.$disconnect();
await pool.end();
log.info("stopped");
process.exit(exitCode);
