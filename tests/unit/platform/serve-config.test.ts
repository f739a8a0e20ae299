import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  editServeConfig,
  type ServeConfigEdit,
} from "../../../src/controllers/platform/serve-config.ts";
import type { ServeBounds } from "../../../src/controllers/platform/serve-keys.ts";

const FIXTURE = readFileSync(new URL("./fixtures/serve-config.yaml", import.meta.url), "utf8");
const TARGET = { application: "simulator", deployment: "MonteCarloSimulator" };
/** The bounds the fixture already holds. */
const BOUNDS: ServeBounds = {
  minReplicas: 1,
  maxReplicas: 10,
  targetOngoingRequests: 5,
  maxOngoingRequests: 100,
};

function edited(result: ServeConfigEdit) {
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return result;
}

/** Indices of lines that differ; the texts must have the same number of lines. */
function changedLines(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return b.filter((line, i) => line !== a[i]);
}

/** A small document around one deployment body (indented by 8). */
function doc(deployment: string, extraApps = ""): string {
  return `applications:${extraApps}
  - name: simulator
    import_path: m:app
    deployments:
      - name: MonteCarloSimulator
${deployment
  .split("\n")
  .map((l) => (l ? `        ${l}` : l))
  .join("\n")}`;
}

describe("editServeConfig: edits", () => {
  it.each<{ name: string; input: string; bounds?: Partial<ServeBounds>; output: string }>([
    {
      name: "changes only the differing value, keeping its comment and spacing",
      input: doc(
        "max_ongoing_requests: 100   # per replica\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 5     # burst\n  target_ongoing_requests: 5\n",
      ),
      output: doc(
        "max_ongoing_requests: 100   # per replica\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10     # burst\n  target_ongoing_requests: 5\n",
      ),
    },
    {
      name: "adds a missing autoscaling_config after the deployment's last key",
      input: doc("max_ongoing_requests: 100\nuser_config:\n  a: 1\n"),
      output: doc(
        "max_ongoing_requests: 100\nuser_config:\n  a: 1\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
    },
    {
      name: "adds missing keys inside an existing autoscaling_config, keeping the others",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  metrics_interval_s: 10.0\n  min_replicas: 1\nray_actor_options:\n  num_cpus: 1\n",
      ),
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  metrics_interval_s: 10.0\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\nray_actor_options:\n  num_cpus: 1\n",
      ),
    },
    {
      name: "adds max_ongoing_requests to a deployment that only has a name",
      input: doc(
        "autoscaling_config: {min_replicas: 1, max_replicas: 10, target_ongoing_requests: 5}\n",
      ),
      output: doc(
        "autoscaling_config: {min_replicas: 1, max_replicas: 10, target_ongoing_requests: 5}\nmax_ongoing_requests: 100\n",
      ),
    },
    {
      name: "edits values inside flow mappings in place",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config: {min_replicas: 0, max_replicas: 10, target_ongoing_requests: 2}\n",
      ),
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config: {min_replicas: 1, max_replicas: 10, target_ongoing_requests: 5}\n",
      ),
    },
    {
      name: "renames target_num_ongoing_requests_per_replica and sets its value",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_num_ongoing_requests_per_replica: 2  # old name\n",
      ),
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5  # old name\n",
      ),
    },
    {
      name: "renames max_concurrent_queries in place",
      input: doc(
        "max_concurrent_queries: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
    },
    {
      name: "drops a removed name when the current one is present too",
      input: doc(
        "max_concurrent_queries: 7\nmax_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
    },
    {
      name: "removes a fixed num_replicas beside autoscaling_config",
      input: doc(
        "num_replicas: 2   # fixed\nmax_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
    },
    {
      name: "removes num_replicas as the first key of its list item",
      input: doc("max_ongoing_requests: 100\n").replace(
        "      - name: MonteCarloSimulator\n",
        "      - num_replicas: 2\n        name: MonteCarloSimulator # the one\n",
      ),
      output: doc("max_ongoing_requests: 100\n")
        .replace(
          "      - name: MonteCarloSimulator\n",
          "      - name: MonteCarloSimulator # the one\n",
        )
        .concat(
          "        autoscaling_config:\n          min_replicas: 1\n          max_replicas: 10\n          target_ongoing_requests: 5\n",
        ),
    },
    {
      name: "keeps num_replicas: auto, which Serve allows beside autoscaling_config",
      input: doc(
        "num_replicas: auto\nmax_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 7\n  target_ongoing_requests: 5\n",
      ),
      output: doc(
        "num_replicas: auto\nmax_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
    },
    {
      name: "writes the optional keys only when the platform sets them",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
      bounds: { initialReplicas: 2, upscaleDelaySeconds: 30, downscaleDelaySeconds: 600.5 },
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n  initial_replicas: 2\n  upscale_delay_s: 30\n  downscale_delay_s: 600.5\n",
      ),
    },
    {
      name: "clamps an author's initial_replicas into the new bounds",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  initial_replicas: 8\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
      bounds: { maxReplicas: 4 },
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  initial_replicas: 4\n  max_replicas: 4\n  target_ongoing_requests: 5\n",
      ),
    },
    {
      name: "writes integers as integers and fractions as fractions",
      input: doc(
        "max_ongoing_requests: 100.0\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
      bounds: { targetOngoingRequests: 2.5, maxOngoingRequests: 50 },
      output: doc(
        "max_ongoing_requests: 50\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 2.5\n",
      ),
    },
    {
      name: "replaces quoted, empty and tagged values with plain numbers",
      input: doc(
        "max_ongoing_requests: \"100\"\nautoscaling_config:\n  min_replicas:\n  max_replicas: '10'\n  target_ongoing_requests: 5\n",
      ),
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
    },
    {
      name: "appends to a document without a final newline",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10",
      ),
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
    },
    {
      name: "leaves other applications alone, even with removed names in them",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 3\n  target_ongoing_requests: 5\n",
        "\n  - name: other  # keep\n    import_path: o:app\n    deployments:\n      - name: MonteCarloSimulator\n        num_replicas: 2\n        max_concurrent_queries: 4\n",
      ),
      output: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
        "\n  - name: other  # keep\n    import_path: o:app\n    deployments:\n      - name: MonteCarloSimulator\n        num_replicas: 2\n        max_concurrent_queries: 4\n",
      ),
    },
  ])("$name", ({ input, bounds, output }) => {
    const result = edited(editServeConfig(input, TARGET, { ...BOUNDS, ...bounds }));
    expect(result.text).toBe(output);
    expect(result.changed).toBe(true);
    // Idempotent: editing the edited text changes nothing, byte for byte.
    const again = edited(editServeConfig(result.text, TARGET, { ...BOUNDS, ...bounds }));
    expect(again).toEqual({ ok: true, text: result.text, changed: false, changes: [], notes: [] });
  });

  it("keeps CRLF line endings when it appends", () => {
    const input = doc(
      "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n",
    ).replaceAll("\n", "\r\n");
    const result = edited(editServeConfig(input, TARGET, BOUNDS));
    expect(result.text).toBe(
      doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ).replaceAll("\n", "\r\n"),
    );
  });
});

