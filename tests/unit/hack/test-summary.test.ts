// hack/test-summary.ts as CI sees it: run as a process on a results
// directory of synthetic reports, reading its closing line and exit code.
// The report shapes are the ones vitest's JSON reporter and pytest's JUnit
// XML write, including a file whose beforeAll threw (its tests "skipped").
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const SUMMARY = fileURLToPath(new URL("../../../hack/test-summary.ts", import.meta.url));
const CLOSING = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;

type Status = "passed" | "failed" | "skipped" | "todo";
interface SyntheticFile {
  name: string;
  tests: Status[];
  /** Failed outside its tests (import error, beforeAll/afterAll threw): the file's message. */
  brokenBy?: string;
}

/** A report in the shape of vitest's JSON reporter (the fields it counts from). */
function vitestReport(files: SyntheticFile[]): string {
  const all = files.flatMap((f) => f.tests);
  const count = (s: Status) => all.filter((t) => t === s).length;
  const fileFailed = (f: SyntheticFile) => f.brokenBy !== undefined || f.tests.includes("failed");
  return JSON.stringify({
    numTotalTestSuites: files.length,
    numFailedTestSuites: files.filter(fileFailed).length,
    numTotalTests: all.length,
    numPassedTests: count("passed"),
    numFailedTests: count("failed"),
    numPendingTests: count("skipped"),
    numTodoTests: count("todo"),
    success: files.every((f) => !fileFailed(f)),
    testResults: files.map((f) => ({
      name: `/repo/tests/${f.name}`,
      status: fileFailed(f) ? "failed" : "passed",
      message: f.brokenBy ?? "",
      assertionResults: f.tests.map((status, i) => ({ title: `t${i}`, status })),
    })),
  });
}

/** pytest's --junitxml: one <testsuite> with its totals. */
function junitReport(t: { tests: number; failures?: number; errors?: number; skipped?: number }) {
  return `<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="${t.errors ?? 0}" failures="${t.failures ?? 0}" skipped="${t.skipped ?? 0}" tests="${t.tests}" time="1.0"><testcase classname="tests.x" name="a" time="0.1" /></testsuite></testsuites>`;
}

const green = {
  "biome.exit": "0",
  "tsc.exit": "0",
  "vitest-unit.exit": "0",
  "vitest-unit.json": vitestReport([{ name: "a.test.ts", tests: ["passed", "passed", "skipped"] }]),
  "pytest-python.exit": "0",
  "pytest-python.xml": junitReport({ tests: 5, skipped: 1 }),
  "stack.exit": "0",
  "vitest-integration.exit": "0",
  "vitest-integration.json": vitestReport([{ name: "i.test.ts", tests: ["passed", "passed"] }]),
};
// 3 checks (biome, tsc, stack) + 2 unit + 4 python + 2 integration.
const GREEN_PASSED = 11;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function summarize(files: Record<string, string | undefined>, args: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "test-summary-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    if (text !== undefined) writeFileSync(join(dir, name), text);
  }
  const run = spawnSync(process.execPath, [SUMMARY, dir, ...args], { encoding: "utf8" });
  const lines = run.stdout.trimEnd().split("\n");
  const last = lines.at(-1) ?? "";
  const m = CLOSING.exec(last);
  if (!m)
    throw new Error(`no closing line in ${JSON.stringify(run.stdout)}; stderr: ${run.stderr}`);
  return {
    line: last,
    passed: Number(m[1]),
    failed: Number(m[2]),
    skipped: Number(m[3] ?? 0),
    exitCode: run.status,
    // CI reads the first line of this shape: there must be exactly one.
    closingLines: [...run.stdout.split("\n"), ...run.stderr.split("\n")].filter((l) =>
      CLOSING.test(l),
    ).length,
  };
}

describe("test summary: closing line", () => {
  it("adds up every tier of a green run, the checks counting one test each", () => {
    const s = summarize(green);
    expect(s).toMatchObject({ passed: GREEN_PASSED, failed: 0, skipped: 2, exitCode: 0 });
    expect(s.line).toBe(`${GREEN_PASSED} passed, 0 failed, 2 skipped`);
    expect(s.closingLines).toBe(1);
  });

  it.each<{ name: string; change: Record<string, string | undefined>; failed: number }>([
    {
      // As vitest 5 reports it: the file failed, its tests skipped, the
      // file's message empty (the error belongs to the suite).
      name: "a file whose beforeAll threw, its tests reported skipped",
      change: {
        "vitest-integration.exit": "1",
        "vitest-integration.json": vitestReport([
          { name: "i.test.ts", tests: ["passed", "passed"] },
          {
            name: "hooks.test.ts",
            tests: ["skipped", "skipped", "skipped"],
            brokenBy: "",
          },
        ]),
      },
      failed: 1,
    },
    {
      name: "a file whose afterAll threw after its tests passed",
      change: {
        "vitest-unit.exit": "1",
        "vitest-unit.json": vitestReport([{ name: "a.test.ts", tests: ["passed"], brokenBy: "" }]),
      },
      failed: 1,
    },
    {
      name: "a file that failed to import",
      change: {
        "vitest-unit.exit": "1",
        "vitest-unit.json": vitestReport([
          { name: "a.test.ts", tests: [], brokenBy: "SyntaxError" },
        ]),
      },
      failed: 1,
    },
    {
      name: "a failed test counted once, not again for its file",
      change: {
        "vitest-unit.exit": "1",
        "vitest-unit.json": vitestReport([{ name: "a.test.ts", tests: ["passed", "failed"] }]),
      },
      failed: 1,
    },
    {
      name: "the stack did not start: integration wrote no report",
      change: {
        "stack.exit": "1",
        "vitest-integration.exit": undefined,
        "vitest-integration.json": undefined,
      },
      failed: 2,
    },
    {
      name: "vitest crashed before writing its report",
      change: { "vitest-unit.exit": "1", "vitest-unit.json": undefined },
      failed: 1,
    },
    {
      name: "conftest failed to import: pytest wrote no report",
      change: { "pytest-python.exit": "4", "pytest-python.xml": undefined },
      failed: 1,
    },
    {
      name: "pytest collection errors",
      change: {
        "pytest-python.exit": "2",
        "pytest-python.xml": junitReport({ tests: 3, errors: 2 }),
      },
      failed: 2,
    },
    {
      name: "an unreadable report",
      change: { "vitest-unit.json": "{ truncated" },
      failed: 1,
    },
    {
      name: "a step that exited non-zero with every test passed (an unhandled error)",
      change: { "vitest-integration.exit": "1" },
      failed: 1,
    },
    {
      name: "a tier that did not finish (no exit code) despite a report",
      change: { "pytest-python.exit": undefined },
      failed: 1,
    },
    { name: "biome failed", change: { "biome.exit": "1" }, failed: 1 },
    { name: "tsc failed", change: { "tsc.exit": "2" }, failed: 1 },
  ])("$name: the line shows $failed failed and the exit code is 1", ({ change, failed }) => {
    const s = summarize({ ...green, ...change });
    expect(s.failed).toBe(failed);
    expect(s.exitCode).toBe(1);
    expect(s.closingLines).toBe(1);
  });

  it("counts every tier as failed when the results directory is empty", () => {
    expect(summarize({})).toMatchObject({ passed: 0, failed: 6, exitCode: 1 });
  });

  it("counts failures the shell reports outside the tiers", () => {
    const s = summarize(green, ["--failed", "hack/test.sh stopped with exit code 1"]);
    expect(s).toMatchObject({ passed: GREEN_PASSED, failed: 1, exitCode: 1 });
  });
});
