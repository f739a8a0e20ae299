// Adds up one run of hack/test.sh and prints the closing line CI reads:
// "N passed, N failed, N skipped", alone on the last line of stdout, and exits
// 1 when anything failed. Per tier, test.sh writes RESULTS_DIR/<tier>.exit (the
// step's exit code) and, for the test tiers, a vitest JSON or pytest JUnit report.
//
// Why the summary knows which tiers to expect: a tier that crashed before
// writing its report (the stack did not start, conftest failed to import) must
// not vanish from the line. So a missing report or exit code is a failed tier,
// a lint or type step counts as one test, a file that failed outside its tests
// (a failed beforeAll leaves them "skipped") counts as a failure, and a step
// that exited non-zero without a failed test counts as one: the line shows a
// failure whenever the run does.
//
// Usage: node hack/test-summary.ts RESULTS_DIR [--failed WHAT]...
//   --failed: a failure the shell saw outside the tiers (counted once each).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type TierKind = "check" | "vitest" | "pytest";

/** The tiers of hack/test.sh, in run order; `id` names its files in RESULTS_DIR. */
export const TIERS: readonly { id: string; kind: TierKind }[] = [
  { id: "biome", kind: "check" },
  { id: "tsc", kind: "check" },
  { id: "vitest-unit", kind: "vitest" },
  { id: "pytest-python", kind: "pytest" },
  { id: "stack", kind: "check" },
  { id: "vitest-integration", kind: "vitest" },
];

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface TierResult extends Counts {
  id: string;
  /** Why a failure was counted that no test reported. */
  notes: string[];
}

const REPORT_SUFFIX: Record<TierKind, string | undefined> = {
  check: undefined,
  vitest: ".json",
  pytest: ".xml",
};

interface VitestReport {
  success?: boolean;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: {
    name?: string;
    status: string;
    message?: string;
    assertionResults: { status: string }[];
  }[];
}

function vitestCounts(text: string): Counts & { notes: string[] } {
  const report = JSON.parse(text) as VitestReport;
  const notes: string[] = [];
  // A file that failed with no failed test of its own: an import error, or a
  // beforeAll/afterAll that threw (vitest then reports its tests as skipped).
  for (const file of report.testResults) {
    if (file.status !== "failed" || file.assertionResults.some((a) => a.status === "failed")) {
      continue;
    }
    const why = file.message ? `: ${file.message}` : " (a hook or its import threw)";
    notes.push(`${file.name ?? "a file"} failed outside its tests${why}`);
  }
  const counts = {
    passed: report.numPassedTests,
    failed: report.numFailedTests + notes.length,
    skipped: report.numPendingTests + report.numTodoTests,
  };
  if (report.success === false && counts.failed === 0) {
    notes.push("vitest reported the run unsuccessful without a failed test");
    counts.failed = 1;
  }
  return { ...counts, notes };
}

function junitCounts(text: string): Counts {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const suites = [...text.matchAll(/<testsuite\b[^>]*>/g)];
  if (suites.length === 0) throw new Error("no <testsuite> element");
  for (const [tag] of suites) {
    const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(tag)?.[1] ?? 0);
    const failed = attr("errors") + attr("failures");
    counts.passed += Math.max(0, attr("tests") - failed - attr("skipped"));
    counts.failed += failed;
    counts.skipped += attr("skipped");
  }
  return counts;
}

function readExit(dir: string, id: string): number | undefined {
  const file = join(dir, `${id}.exit`);
  if (!existsSync(file)) return undefined;
  const code = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
  return Number.isNaN(code) ? 1 : code;
}

function reportCounts(dir: string, id: string, kind: TierKind): Counts & { notes: string[] } {
  const suffix = REPORT_SUFFIX[kind];
  if (suffix === undefined) return { passed: 0, failed: 0, skipped: 0, notes: [] };
  const file = join(dir, `${id}${suffix}`);
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0, notes: ["wrote no report"] };
  const text = readFileSync(file, "utf8");
  try {
    return kind === "vitest" ? vitestCounts(text) : { ...junitCounts(text), notes: [] };
  } catch (err) {
    return { passed: 0, failed: 1, skipped: 0, notes: [`unreadable report: ${String(err)}`] };
  }
}

export function tierResult(dir: string, tier: { id: string; kind: TierKind }): TierResult {
  const exit = readExit(dir, tier.id);
  const result: TierResult = { id: tier.id, ...reportCounts(dir, tier.id, tier.kind) };
  if (exit === undefined) {
    result.notes.push("did not run to the end (no exit code)");
    if (result.failed === 0) result.failed = 1;
  } else if (tier.kind === "check") {
    if (exit === 0) result.passed = 1;
    else result.failed = 1;
  } else if (exit !== 0 && result.failed === 0) {
    result.notes.push(`exited ${exit} without a failed test`);
    result.failed = 1;
  }
  return result;
}

export function summarize(
  dir: string,
  extraFailures: string[] = [],
): {
  tiers: TierResult[];
  total: Counts;
} {
  const tiers = TIERS.map((tier) => tierResult(dir, tier));
  for (const what of extraFailures) {
    tiers.push({ id: "test.sh", passed: 0, failed: 1, skipped: 0, notes: [what] });
  }
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const t of tiers) {
    total.passed += t.passed;
    total.failed += t.failed;
    total.skipped += t.skipped;
  }
  return { tiers, total };
}

export const closingLine = (c: Counts) =>
  `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;

function main(argv: string[]): number {
  const [dir = ".", ...rest] = argv;
  const extra: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--failed" && rest[i + 1] !== undefined) extra.push(rest[++i]!);
    else extra.push(`unknown argument to test-summary: ${rest[i]}`);
  }
  const { tiers, total } = summarize(dir, extra);
  // Per tier on stderr, worded so that no line but the last matches CI's pattern.
  for (const t of tiers) {
    console.error(
      `  ${t.id.padEnd(20)} passed ${t.passed}, failures ${t.failed}, skipped ${t.skipped}`,
    );
    for (const note of t.notes) console.error(`    ${note}`);
  }
  console.log(closingLine(total));
  return total.failed > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
