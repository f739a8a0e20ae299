// One node-postgres pool per database, shared by the Prisma client (through
// its pg adapter) and the store's own SQL. Short connect and statement
// timeouts so that a database that is down fails a reconcile quickly instead
// of holding a worker. TIMESTAMP columns hold UTC, as Prisma writes them, and
// are read as UTC whatever the process's time zone (pg's default reads them
// as local time); Prisma's queries bring their own parsers.
import pg from "pg";

const TIMESTAMP = pg.types.builtins.TIMESTAMP;

/** "2026-11-30 12:34:56.789" (UTC) as a Date. */
const utcTimestamp = (text: string) => new Date(`${text.replace(" ", "T")}Z`);

export function poolConfig(databaseUrl: string): pg.PoolConfig {
  return {
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 15_000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === TIMESTAMP && format !== "binary"
          ? utcTimestamp
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  };
}

export const createPool = (databaseUrl: string): pg.Pool => new pg.Pool(poolConfig(databaseUrl));

export type { Pool } from "pg";
