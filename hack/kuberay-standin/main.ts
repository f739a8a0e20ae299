/**
 * A local stand-in for the serveConfigV2 part of KubeRay's RayService
 * controller, for the local stack (which has KubeRay's CRD but no KubeRay and
 * no Kubernetes nodes). NOT KubeRay: it creates no Ray cluster, Service or
 * pod. For one RayService it does what KubeRay does with serveConfigV2 on a
 * running cluster:
 *
 * - watches the RayService (and re-checks every --interval-ms, as KubeRay
 *   requeues every 2 s);
 * - when spec.serveConfigV2 differs from what it last sent, converts the YAML
 *   to JSON and PUTs it to the Ray dashboard's /api/serve/applications/ (the
 *   call KubeRay makes); unchanged config is never re-sent;
 * - writes the status KubeRay would: the Ready condition, serviceStatus,
 *   numServeEndpoints, observedGeneration and the applications' statuses.
 *
 *   node hack/kuberay-standin/main.ts --rayservice NAMESPACE/NAME \
 *     [--dashboard URL (default $RAY_DASHBOARD_URL)] [--interval-ms 2000]
 *
 * KUBECONFIG names the API server; the Ray token in the file
 * RAY_AUTH_TOKEN_PATH, when set, is sent as `X-Ray-Authorization: Bearer`. The
 * operator knows nothing of it. See README.md.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { createDashboard, type Dashboard } from "./dashboard.ts";
import { createRayServices, type RayService } from "./rayservice.ts";
import { type Observation, rayServiceStatus, statusDiffers } from "./status.ts";

const { values } = parseArgs({
  options: {
    rayservice: { type: "string" },
    dashboard: { type: "string", default: process.env.RAY_DASHBOARD_URL ?? "" },
    "interval-ms": { type: "string", default: "2000" },
  },
});
const [namespace, name] = (values.rayservice ?? "").split("/");
if (!namespace || !name || !values.dashboard) {
  console.error("usage: main.ts --rayservice NAMESPACE/NAME [--dashboard URL] [--interval-ms N]");
  process.exit(2);
}

const log = (message: string) =>
  console.log(`${new Date().toISOString()} kuberay-standin ${namespace}/${name}: ${message}`);

const kc = new KubeConfig();
kc.loadFromDefault();
const rayServices = createRayServices(kc, { namespace, name });
const tokenPath = process.env.RAY_AUTH_TOKEN_PATH;
const token = tokenPath ? readFileSync(tokenPath, "utf8").trim() : undefined;
const dashboard = createDashboard(values.dashboard, token || undefined);

/** The config last accepted by Serve, per RayService uid (KubeRay caches the same). */
let sent: { uid: string; config: string } | undefined;

async function reconcile(): Promise<void> {
  const rs = await rayServices.get();
  if (!rs) return;
  const seen = await deliver(rs, dashboard);
  const next = rayServiceStatus(rs.status, seen, new Date());
  if (statusDiffers(rs.status, next)) {
    await rayServices.writeStatus({ ...next, lastUpdateTime: new Date().toISOString() });
    const ready = next.conditions?.find((c) => c.type === "Ready");
    log(`status: Ready=${ready?.status} (${ready?.reason}) generation ${next.observedGeneration}`);
  }
}

/** Sends serveConfigV2 to Serve when it is new (or an application went missing), then reads Serve. */
async function deliver(rs: RayService, serve: Dashboard): Promise<Observation> {
  const config = rs.spec?.serveConfigV2 ?? "";
  const seen: Observation = {
    generation: rs.metadata.generation,
    applications: [],
    configApplied: false,
  };
  try {
    seen.serve = await serve.applications();
  } catch (err) {
    seen.serveError = (err as Error).message;
    return seen;
  }
  if (config === "") return seen;
  let body: { applications?: Array<{ name?: string }> };
  try {
    body = parse(config) as typeof body;
    seen.applications = (body.applications ?? []).map((a) => String(a.name));
  } catch (err) {
    seen.configError = `serveConfigV2 is not YAML: ${(err as Error).message}`;
    return seen;
  }
  const missing = seen.applications.some((app) => !seen.serve?.applications?.[app]);
  if (sent?.uid === rs.metadata.uid && sent.config === config && !missing) {
    seen.configApplied = true;
    return seen;
  }
  try {
    await serve.deploy(body);
    sent = { uid: rs.metadata.uid, config };
    seen.configApplied = true;
    log(
      `PUT /api/serve/applications/ (generation ${rs.metadata.generation}: ${seen.applications.join(", ")})`,
    );
    seen.serve = await serve.applications();
  } catch (err) {
    seen.configError = (err as Error).message;
    log(seen.configError);
  }
  return seen;
}

// One reconcile at a time; a trigger during one runs another right after it.
let running: Promise<void> | undefined;
let again = false;
function trigger(): void {
  if (running) {
    again = true;
    return;
  }
  running = reconcile()
    .catch((err: Error) => log(`reconcile failed: ${err.message}`))
    .finally(() => {
      running = undefined;
      if (again) {
        again = false;
        trigger();
      }
    });
}

const stop = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    stop.abort();
    clearInterval(timer);
    void (running ?? Promise.resolve()).finally(() => process.exit(0));
  });
}
rayServices.watch(trigger, stop.signal);
const timer = setInterval(trigger, Number(values["interval-ms"]));
log(`serving serveConfigV2 to ${values.dashboard}`);
trigger();