describe("editServeConfig: the representative serve config", () => {
  it("is unchanged, byte for byte, when it already holds the bounds", () => {
    expect(editServeConfig(FIXTURE, TARGET, BOUNDS)).toEqual({
      ok: true,
      text: FIXTURE,
      changed: false,
      changes: [],
      notes: [],
    });
  });

  it.each<{ name: string; bounds: Partial<ServeBounds>; lines: string[] }>([
    {
      name: "maxReplicas",
      bounds: { maxReplicas: 20 },
      lines: ["          max_replicas: 20       # burst capacity"],
    },
    { name: "minReplicas", bounds: { minReplicas: 0 }, lines: ["          min_replicas: 0"] },
    {
      name: "targetOngoingRequests",
      bounds: { targetOngoingRequests: 8 },
      lines: ["          target_ongoing_requests: 8"],
    },
    {
      name: "maxOngoingRequests",
      bounds: { maxOngoingRequests: 64 },
      lines: ["        max_ongoing_requests: 64    # per replica"],
    },
  ])("changing only $name changes exactly one line", ({ bounds, lines }) => {
    const result = edited(editServeConfig(FIXTURE, TARGET, { ...BOUNDS, ...bounds }));
    expect(changedLines(FIXTURE, result.text)).toEqual(lines);
    expect(result.notes).toEqual([]);
    expect(result.changes).toHaveLength(1);
  });

  it("keeps every other application, field and key order", () => {
    const before = parse(FIXTURE);
    const after = parse(
      edited(editServeConfig(FIXTURE, TARGET, { ...BOUNDS, maxReplicas: 3 })).text,
    );
    before.applications[1].deployments[0].autoscaling_config.max_replicas = 3;
    expect(after).toEqual(before);
    expect(JSON.stringify(after)).toBe(JSON.stringify(before)); // same key order
  });

  it("reports what changed from what", () => {
    const result = edited(
      editServeConfig(FIXTURE, TARGET, { ...BOUNDS, maxReplicas: 3, minReplicas: 2 }),
    );
    expect(result.changes).toEqual([
      { field: "autoscaling_config.min_replicas", from: 1, to: 2 },
      { field: "autoscaling_config.max_replicas", from: 10, to: 3 },
    ]);
  });
});

