// The operator's side of the simulator's bearer-token authentication: which
// Authorization header POST /simulate carries, the fall-back to the next
// token during a rotation, files read on every call, and that a refusal
// waits (unavailable) instead of failing the simulation, without the token
// in any message.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSimulatorClient } from "../../../src/adapters/simulator-client.ts";
import {
  type SimulatorTokenSettings,
  simulatorCredentials,
} from "../../../src/adapters/simulator-credentials.ts";
import { authorizedFetch } from "../../../src/adapters/simulator-http.ts";
import { ConfigSchema, loadConfig } from "../../../src/config.ts";
import type { EngineRequest } from "../../../src/controllers/simulation/engine-request.ts";
import { engineResult } from "../../fixtures/simulations.ts";

const dir = mkdtempSync(join(tmpdir(), "mc-token-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** A fake simulator that accepts `accepted` and records each Authorization header. */
function fakeSimulator(accepted: readonly string[]) {
  const seen: (string | null)[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    const auth = new Headers(init.headers).get("authorization");
    seen.push(auth);
    if (accepted.length === 0) return Response.json(engineResult());
    if (auth === null) return Response.json({ detail: "missing bearer token" }, { status: 401 });
    if (!accepted.some((t) => auth === `Bearer ${t}`)) {
      return Response.json({ detail: "invalid bearer token" }, { status: 403 });
    }
    return Response.json(engineResult());
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

async function simulate(settings: SimulatorTokenSettings, accepted: readonly string[]) {
  const simulator = fakeSimulator(accepted);
  const client = createSimulatorClient({
    requestTimeoutMs: 5_000,
    credentials: simulatorCredentials(settings),
    fetch: simulator.fetch,
  });
  const outcome = await client.simulate(
    "http://sim",
    {} as EngineRequest,
    new AbortController().signal,
  );
  return { outcome, seen: simulator.seen };
}

describe("the Authorization header POST /simulate sends", () => {
  it.each([
    {
      name: "no token configured: no header",
      settings: {},
      accepted: [],
      want: { kind: "ok", seen: [null] },
    },
    {
      name: "the current token from the environment",
      settings: { SIMULATOR_TOKEN: "cur-env" },
      accepted: ["cur-env"],
      want: { kind: "ok", seen: ["Bearer cur-env"] },
    },
    {
      name: "the current token from a file, trailing newline trimmed",
      settings: { SIMULATOR_TOKEN_FILE: file("cur", "cur-file\n") },
      accepted: ["cur-file"],
      want: { kind: "ok", seen: ["Bearer cur-file"] },
    },
    {
      name: "rotation, simulator switched first: current refused, next accepted",
      settings: { SIMULATOR_TOKEN: "old", SIMULATOR_NEXT_TOKEN_FILE: file("next", "new") },
      accepted: ["new"],
      want: { kind: "ok", seen: ["Bearer old", "Bearer new"] },
    },
    {
      name: "rotation, simulator accepts both: the current one is enough",
      settings: { SIMULATOR_TOKEN: "old", SIMULATOR_NEXT_TOKEN: "new" },
      accepted: ["old", "new"],
      want: { kind: "ok", seen: ["Bearer old"] },
    },
    {
      name: "a next token file that does not exist is no next token",
      settings: { SIMULATOR_TOKEN: "old", SIMULATOR_NEXT_TOKEN_FILE: join(dir, "absent") },
      accepted: ["other"],
      want: { kind: "unavailable", seen: ["Bearer old"] },
    },
    {
      name: "both refused: waits as unavailable, not a rejected spec",
      settings: { SIMULATOR_TOKEN: "old", SIMULATOR_NEXT_TOKEN: "new" },
      accepted: ["other"],
      want: { kind: "unavailable", seen: ["Bearer old", "Bearer new"] },
    },
  ])("$name", async ({ settings, accepted, want }) => {
    const { outcome, seen } = await simulate(settings, accepted);
    expect({ kind: outcome.kind, seen }).toEqual(want);
  });

  it("says the token was refused, without the token", async () => {
    const { outcome } = await simulate({ SIMULATOR_TOKEN: "s3cret-value" }, ["other"]);
    expect(outcome).toEqual({
      kind: "unavailable",
      message: "the simulator refused the operator's token (HTTP 403: invalid bearer token)",
    });
  });

  it("a missing or empty token file is unavailable, naming the file, not a value", async () => {
    const missing = join(dir, "missing");
    const empty = file("empty", "\n");
    for (const path of [missing, empty]) {
      const { outcome, seen } = await simulate({ SIMULATOR_TOKEN_FILE: path }, ["x"]);
      expect(outcome.kind).toBe("unavailable");
      expect(outcome.kind === "unavailable" && outcome.message).toContain(path);
      expect(seen).toEqual([]);
    }
  });

  it("reads the token file on every call, so a rotated Secret needs no restart", async () => {
    const path = file("rotating", "first");
    const credentials = simulatorCredentials({ SIMULATOR_TOKEN_FILE: path });
    expect(await credentials?.tokens()).toEqual(["first"]);
    writeFileSync(path, "second");
    expect(await credentials?.tokens()).toEqual(["second"]);
  });
});

describe("token files in a running operator", () => {
  it("are read once per 10 s, and again at once when the simulator refuses the tokens", async () => {
    const current = file("cached-current", "one");
    let reads = 0;
    const counted = simulatorCredentials({ SIMULATOR_TOKEN_FILE: current });
    const credentials = {
      tokens: () => {
        reads++;
        return counted!.tokens();
      },
    };
    let accepted = "one";
    const simulator = fakeSimulator([]);
    const seen: (string | null)[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      const auth = new Headers(init.headers).get("authorization");
      seen.push(auth);
      if (auth !== `Bearer ${accepted}`) return Response.json({ detail: "no" }, { status: 403 });
      return simulator.fetch(url, init);
    }) as typeof globalThis.fetch;
    let clock = 0;
    const call = authorizedFetch(fetch, credentials, () => clock);
    const post = async () => (await call("http://sim/simulate", { method: "POST" })).status;

    expect([await post(), await post(), await post()]).toEqual([200, 200, 200]);
    expect(reads).toBe(1);
    clock += 10_001;
    expect(await post()).toBe(200);
    expect(reads).toBe(2);

    // The Secret is rotated and the simulator switched: refused once, read, accepted.
    writeFileSync(current, "two");
    accepted = "two";
    expect(await post()).toBe(200);
    expect(reads).toBe(3);
    expect(seen.slice(-2)).toEqual(["Bearer one", "Bearer two"]);

    // Refused with tokens that did not change: read once, not retried.
    accepted = "three";
    expect(await post()).toBe(403);
    expect(reads).toBe(4);
    expect(seen.slice(-1)).toEqual(["Bearer two"]);
  });
});

describe("simulator token settings", () => {
  const base = { DATABASE_URL: "postgresql://u@h/db" };

  it("treats empty values as unset", () => {
    const config = ConfigSchema.parse({ ...base, SIMULATOR_TOKEN: "", SIMULATOR_TOKEN_FILE: " " });
    expect(simulatorCredentials(config)).toBeUndefined();
  });

  it.each([
    { name: "current", given: { SIMULATOR_TOKEN: "never-shown", SIMULATOR_TOKEN_FILE: "/x/f" } },
    {
      name: "next",
      given: { SIMULATOR_NEXT_TOKEN: "never-shown", SIMULATOR_NEXT_TOKEN_FILE: "/x/f" },
    },
  ])("refuses a value and a file for the $name token, without echoing either", ({ given }) => {
    let message = "";
    try {
      loadConfig({ ...base, ...given });
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/not both/);
    expect(message).not.toContain("never-shown");
    expect(message).not.toContain("/x/f");
  });
});
