// The cost of waiting (issue 9, defect 11): N simulations wait for the one
// slot of a platform whose single run never finishes, and PostgreSQL's
// pg_stat_statements counts what the operator asks of the database while
// nothing finishes. The slot is held by a request to a stand-in simulator in
// this process that answers GET /version and never answers POST /simulate,
// so the measurement costs no engine time.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { assessmentSpec } from "../tests/fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  getJson,
  kubectl,
  platform,
  simulation,
  stack,
  startOperator,
  unique,
  waitFor,
} from "../tests/integration/harness.ts";

type Post = (path: string, body: object) => Promise<unknown>;

async function blackholeSimulator(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === "/version") res.end(JSON.stringify({ engineVersion: "bench" }));
    // Anything else is held open until the operator gives up.
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Statements PostgreSQL has run in this database so far (pg_stat_statements). */
export async function statementCalls(client: pg.Client): Promise<number> {
  const { rows } = await client.query(
    "SELECT coalesce(sum(calls), 0)::bigint AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat_statements%'",
  );
  return Number(rows[0].calls);
}

/** Statements per second the operator sends while `waiters` simulations wait, over `windowS`. */
export async function measureWaiters(
  waiters: number,
  windowS: number,
  post: Post,
  inParallel: <T>(items: T[], fn: (item: T) => Promise<unknown>) => Promise<void>,
) {
  const { server, url } = await blackholeSimulator();
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  const ns = await createNamespace("bench-wait");
  const platformName = unique("bench-wait");
  await apply(
    platform(platformName, {
      rayService: { namespace: ns, name: "rs" },
      endpoint: url,
      limits: { maxConcurrentRuns: 1 },
    }),
  );
  const operator = await startOperator({
    POD_NAME: unique("bench-wait-op"),
    WATCH_NAMESPACE: ns,
    LEADER_ELECTION_NAMESPACE: ns,
    CONTROLLERS: "simulation",
    LOG_LEVEL: "warn",
    SIMULATION_WORKERS: "8",
  });
  try {
    const spec = { ...assessmentSpec(), platformRef: { name: platformName } };
    const names = Array.from({ length: waiters + 1 }, (_, i) => `w-${i}`);
    await inParallel(names, (name) =>
      post(
        `/apis/montecarlo.vatic.io/v1alpha1/namespaces/${ns}/montecarlosimulations`,
        simulation(ns, name, {
          ...spec,
          simulation: { paths: 1000, seed: Number(name.slice(2)) + 1 },
        }),
      ),
    );
    await waitFor(
      `${waiters + 1} simulations reconciled, all but one waiting for a slot`,
      async () => {
        const list = await getJson(["get", "mcs", "-n", ns]);
        const reasons = list.items.map(
          (s: { status?: { conditions?: { type: string; reason: string }[] } }) =>
            s.status?.conditions?.find((c) => c.type === "Ready")?.reason,
        );
        // Every one has been reconciled: waiting, or holding the slot (an
        // operator that races past maxConcurrentRuns lets a few run).
        const settled = reasons.filter(
          (r: string) => r === "ConcurrencyLimitReached" || r === "Running",
        ).length;
        return settled === waiters + 1;
      },
      900_000,
      2000,
    );
    // Let the last reconciles of the creation burst drain.
    await new Promise((r) => setTimeout(r, 5_000));
    const before = await statementCalls(db);
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const after = await statementCalls(db);
    const list = await getJson(["get", "mcs", "-n", ns]);
    const running = list.items.filter(
      (s: { status?: { phase?: string } }) => s.status?.phase === "Running",
    ).length;
    return { waiters, windowS, perSecond: (after - before) / windowS, running };
  } finally {
    await operator.stop();
    // The platform points at this process's stand-in, which is about to close.
    await kubectl(["delete", "montecarloplatform", platformName, "--ignore-not-found"]);
    await db.end();
    server.closeAllConnections();
    server.close();
  }
}
