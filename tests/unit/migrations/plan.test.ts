import { describe, expect, it } from "vitest";
import {
  type AppliedMigration,
  migrationChecksum,
  planMigrations,
} from "../../../src/adapters/migration-plan.ts";

const local = (name: string, sql = `-- ${name}`) => ({
  name,
  sql,
  checksum: migrationChecksum(sql),
});
const applied = (
  name: string,
  sql = `-- ${name}`,
  over: Partial<AppliedMigration> = {},
): AppliedMigration => ({
  migration_name: name,
  checksum: migrationChecksum(sql),
  finished_at: new Date(),
  rolled_back_at: null,
  ...over,
});

describe("planMigrations", () => {
  it.each<[string, ReturnType<typeof local>[], AppliedMigration[], string[], RegExp | undefined]>([
    [
      "a fresh database gets everything in name order",
      [local("1_a"), local("2_b")],
      [],
      ["1_a", "2_b"],
      undefined,
    ],
    [
      "applying twice is a no-op",
      [local("1_a"), local("2_b")],
      [applied("1_a"), applied("2_b")],
      [],
      undefined,
    ],
    [
      "only the new one is applied",
      [local("1_a"), local("2_b")],
      [applied("1_a")],
      ["2_b"],
      undefined,
    ],
    [
      "a file changed after it was applied stops everything",
      [local("1_a", "-- edited"), local("2_b")],
      [applied("1_a")],
      [],
      /1_a was modified after it was applied/,
    ],
    [
      "a failed migration stops everything",
      [local("1_a"), local("2_b")],
      [applied("1_a", "-- 1_a", { finished_at: null })],
      [],
      /1_a started but did not finish/,
    ],
    [
      "a rolled-back failure is applied again",
      [local("1_a")],
      [applied("1_a", "-- 1_a", { finished_at: null, rolled_back_at: new Date() })],
      ["1_a"],
      undefined,
    ],
  ])("%s", (_name, mine, theirs, toApply, error) => {
    const plan = planMigrations(mine, theirs);
    expect(plan.toApply.map((m) => m.name)).toEqual(toApply);
    if (error) expect(plan.errors.join("; ")).toMatch(error);
    else expect(plan.errors).toEqual([]);
  });

  it("warns about an applied migration missing on disk", () => {
    expect(planMigrations([local("1_a")], [applied("1_a"), applied("2_b")]).warnings).toEqual([
      "migration 2_b is applied but missing from prisma/migrations",
    ]);
  });

  it("uses Prisma's checksum: SHA-256 of the file, hex", () => {
    expect(migrationChecksum("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});
