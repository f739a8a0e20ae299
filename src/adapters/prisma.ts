// One Prisma client over node-postgres (CockroachDB and PostgreSQL both speak
// its protocol). Short connect and statement timeouts so that a database
// that is down fails a reconcile quickly instead of holding a worker.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";

export function createPrisma(databaseUrl: string): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 15_000,
  });
  return new PrismaClient({ adapter });
}

export type { PrismaClient };
