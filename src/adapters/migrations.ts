// Applies prisma/migrations/*/migration.sql and records each in Prisma's own
// `_prisma_migrations` table, so `prisma migrate deploy` elsewhere sees them
// as applied. Needed because the Prisma CLI's schema engine cannot be
// downloaded on our build machines; production may use either.
import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "pg";
import {
  type AppliedMigration,
  type LocalMigration,
  migrationChecksum,
  planMigrations,
} from "./migration-plan.ts";

/** The advisory lock key `prisma migrate` takes on PostgreSQL, so the two never interleave. */
const PRISMA_ADVISORY_LOCK = 72707369;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {
  readonly reason = "MigrationFailed";
}

export async function readMigrations(dir: string): Promise<LocalMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrations: LocalMigration[] = [];
  for (const name of names) {
    const sql = await readFile(join(dir, name, "migration.sql"), "utf8").catch(() => undefined);
    if (sql !== undefined) migrations.push({ name, sql, checksum: migrationChecksum(sql) });
  }
  return migrations;
}

export interface MigrationOutcome {
  readonly applied: readonly string[];
  readonly warnings: readonly string[];
}

/** Applies pending migrations in name order; throws MigrationError naming the problem. */
export async function applyMigrations(client: Client, dir: string): Promise<MigrationOutcome> {
  const local = await readMigrations(dir);
  const locked = await tryAdvisoryLock(client);
  try {
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<AppliedMigration>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
    );
    const plan = planMigrations(local, rows);
    if (plan.errors.length) throw new MigrationError(plan.errors.join("; "));
    for (const m of plan.toApply) await applyOne(client, m);
    return { applied: plan.toApply.map((m) => m.name), warnings: plan.warnings };
  } finally {
    if (locked) await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK]);
  }
}

async function applyOne(client: Client, m: LocalMigration): Promise<void> {
  const id = randomUUID();
  await client.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
     VALUES ($1, $2, $3, now(), 0)`,
    [id, m.checksum, m.name],
  );
  try {
    // One simple-protocol query: PostgreSQL and CockroachDB run a
    // multi-statement string as one implicit transaction.
    await client.query(m.sql);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await client.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, message]);
    throw new MigrationError(`migration ${m.name} failed: ${message}`, { cause: err });
  }
  await client.query(
    `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
    [id],
  );
}

/** PostgreSQL has advisory locks; CockroachDB does not (42883), and Prisma skips them there too. */
async function tryAdvisoryLock(client: Client): Promise<boolean> {
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK]);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "42883") return false;
    throw err;
  }
}