describe("editServeConfig: notes", () => {
  it.each<{ name: string; input: string; reasons: string[]; match: RegExp }>([
    {
      name: "renamed target_num_ongoing_requests_per_replica",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  target_num_ongoing_requests_per_replica: 5\n",
      ),
      reasons: ["RemovedFieldReplaced"],
      match:
        /target_num_ongoing_requests_per_replica to autoscaling_config\.target_ongoing_requests/,
    },
    {
      name: "renamed max_concurrent_queries",
      input: doc("max_concurrent_queries: 100\n"),
      reasons: ["RemovedFieldReplaced"],
      match: /renamed max_concurrent_queries to max_ongoing_requests/,
    },
    {
      name: "dropped max_concurrent_queries beside max_ongoing_requests",
      input: doc("max_ongoing_requests: 100\nmax_concurrent_queries: 100\n"),
      reasons: ["RemovedFieldReplaced"],
      match: /removed max_concurrent_queries/,
    },
    {
      name: "removed num_replicas",
      input: doc("num_replicas: 3\nmax_ongoing_requests: 100\n"),
      reasons: ["NumReplicasRemoved"],
      match: /removed num_replicas: 3/,
    },
    {
      name: "clamped initial_replicas",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config:\n  initial_replicas: 0\n  min_replicas: 1\n  max_replicas: 10\n  target_ongoing_requests: 5\n",
      ),
      reasons: ["InitialReplicasClamped"],
      match: /initial_replicas 0 lay outside \[1, 10\]; set to 1/,
    },
  ])("$name", ({ input, reasons, match }) => {
    const result = edited(editServeConfig(input, TARGET, BOUNDS));
    expect(result.notes.map((n) => n.reason)).toEqual(reasons);
    expect(result.notes[0]!.message).toMatch(match);
  });
});

