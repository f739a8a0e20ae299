// No secret and no database address leaves the operator: with the stack's
// own secret values (its database password, the simulator token, the Ray
// token), a simulation is driven through a PostgreSQL outage, and then the
// operator's log (at trace level), the status of every simulation and
// platform it manages, every Event it wrote, /metrics and /readyz?verbose
// are searched for them. (Only this operator's: objects of other test files
// are written by their own operators.)
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessmentSpec } from "../../fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  getJson,
  kubectlOk,
  type OperatorProcess,
  platform,
  simulation,
  simulationCondition,
  stack,
  startOperator,
  startPiece,
  stopPiece,
  unique,
  waitFor,
} from "../harness.ts";

const databaseUrl = new URL(stack.databaseUrl);
// The operator reaches the database as `localhost`, a name nothing else in
// the stack uses, so any trace of the host is this connection's.
const operatorDatabaseUrl = Object.assign(new URL(stack.databaseUrl), { hostname: "localhost" });
const secrets = {
  "database password": decodeURIComponent(databaseUrl.password),
  "simulator token": readFileSync(stack.simulatorTokenFile, "utf8").trim(),
  "Ray token": readFileSync(stack.rayTokenFile, "utf8").trim(),
  "database host": operatorDatabaseUrl.hostname,
  "database address": `${databaseUrl.hostname}:${databaseUrl.port}`,
  "database URL": operatorDatabaseUrl.href,
};
const LABEL = "security.montecarlo.vatic.io/no-leak";

/** Every Event (in any namespace) that the operator `podName` reported. */
async function eventsOf(podName: string): Promise<{ reason: string }[]> {
  const list = await getJson(["get", "events", "-A"]);
  return list.items.filter((e: { reportingInstance?: string }) => e.reportingInstance === podName);
}

/** Which of the secrets a text contains, by name. */
const leaked = (text: string) =>
  Object.entries(secrets)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);

describe("no secret or database address leaks", { timeout: 600_000 }, () => {
  let ns: string;
  let platformName: string;
  let operator: OperatorProcess;
  const podName = unique("no-leak-op");

  beforeAll(async () => {
    for (const [name, value] of Object.entries(secrets)) {
      // A short or empty value would match anything and prove nothing.
      expect(value.length, name).toBeGreaterThanOrEqual(9);
    }
    ns = await createNamespace("no-leak");
    platformName = unique("no-leak");
    await apply({
      ...platform(platformName, {
        rayService: { namespace: ns, name: "rs" },
        endpoint: stack.rayUrl,
      }),
      metadata: { name: platformName, labels: { [LABEL]: ns } },
    });
    operator = await startOperator({
      POD_NAME: podName,
      WATCH_NAMESPACE: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      RAY_SERVICE_NAMESPACE: ns,
      PLATFORM_SELECTOR: `${LABEL}=${ns}`,
      CONTROLLERS: "simulation,platform",
      DATABASE_URL: operatorDatabaseUrl.href,
      LOG_LEVEL: "trace",
    });
  });

  afterAll(async () => {
    await startPiece("postgres");
    await operator?.stop();
  });

  it("through a database outage, from the first attempt to Succeeded", async () => {
    await stopPiece("postgres");
    try {
      const spec = {
        ...assessmentSpec(),
        platformRef: { name: platformName },
        simulation: { paths: 2000, seed: randomInt(1, 2 ** 40) },
      };
      await apply(simulation(ns, "outage", spec));
      await waitFor("DatabaseUnavailable", async () => {
        const c = await simulationCondition(ns, "outage", "Ready");
        return c?.reason === "DatabaseUnavailable" && c;
      });
      // The status while it waits (it is replaced once the run succeeds).
      expect(leaked(await kubectlOk(["get", "mcs", "outage", "-n", ns, "-o", "json"]))).toEqual([]);
      const ready = await fetch(`http://127.0.0.1:${operator.port}/readyz?verbose`);
      expect(ready.status).toBe(503);
      expect(leaked(await ready.text())).toEqual([]);
      // A few retries' worth of messages and log lines.
      await new Promise((r) => setTimeout(r, 10_000));
    } finally {
      await startPiece("postgres");
    }
    await waitFor(
      "the simulation to succeed",
      async () => (await getJson(["get", "mcs", "outage", "-n", ns])).status?.phase === "Succeeded",
      240_000,
      500,
    );
  });

  it.each([
    ["the operator's log", async () => readFileSync(operator.logFile, "utf8")],
    ["/metrics", () => operator.metrics()],
    [
      "/readyz?verbose",
      async () => (await fetch(`http://127.0.0.1:${operator.port}/readyz?verbose`)).text(),
    ],
    ["every simulation", () => kubectlOk(["get", "mcs", "-n", ns, "-o", "json"])],
    ["its platform", () => kubectlOk(["get", "mcp", platformName, "-o", "json"])],
    ["every Event it wrote", async () => JSON.stringify(await eventsOf(podName))],
  ])("%s holds none of them", async (_what, read) => {
    const text = await read();
    expect(text.length).toBeGreaterThan(0);
    expect(leaked(text)).toEqual([]);
  });

  it("searched what the outage wrote: its reason is in the log and the Events", async () => {
    expect(readFileSync(operator.logFile, "utf8")).toMatch(/DatabaseUnavailable/);
    const reasons = (await eventsOf(podName)).map((e) => e.reason);
    expect(reasons).toContain("DatabaseUnavailable");
  });
});
