// The Argo CD health checks (argocd/health/*.lua) run against sample objects
// in each phase (health-samples/*.json) under two interpreters: gopher-lua,
// the Lua 5.1 Argo CD embeds (hack/luacheck, a small Go program built here
// from the Go module proxy), and lua5.4 from hack/stack/install.sh. Each
// sample must give the same verdict under both.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { luaString, toLua } from "./lua-literal.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const HARNESS = fileURLToPath(new URL("./health-harness.lua", import.meta.url));
const LUA = process.env.LUA ?? "lua5.4";

interface Sample {
  name: string;
  expect: "Healthy" | "Progressing" | "Degraded";
  /** A substring of hs.message. */
  message: string;
  object: unknown;
}

const script = (kind: string) => `${REPO}argocd/health/montecarlo.vatic.io_${kind}.lua`;
const samples = (file: string): Sample[] =>
  JSON.parse(readFileSync(new URL(`./health-samples/${file}`, import.meta.url), "utf8"));

/** hack/luacheck, built once: gopher-lua as Argo CD runs health scripts. */
let luacheck = "";
beforeAll(() => {
  luacheck = `${mkdtempSync(`${tmpdir()}/luacheck-`)}/luacheck`;
  execFileSync("go", ["build", "-o", luacheck, "."], {
    cwd: `${REPO}hack/luacheck`,
    env: { ...process.env, GOFLAGS: "-mod=readonly" },
    stdio: "pipe",
  });
}, 600_000);

type Interpreter = "lua5.4" | "gopher-lua";

function health(
  interpreter: Interpreter,
  kind: string,
  object: unknown,
): { status: string; message: string } {
  const run =
    interpreter === "lua5.4"
      ? spawnSync(LUA, [HARNESS, script(kind)], { input: toLua(object), encoding: "utf8" })
      : spawnSync(luacheck, [script(kind)], { input: JSON.stringify(object), encoding: "utf8" });
  if (run.error) {
    throw new Error(
      `${interpreter} did not run (hack/stack/install.sh installs lua5.4 and Go): ${run.error.message}`,
    );
  }
  if (run.status !== 0) throw new Error(`${interpreter} failed: ${run.stderr}`);
  const [status = "", message = ""] = run.stdout.split("\n");
  return { status, message };
}

describe.each([
  ["MonteCarloSimulation", "simulation.json"],
  ["MonteCarloPlatform", "platform.json"],
])("Argo CD health of %s", (kind, file) => {
  const cases = samples(file);

  it("has samples for Healthy, Progressing and Degraded", () => {
    expect(new Set(cases.map((c) => c.expect))).toEqual(
      new Set(["Healthy", "Progressing", "Degraded"]),
    );
  });

  it.each(
    cases.flatMap((c) =>
      (["gopher-lua", "lua5.4"] as const).map((lua) => [`${lua}: ${c.name}`, lua, c] as const),
    ),
  )("%s", (_name, interpreter, sample) => {
    const hs = health(interpreter, kind, sample.object);
    expect(hs.status).toBe(sample.expect);
    expect(hs.message).toContain(sample.message);
  });

  it("stays inside Lua 5.1 syntax (Argo CD runs gopher-lua)", () => {
    const code = readFileSync(script(kind), "utf8")
      .replace(/--.*$/gm, "")
      .replace(/"(?:[^"\\]|\\.)*"/g, '""');
    // Integer division, bitwise operators, goto/labels and attributes are 5.3+.
    expect(code).not.toMatch(/\/\/|::\w+::|\bgoto\b|<const>|<close>|[&|]|~[^=]|>>|<</);
  });
});

describe("lua literals", () => {
  it("escapes every byte that is not printable ASCII", () => {
    expect(luaString('a"b\\c\n€')).toBe('"a\\034b\\092c\\010\\226\\130\\172"');
  });
  it("drops nulls from objects and keeps numbers exact", () => {
    expect(toLua({ a: null, b: [1, 2.5], c: { d: true } })).toBe(
      '{["b"] = {1, 2.5}, ["c"] = {["d"] = true}}',
    );
  });
});
