// Prisma CLI configuration. The CLI only generates the client here; the
// project applies prisma/migrations itself (see src/adapters/migrations.ts).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://unused@127.0.0.1:1/unused" },
});
