// The migration runner against a real PostgreSQL, in a database of its own.
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/adapters/migrations.ts";
import { REPO, stack, unique } from "./harness.ts";

const dbName = unique("migrations").replace("-", "_");
const urlFor = (db: string) => {
  const u = new URL(stack.databaseUrl);
  u.pathname = `/${db}`;
  return u.toString();
};

describe("migrations", () => {
  const admin = new pg.Client({ connectionString: stack.databaseUrl });
  let client: pg.Client;
  let dir: string;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    client = new pg.Client({ connectionString: urlFor(dbName) });
    await client.connect();
    dir = mkdtempSync(join(tmpdir(), "migrations-"));
    cpSync(join(REPO, "prisma/migrations"), dir, { recursive: true });
  });

  // Every migration the project ships, in order; this test names them so a
  // new one is noticed here.
  const MIGRATIONS = ["20261128000000_simulation_job", "20261130000000_failure_reason"];

  afterAll(async () => {
    await client?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  it("applies the project's migrations and records them as Prisma does", async () => {
    const { applied } = await applyMigrations(client, dir);
    expect(applied).toEqual(MIGRATIONS);
    const { rows } = await client.query(
      `SELECT migration_name, applied_steps_count, finished_at IS NOT NULL AS done, length(checksum) AS len FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows).toEqual(
      MIGRATIONS.map((migration_name) => ({
        migration_name,
        applied_steps_count: 1,
        done: true,
        len: 64,
      })),
    );
    const { rows: cols } = await client.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'SimulationJob' AND column_name IN ('attempts', 'seed', 'inputData', 'failureReason')
       ORDER BY column_name`,
    );
    expect(cols).toEqual([
      { column_name: "attempts", data_type: "integer" },
      { column_name: "failureReason", data_type: "text" },
      { column_name: "inputData", data_type: "jsonb" },
      { column_name: "seed", data_type: "bigint" },
    ]);
  });

  it("applying them again is a no-op", async () => {
    expect((await applyMigrations(client, dir)).applied).toEqual([]);
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
    expect(rows[0].n).toBe(MIGRATIONS.length);
  });

  it("a migration changed after it was applied is an error, never re-run", async () => {
    const file = join(dir, "20261128000000_simulation_job/migration.sql");
    writeFileSync(file, '-- edited\nDROP TABLE "SimulationJob";\n');
    await expect(applyMigrations(client, dir)).rejects.toThrow(
      /20261128000000_simulation_job was modified after it was applied/,
    );
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM "SimulationJob"`);
    expect(rows[0].n).toBe(0); // the table is still there
    cpSync(join(REPO, "prisma/migrations"), dir, { recursive: true });
  });

  it("a failing new migration is recorded as unfinished, and blocks later runs until resolved", async () => {
    const bad = join(dir, "20991231000000_broken");
    cpSync(join(dir, "20261128000000_simulation_job"), bad, { recursive: true });
    writeFileSync(
      join(bad, "migration.sql"),
      "CREATE TABLE broken (id INT4);\nSELECT no_such_function();\n",
    );
    await expect(applyMigrations(client, dir)).rejects.toThrow(/20991231000000_broken failed/);
    // One implicit transaction: the table of the failed script does not exist.
    const { rows } = await client.query(`SELECT to_regclass('broken') AS t`);
    expect(rows[0].t).toBeNull();
    await expect(applyMigrations(client, dir)).rejects.toThrow(
      /20991231000000_broken started but did not finish/,
    );
  });
});
