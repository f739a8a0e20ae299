// The write budget of a long run (issue 13): one simulation of tens of
// seconds, its writes to the API server counted from the API server's own
// /metrics (the namespace holds nothing else), beside the budget
// 3 + ceil(run seconds / 10); and the progress kubectl shows while it runs.
import { fundedSpec } from "../tests/fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  getJson,
  kubectlOk,
  platform,
  simulation,
  stack,
  startOperator,
  unique,
  waitFor,
} from "../tests/integration/harness.ts";

export async function measureLongRun(
  simulationWrites: () => Promise<Record<string, number>>,
  total: (before: Record<string, number>, after: Record<string, number>) => number,
) {
  const ns = await createNamespace("bench-long");
  const platformName = unique("bench-long");
  await apply(
    platform(platformName, { rayService: { namespace: ns, name: "rs" }, endpoint: stack.rayUrl }),
  );
  const operator = await startOperator({
    POD_NAME: unique("bench-long-op"),
    WATCH_NAMESPACE: ns,
    LEADER_ELECTION_NAMESPACE: ns,
    CONTROLLERS: "simulation",
    LOG_LEVEL: "warn",
  });
  try {
    const before = await simulationWrites();
    await apply(
      simulation(ns, "year", {
        ...fundedSpec(),
        platformRef: { name: platformName },
        trader: {
          tradesPerDay: { mean: 10, distribution: "Fixed" },
          parametric: { winRate: 0.5, averageWin: 10, averageLoss: 10 },
        },
        simulation: { paths: 1_000_000, horizonDays: 365, seed: Date.now() % 2 ** 40 },
      }),
    );
    const samples: string[] = [];
    const done = await waitFor(
      "the long run to succeed",
      async () => {
        const s = await getJson(["get", "mcs", "year", "-n", ns]);
        if (s.status?.progress) {
          const line = (await kubectlOk(["get", "mcs", "year", "-n", ns, "--no-headers"])).trim();
          if (samples.at(-1) !== line) samples.push(line);
        }
        return s.status?.phase === "Succeeded" && s;
      },
      900_000,
      2_000,
    );
    const seconds =
      (Date.parse(done.status.completionTime) - Date.parse(done.status.startTime)) / 1000;
    const writes = total(before, await simulationWrites()) - 1; // less the user's create
    return { seconds, writes, budget: 3 + Math.ceil(seconds / 10), samples };
  } finally {
    await operator.stop();
  }
}
