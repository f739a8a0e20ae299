// The simulator on the local stack requires its bearer token: 401 without,
// 403 with a wrong one, 200 with the stack's token; GET /health stays open.
// And the operator: a refused token makes a simulation wait (not fail), and
// a token rotated into the next-token file is picked up without a restart.
import { randomInt } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessmentSpec } from "../../fixtures/simulations.ts";
import {
  apply,
  createNamespace,
  getJson,
  type OperatorProcess,
  platform,
  simulation,
  simulationCondition,
  stack,
  startOperator,
  unique,
  waitFor,
} from "../harness.ts";

const token = () => readFileSync(stack.simulatorTokenFile, "utf8").trim();

const engineRequest = (paths: number) => ({
  jobId: unique("auth"),
  seed: randomInt(1, 2 ** 40),
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
    parametric: { winRate: 0.5, averageWin: 600, averageLoss: 400 },
  },
  simulation: { paths, horizonDays: 30 },
});

const post = (headers: { authorization?: string }, body: unknown = engineRequest(1000)) =>
  fetch(`${stack.rayUrl}/simulate`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST /simulate on the local stack", () => {
  it.each([
    { name: "no Authorization header", headers: {}, status: 401 },
    { name: "another scheme", headers: { authorization: `Basic ${token()}` }, status: 401 },
    { name: "a wrong token", headers: { authorization: "Bearer not-the-token" }, status: 403 },
    {
      name: "the token with one character more",
      headers: { authorization: `Bearer ${token()}x` },
      status: 403,
    },
  ])("refuses $name with $status, saying nothing of the token", async ({ headers, status }) => {
    const r = await post(headers);
    expect(r.status).toBe(status);
    const text = await r.text();
    expect(text).not.toContain(token());
    if (status === 401) expect(r.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("refuses a malformed body without the token before validating it (401, not 422)", async () => {
    expect((await post({}, "{not json")).status).toBe(401);
    expect((await post({ authorization: `Bearer ${token()}` }, "{not json")).status).toBe(422);
  });

  it("answers 200 with the stack's token", async () => {
    const r = await post({ authorization: `Bearer ${token()}` });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { paths: number }).paths).toBe(1000);
  });

  it("keeps GET /health open", async () => {
    const r = await fetch(`${stack.rayUrl}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: "healthy" });
  });
});

describe("the operator's token", { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "mc-operator-token-"));
  const current = join(dir, "token");
  const next = join(dir, "next");
  let ns: string;
  let operator: OperatorProcess;

  beforeAll(async () => {
    ns = await createNamespace("sim-auth");
    const platformName = unique("sim-auth");
    await apply(
      platform(platformName, { rayService: { namespace: ns, name: "rs" }, endpoint: stack.rayUrl }),
    );
    writeFileSync(current, "an-old-token-the-simulator-no-longer-accepts");
    operator = await startOperator({
      POD_NAME: unique("sim-auth-op"),
      WATCH_NAMESPACE: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      CONTROLLERS: "simulation",
      SIMULATOR_TOKEN_FILE: current,
      SIMULATOR_NEXT_TOKEN_FILE: next,
    });
    await apply(
      simulation(ns, "rotated", {
        ...assessmentSpec(),
        platformRef: { name: platformName },
        simulation: { paths: 2000, seed: randomInt(1, 2 ** 40) },
      }),
    );
  });

  afterAll(async () => {
    await operator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refused: the simulation waits as BackendUnavailable, without the token in its status", async () => {
    const waiting = await waitFor("BackendUnavailable", async () => {
      const c = await simulationCondition(ns, "rotated", "Ready");
      return c?.reason === "BackendUnavailable" && c;
    });
    expect(waiting.message).toMatch(/refused the operator's token \(HTTP 403/);
    const sim = await getJson(["get", "mcs", "rotated", "-n", ns]);
    expect(sim.status.phase).not.toBe("Failed");
    expect(JSON.stringify(sim)).not.toContain("an-old-token");
  });

  it("rotated: the next token, written while it runs, is used without a restart", async () => {
    writeFileSync(next, token());
    const done = await waitFor(
      "the simulation to succeed",
      async () => {
        const sim = await getJson(["get", "mcs", "rotated", "-n", ns]);
        return sim.status?.phase === "Succeeded" && sim;
      },
      240_000,
      500,
    );
    expect(done.status.result.paths).toBe(2000);
    expect(operator.child.exitCode).toBeNull();
  });
});
