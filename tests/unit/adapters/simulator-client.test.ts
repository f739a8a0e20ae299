import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createSimulatorClient,
  PROGRESS_READS_PER_ENDPOINT,
} from "../../../src/adapters/simulator-client.ts";
import { SimulationSpec } from "../../../src/api/simulation.ts";
import { buildEngineRequest } from "../../../src/controllers/simulation/engine-request.ts";
import { assessmentSpec, engineResult } from "../../fixtures/simulations.ts";

const ENDPOINT = "http://sim.test:8000";
const REQUEST = buildEngineRequest(SimulationSpec.parse(assessmentSpec()), "job/1", 42);

interface Sent {
  url: string;
  method: string;
  body: unknown;
}

/** A fetch that records each request and answers with `answer`. */
function fakeFetch(answer: (url: string, init: RequestInit) => Promise<Response>) {
  const sent: Sent[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    sent.push({
      url,
      method: init.method ?? "GET",
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    });
    return answer(url, init);
  }) as typeof globalThis.fetch;
  return { fetch, sent };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** What undici throws when the connection is refused. */
const refused = () =>
  new TypeError("fetch failed", {
    cause: Object.assign(new Error("connect ECONNREFUSED 10.0.0.9:8000"), { code: "ECONNREFUSED" }),
  });

/** Never answers; rejects as fetch does when its signal aborts. */
const hang = (_url: string, init: RequestInit) =>
  new Promise<Response>((_resolve, reject) => {
    init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
  });

const simulate = (answer: Parameters<typeof fakeFetch>[0], requestTimeoutMs = 30_000) => {
  const { fetch, sent } = fakeFetch(answer);
  const client = createSimulatorClient({ requestTimeoutMs, fetch });
  return { sent, outcome: client.simulate(ENDPOINT, REQUEST, new AbortController().signal) };
};

