// Adds up the vitest JSON and pytest JUnit reports of one test run and prints
// the closing line CI reads: "N passed, N failed, N skipped".
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? ".";
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of readdirSync(dir)) {
  const text = readFileSync(join(dir, file), "utf8");
  if (file.endsWith(".json")) {
    const report = JSON.parse(text) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
      testResults: { status: string; assertionResults: unknown[] }[];
    };
    // A file that failed before running any test (an import error) counts once.
    const brokenFiles = report.testResults.filter(
      (f) => f.status === "failed" && f.assertionResults.length === 0,
    ).length;
    passed += report.numPassedTests;
    failed += report.numFailedTests + brokenFiles;
    skipped += report.numPendingTests + report.numTodoTests;
  } else if (file.endsWith(".xml")) {
    for (const m of text.matchAll(/<testsuite\b[^>]*>/g)) {
      const tag = m[0];
      const attr = (name: string) => Number(tag.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0);
      const errors = attr("errors") + attr("failures");
      passed += attr("tests") - errors - attr("skipped");
      failed += errors;
      skipped += attr("skipped");
    }
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