describe("editServeConfig: refusals", () => {
  it.each<{ name: string; input: string; reason: string; match: RegExp }>([
    {
      name: "unparsable YAML",
      input: "applications: [\n",
      reason: "InvalidServeConfig",
      match: /not valid YAML/,
    },
    {
      name: "two documents",
      input: "applications: []\n---\na: 1\n",
      reason: "InvalidServeConfig",
      match: /holds 2 YAML documents, not one/,
    },
    {
      name: "empty document",
      input: "",
      reason: "InvalidServeConfig",
      match: /holds 0 YAML documents/,
    },
    {
      name: "a list at the top",
      input: "- a\n",
      reason: "InvalidServeConfig",
      match: /not a mapping with an applications list/,
    },
    {
      name: "no applications list",
      input: "http_options: {}\n",
      reason: "InvalidServeConfig",
      match: /not a mapping with an applications list/,
    },
    {
      name: "applications is a mapping",
      input: "applications: {simulator: {}}\n",
      reason: "InvalidServeConfig",
      match: /not a mapping with an applications list/,
    },
    {
      name: "missing application",
      input: "applications:\n  - name: a\n  - name: b\n",
      reason: "ApplicationNotFound",
      match: /application "simulator" not found in serveConfigV2 \(applications: a, b\)/,
    },
    {
      name: "application without a deployments list",
      input: "applications:\n  - name: simulator\n    import_path: m:app\n",
      reason: "DeploymentNotFound",
      match:
        /deployment "MonteCarloSimulator" not listed in application "simulator" \(deployments: none\); add "- name: MonteCarloSimulator"/,
    },
    {
      name: "deployment missing from the list",
      input: "applications:\n  - name: simulator\n    deployments:\n      - name: Other\n",
      reason: "DeploymentNotFound",
      match: /\(deployments: Other\)/,
    },
    {
      name: "autoscaling_config that is not a mapping",
      input: doc("autoscaling_config: fast\n"),
      reason: "InvalidServeConfig",
      match: /autoscaling_config is empty or not a mapping: give it the bounds or remove it/,
    },
    {
      name: "an empty autoscaling_config",
      input: doc("max_ongoing_requests: 100\nautoscaling_config:\n"),
      reason: "InvalidServeConfig",
      match: /autoscaling_config is empty or not a mapping/,
    },
    {
      name: "anchored autoscaling_config shared with another deployment",
      input: doc("autoscaling_config: &shared\n  min_replicas: 1\n"),
      reason: "InvalidServeConfig",
      match: /deployment "MonteCarloSimulator" carries the YAML anchor &shared/,
    },
    {
      name: "anchored value",
      input: doc("max_ongoing_requests: &m 7\n"),
      reason: "InvalidServeConfig",
      match: /carries the YAML anchor &m/,
    },
    {
      name: "an alias in the deployment",
      input: doc("ray_actor_options: *cpu\n", "\n  - name: other\n    x: &cpu {num_cpus: 1}"),
      reason: "InvalidServeConfig",
      match: /contains the alias \*cpu; write the values out/,
    },
    {
      name: "a merge key in the deployment",
      input: doc("<<: {max_ongoing_requests: 5}\nautoscaling_config:\n  min_replicas: 1\n"),
      reason: "InvalidServeConfig",
      match: /contains a merge key \(<<\)/,
    },
    {
      name: "a merge key inside its autoscaling_config",
      input: doc("autoscaling_config:\n  <<: {max_replicas: 3}\n  min_replicas: 1\n"),
      reason: "InvalidServeConfig",
      match: /merge key/,
    },
    {
      name: "a deployment that is an alias of another",
      input:
        "applications:\n  - name: other\n    deployments:\n      - &d\n        name: MonteCarloSimulator\n  - name: simulator\n    deployments:\n      - *d\n",
      reason: "InvalidServeConfig",
      match: /shared through a YAML anchor/,
    },
    {
      name: "a deployments list shared with another application",
      input:
        "applications:\n  - name: other\n    deployments: &deps\n      - name: MonteCarloSimulator\n  - name: simulator\n    deployments: *deps\n",
      reason: "InvalidServeConfig",
      match: /shared through a YAML anchor/,
    },
    {
      name: "a tagged value that must change",
      input: doc("max_ongoing_requests: !!str 100  # tagged\n"),
      reason: "InvalidServeConfig",
      match: /max_ongoing_requests carries the tag tag:yaml.org,2002:str; write a plain number/,
    },
    {
      name: "a block scalar that must change",
      input: doc("max_ongoing_requests: |\n  100\n"),
      reason: "InvalidServeConfig",
      match: /max_ongoing_requests is not a plain value/,
    },
    {
      name: "a flow mapping that needs a new key",
      input: doc(
        "max_ongoing_requests: 100\nautoscaling_config: {min_replicas: 1, max_replicas: 10}\n",
      ),
      reason: "InvalidServeConfig",
      match:
        /autoscaling_config.target_ongoing_requests cannot be added in place to a flow mapping/,
    },
    {
      name: "a flow deployment that must lose a key",
      input:
        "applications:\n  - name: simulator\n    deployments:\n      - {name: MonteCarloSimulator, num_replicas: 2}\n",
      reason: "InvalidServeConfig",
      match: /num_replicas cannot be removed in place/,
    },
  ])("$name → $reason", ({ input, reason, match }) => {
    const result = editServeConfig(input, TARGET, BOUNDS);
    expect(result).toEqual({ ok: false, reason, message: expect.stringMatching(match) });
  });
});

describe("editServeConfig: values it does not own keep their text", () => {
  // yaml would re-serialise these as 12345678901234567000 and 123.
  const exotic = doc(
    "max_ongoing_requests: 100\nautoscaling_config:\n  min_replicas: 1\n  max_replicas: 3\n  target_ongoing_requests: 5\n  metrics_interval_s: 0123\nuser_config:\n  seed: 12345678901234567891\n  label: 0x1F   # hex\n  when: 2001-12-14\n",
  );

  it("edits beside them and leaves them byte for byte", () => {
    const result = edited(editServeConfig(exotic, TARGET, BOUNDS));
    expect(changedLines(exotic, result.text)).toEqual(["          max_replicas: 10"]);
    for (const text of ["metrics_interval_s: 0123", "seed: 12345678901234567891", "0x1F   # hex"]) {
      expect(result.text).toContain(text);
    }
  });

  it("refuses, rather than re-serialise them, when the edit has no in-place form", () => {
    const flow = doc(
      "max_ongoing_requests: 100\nautoscaling_config: {min_replicas: 1}\nuser_config:\n  seed: 12345678901234567891\n  code: 0123\n",
    );
    expect(editServeConfig(flow, TARGET, BOUNDS)).toEqual({
      ok: false,
      reason: "InvalidServeConfig",
      message:
        "autoscaling_config.max_replicas cannot be added in place to a flow mapping {...}; write the mapping as a block",
    });
  });
});