describe("simulator client: simulate", () => {
  it("POSTs the request to /simulate and returns the parsed result", async () => {
    const { sent, outcome } = simulate(async () => json(200, engineResult()));
    expect(await outcome).toEqual({ kind: "ok", result: engineResult() });
    expect(sent).toEqual([
      { url: `${ENDPOINT}/simulate`, method: "POST", body: JSON.parse(JSON.stringify(REQUEST)) },
    ]);
  });

  it("defect 6: a request past requestTimeoutMs is a failed execution naming SIMULATOR_TIMEOUT_SECONDS", async () => {
    const { outcome } = simulate(hang, 20);
    expect(await outcome).toEqual({
      kind: "failed",
      message: "no answer within SIMULATOR_TIMEOUT_SECONDS (0.02 s)",
    });
  });

  it("leaves no timer pending once the answer is read", async () => {
    vi.useFakeTimers();
    try {
      const { outcome } = simulate(async () => json(200, engineResult()), 900_000);
      expect((await outcome).kind).toBe("ok");
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("an abort by the caller is thrown, not turned into an outcome", async () => {
    const { fetch } = fakeFetch(hang);
    const client = createSimulatorClient({ requestTimeoutMs: 30_000, fetch });
    const caller = new AbortController();
    const outcome = client.simulate(ENDPOINT, REQUEST, caller.signal);
    caller.abort(new Error("deadline"));
    await expect(outcome).rejects.toThrow("deadline");
  });

  it.each([
    {
      name: "ECONNREFUSED is unavailable",
      answer: async (): Promise<Response> => {
        throw refused();
      },
      want: { kind: "unavailable", message: "ECONNREFUSED connect ECONNREFUSED 10.0.0.9:8000" },
    },
    {
      name: "503 is unavailable",
      answer: async () => new Response("no healthy replicas", { status: 503 }),
      want: { kind: "unavailable", message: "HTTP 503: no healthy replicas" },
    },
    {
      name: "422 is rejected with the field's detail",
      answer: async () =>
        json(422, {
          detail: [
            {
              loc: ["body", "simulation", "paths"],
              msg: "Input should be less than or equal to 1000000",
            },
          ],
        }),
      want: {
        kind: "rejected",
        message: "HTTP 422: simulation.paths: Input should be less than or equal to 1000000",
      },
    },
    {
      name: "500 is a failed execution",
      answer: async () => json(500, { detail: "engine crashed" }),
      want: { kind: "failed", message: "HTTP 500: engine crashed" },
    },
  ])("$name", async ({ answer, want }) => {
    expect(await simulate(answer).outcome).toEqual(want);
  });

  it("a 200 that is not a result is a failed execution", async () => {
    const outcome = await simulate(async () => json(200, { paths: "many" })).outcome;
    expect(outcome.kind).toBe("failed");
    expect(outcome.kind === "failed" && outcome.message).toMatch(/^unexpected response body: /);
  });
});

describe("simulator client: engineVersion and cancel", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("caches the version within its TTL, refreshes after, and serves the stale one on error", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-28T12:00:00Z"));
    let version: string | Error = "1.4.0";
    const { fetch, sent } = fakeFetch(async () => {
      if (version instanceof Error) throw version;
      return json(200, { engineVersion: version });
    });
    const client = createSimulatorClient({ requestTimeoutMs: 1_000, versionTtlMs: 60_000, fetch });

    expect(await client.engineVersion(ENDPOINT)).toBe("1.4.0");
    vi.setSystemTime(new Date("2026-11-28T12:00:59Z"));
    version = "1.5.0";
    expect(await client.engineVersion(ENDPOINT)).toBe("1.4.0");
    expect(sent.map((s) => [s.method, s.url])).toEqual([["GET", `${ENDPOINT}/version`]]);

    vi.setSystemTime(new Date("2026-11-28T12:01:01Z"));
    expect(await client.engineVersion(ENDPOINT)).toBe("1.5.0");
    expect(sent).toHaveLength(2);

    vi.setSystemTime(new Date("2026-11-28T12:03:00Z"));
    version = refused();
    expect(await client.engineVersion(ENDPOINT)).toBe("1.5.0");
    expect(sent).toHaveLength(3);
  });

  it("throws when the version was never known", async () => {
    const { fetch } = fakeFetch(async () => {
      throw refused();
    });
    const client = createSimulatorClient({ requestTimeoutMs: 1_000, fetch });
    await expect(client.engineVersion(ENDPOINT)).rejects.toThrow(
      "cannot read its engine version: ECONNREFUSED connect ECONNREFUSED 10.0.0.9:8000",
    );
  });

  it("throws on an answer without a version", async () => {
    const { fetch } = fakeFetch(async () => json(404, { detail: "Not Found" }));
    const client = createSimulatorClient({ requestTimeoutMs: 1_000, fetch });
    await expect(client.engineVersion(ENDPOINT)).rejects.toThrow(
      "cannot read its engine version: GET /version answered HTTP 404",
    );
  });

  it("keeps versions per endpoint", async () => {
    const { fetch } = fakeFetch(async (url) => json(200, { engineVersion: url.split("/")[2] }));
    const client = createSimulatorClient({ requestTimeoutMs: 1_000, fetch });
    expect(await client.engineVersion("http://a")).toBe("a");
    expect(await client.engineVersion("http://b")).toBe("b");
  });

  it("cancel sends DELETE /jobs/<id>", async () => {
    const { fetch, sent } = fakeFetch(async () => json(200, { cancelled: true }));
    const client = createSimulatorClient({ requestTimeoutMs: 1_000, fetch });
    await client.cancel(ENDPOINT, "3f2a-job/1");
    expect(sent).toEqual([
      { url: `${ENDPOINT}/jobs/3f2a-job%2F1`, method: "DELETE", body: undefined },
    ]);
  });
});

describe("simulator client: job progress", () => {
  const view = {
    state: "running",
    pathsDone: 10,
    pathsTotal: 100,
    startTime: "2026-11-30T12:00:00.000Z",
  };

  it("reads GET /jobs/<id>, and undefined for a job the simulator does not know", async () => {
    const { fetch, sent } = fakeFetch(async (url) =>
      url.endsWith("/known") ? json(200, view) : json(404, { detail: "not found" }),
    );
    const client = createSimulatorClient({ requestTimeoutMs: 1_000, fetch });
    expect(await client.job(ENDPOINT, "known")).toMatchObject({
      state: "running",
      pathsDone: 10,
      startTime: new Date(view.startTime),
    });
    expect(await client.job(ENDPOINT, "gone")).toBeUndefined();
    expect(sent.map((s) => s.url)).toEqual([`${ENDPOINT}/jobs/known`, `${ENDPOINT}/jobs/gone`]);
  });

  it(`keeps at most ${PROGRESS_READS_PER_ENDPOINT} reads in flight per endpoint and skips the rest`, async () => {
    const answers: Array<() => void> = [];
    const { fetch, sent } = fakeFetch(
      () =>
        new Promise<Response>((resolve) => {
          answers.push(() => resolve(json(200, view)));
        }),
    );
    const client = createSimulatorClient({ requestTimeoutMs: 1_000, fetch });
    const reads = Array.from({ length: PROGRESS_READS_PER_ENDPOINT + 3 }, (_, i) =>
      client.job(ENDPOINT, `j${i}`).then(
        () => "read",
        (err: Error) => err.message,
      ),
    );
    const other = client.job("http://other", "x").then(() => "read");
    await new Promise((r) => setTimeout(r, 10));
    expect(sent.filter((s) => s.url.startsWith(ENDPOINT))).toHaveLength(
      PROGRESS_READS_PER_ENDPOINT,
    );
    // One answer frees one place: of two more reads, one is sent and one skipped.
    answers[0]?.();
    await new Promise((r) => setTimeout(r, 10));
    const more = ["m1", "m2"].map((id) =>
      client.job(ENDPOINT, id).then(
        () => "read",
        (err: Error) => err.message,
      ),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(sent.filter((s) => s.url.startsWith(ENDPOINT))).toHaveLength(
      PROGRESS_READS_PER_ENDPOINT + 1,
    );
    for (const answer of answers) answer();
    const outcomes = await Promise.all([...reads, ...more]);
    expect(outcomes.filter((o) => o === "read")).toHaveLength(PROGRESS_READS_PER_ENDPOINT + 1);
    expect(outcomes.filter((o) => o.includes("skipped"))).toHaveLength(4);
    expect(await other).toBe("read");
  });
});
