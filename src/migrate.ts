// Entry point: apply prisma/migrations to DATABASE_URL and exit.
// Used by the local stack, the tests and the migration Job (Argo CD PreSync).
import { fileURLToPath } from "node:url";
import pg from "pg";
import pino from "pino";
import { applyMigrations } from "./adapters/migrations.ts";

const log = pino({ name: "migrate" });
const url = process.env.DATABASE_URL;
if (!url) {
  log.error("DATABASE_URL is not set");
  process.exit(2);
}
const dir =
  process.env.MIGRATIONS_DIR ?? fileURLToPath(new URL("../prisma/migrations", import.meta.url));
const client = new pg.Client({ connectionString: url });
try {
  await client.connect();
  const { applied, warnings } = await applyMigrations(client, dir);
  for (const w of warnings) log.warn(w);
  log.info({ applied }, applied.length ? "migrations applied" : "no pending migrations");
} catch (err) {
  log.error({ err }, "migration failed");
  process.exitCode = 1;
} finally {
  await client.end().catch(() => {});
}
