// One Prisma client over node-postgres (CockroachDB and PostgreSQL both speak
// its protocol), on the pool of database-pool.ts.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { type Pool, poolConfig } from "./database-pool.ts";

/**
 * A client on a shared `pool` (its owner ends it), or on a pool of its own
 * for a URL, which $disconnect ends.
 */
export function createPrisma(database: string | Pool): PrismaClient {
  const pool = typeof database === "string" ? poolConfig(database) : database;
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}

export type { PrismaClient };