/** A small deterministic generator (mulberry32), so a failing case can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("editServeConfig: any text", () => {
  it.each<{ name: string; input: string }>([
    { name: "an unterminated quote", input: 'applications:\n  - name: "simulator\n' },
    { name: "a tab as indentation", input: "applications:\n\t- name: simulator\n" },
    { name: "duplicate keys", input: "applications: []\napplications: []\n" },
    { name: "a bad escape", input: 'applications: ["\\q"]\n' },
    { name: "an undefined alias", input: "applications: *nothing\n" },
    { name: "a directive without ---", input: "%TAG !x! tag:x,2000:\napplications: []\n" },
    { name: "a stray flow end", input: "applications: ]\n" },
    {
      name: "a broken indentation",
      input: "applications:\n  - name: simulator\n   deployments: []\n",
    },
  ])("refuses $name as InvalidServeConfig", ({ input }) => {
    const result = editServeConfig(input, TARGET, BOUNDS);
    expect(result).toMatchObject({ ok: false, reason: "InvalidServeConfig" });
  });

  // Every prefix of the fixture, and random byte edits of it: the editor
  // answers each (it never throws), and what it writes is itself settled.
  const rand = random(12);
  const alphabet = [
    " ",
    "\n",
    ":",
    "-",
    "#",
    "&a",
    "*a",
    "{",
    "}",
    "[",
    "]",
    '"',
    "'",
    "!",
    "<<",
    "0123",
  ];
  const mutants = Array.from({ length: 300 }, (_, i) => {
    const at = Math.floor(rand() * FIXTURE.length);
    const insert = alphabet[Math.floor(rand() * alphabet.length)]!;
    const cut = Math.floor(rand() * 3);
    return { name: `mutant ${i}`, input: FIXTURE.slice(0, at) + insert + FIXTURE.slice(at + cut) };
  });
  const prefixes = Array.from({ length: FIXTURE.length / 7 }, (_, i) => ({
    name: `prefix ${i * 7}`,
    input: FIXTURE.slice(0, i * 7),
  }));

  it("never throws, and every text it writes is settled", () => {
    let written = 0;
    for (const { name, input } of [...prefixes, ...mutants]) {
      const bounds = { ...BOUNDS, maxReplicas: 4 };
      const result = editServeConfig(input, TARGET, bounds);
      if (!result.ok || !result.changed) continue;
      written++;
      expect(editServeConfig(result.text, TARGET, bounds), name).toMatchObject({ changed: false });
    }
    expect(written).toBeGreaterThan(50);
  });
});

const PROJECT_SERVE_CONFIG = new URL("../../../ray/serve-config.yaml", import.meta.url);

describe("editServeConfig: ray/serve-config.yaml", () => {
  const project = readFileSync(PROJECT_SERVE_CONFIG, "utf8");
  const current = () => {
    const dep = parse(project).applications.find((a: { name: string }) => a.name === "simulator")
      .deployments[0];
    return {
      minReplicas: dep.autoscaling_config.min_replicas,
      maxReplicas: dep.autoscaling_config.max_replicas,
      targetOngoingRequests: dep.autoscaling_config.target_ongoing_requests,
      maxOngoingRequests: dep.max_ongoing_requests,
    } satisfies ServeBounds;
  };

  it("is left alone when the platform asks for what it holds", () => {
    expect(edited(editServeConfig(project, TARGET, current()))).toMatchObject({
      changed: false,
      text: project,
    });
  });

  it("changes one line for a new maxReplicas and keeps the other application", () => {
    const bounds = { ...current(), maxReplicas: current().maxReplicas + 5 };
    const result = edited(editServeConfig(project, TARGET, bounds));
    expect(changedLines(project, result.text).map((l) => l.trim())).toEqual([
      `max_replicas: ${bounds.maxReplicas}`,
    ]);
    expect(parse(result.text).applications.map((a: { name: string }) => a.name)).toEqual(
      parse(project).applications.map((a: { name: string }) => a.name),
    );
  });
});
