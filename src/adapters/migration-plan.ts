// Pure planning of Prisma migrations: which local migrations to apply and
// which states of `_prisma_migrations` are errors. Mirrors `prisma migrate
// deploy`: an applied migration whose file changed, or one that failed and
// was never rolled back, stops everything; nothing is ever re-run silently.
import { createHash } from "node:crypto";

export interface LocalMigration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface AppliedMigration {
  readonly migration_name: string;
  readonly checksum: string;
  readonly finished_at: Date | null;
  readonly rolled_back_at: Date | null;
}

export interface MigrationPlan {
  readonly toApply: readonly LocalMigration[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/** Prisma's checksum: SHA-256 of the migration.sql bytes, hex. */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

export function planMigrations(
  local: readonly LocalMigration[],
  applied: readonly AppliedMigration[],
): MigrationPlan {
  const errors: string[] = [];
  const warnings: string[] = [];
  const done = new Set<string>();
  const localByName = new Map(local.map((m) => [m.name, m]));

  for (const row of applied) {
    if (row.rolled_back_at !== null) continue;
    const mine = localByName.get(row.migration_name);
    if (row.finished_at === null) {
      errors.push(
        `migration ${row.migration_name} started but did not finish; resolve it (prisma migrate resolve) before applying more`,
      );
    } else if (!mine) {
      warnings.push(
        `migration ${row.migration_name} is applied but missing from prisma/migrations`,
      );
    } else if (mine.checksum !== row.checksum) {
      errors.push(
        `migration ${row.migration_name} was modified after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${mine.checksum.slice(0, 12)} on disk)`,
      );
    }
    done.add(row.migration_name);
  }
  const toApply = errors.length ? [] : local.filter((m) => !done.has(m.name));
  return { toApply, errors, warnings };
}
