// Issue 10 on the real stack: what /metrics serves, and a simulation whose
// history the informer does not cache still runs with its full history.
import { randomInt } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { familiesOf, OPERATOR_METRICS } from "../fixtures/metric-names.ts";
import { historyOf, historySpec } from "../fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  getJson,
  type OperatorProcess,
  platform,
  simulation,
  stack,
  startOperator,
  unique,
  waitFor,
} from "./harness.ts";

const LABEL = "montecarlo.vatic.io/test-scale";
const ENTRIES = 10_000;

describe("an operator at scale", () => {
  let ns: string;
  let platformName: string;
  let operator: OperatorProcess;

  beforeAll(async () => {
    ns = await createNamespace("scale");
    platformName = unique("scale");
    await apply({
      ...platform(platformName, {
        rayService: { namespace: ns, name: "rs" },
        endpoint: stack.rayUrl,
      }),
      metadata: { name: platformName, labels: { [LABEL]: ns } },
    });
    operator = await startOperator({
      POD_NAME: unique("scale-operator"),
      WATCH_NAMESPACE: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      RAY_SERVICE_NAMESPACE: ns,
      PLATFORM_SELECTOR: `${LABEL}=${ns}`,
      CONTROLLERS: "simulation,platform",
    });
  });

  afterAll(async () => {
    await operator?.stop();
  });

  it("serves exactly the listed metric families on /metrics while it leads", async () => {
    const text = await waitFor("the operator to lead", async () => {
      const t = await operator.metrics();
      return /^leader_election_master_status\{[^}]*\} 1$/m.test(t) ? t : undefined;
    });
    expect(familiesOf(text)).toEqual(OPERATOR_METRICS);
  });

  it("submits all 10,000 entries of a history its cache left out", async () => {
    const spec = historySpec(ENTRIES);
    const name = "long-history";
    await apply(
      simulation(ns, name, {
        ...spec,
        platformRef: { name: platformName },
        simulation: { paths: 200, horizonDays: 5, seed: randomInt(1, 2 ** 40) },
      }),
    );
    const sim = await waitFor(
      `${name} Succeeded`,
      async () => {
        const s = await getJson(["get", "mcs", name, "-n", ns]);
        return s.status?.phase === "Succeeded" ? s : undefined;
      },
      120_000,
      500,
    );
    expect(sim.status.result.paths).toBe(200);
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT "inputData" FROM "SimulationJob" WHERE uid = $1 AND status = 'completed'`,
        [sim.metadata.uid],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].inputData.trader.history.pnl).toEqual(historyOf(ENTRIES));
    } finally {
      await db.end();
    }
  });
});
