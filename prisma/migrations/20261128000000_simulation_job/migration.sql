-- SimulationJob: one row per run of a MonteCarloSimulation generation.
-- Written for both CockroachDB (production) and PostgreSQL (tests): TEXT,
-- JSONB, INT4, BIGINT and TIMESTAMP(3) mean the same on both (INT4, not
-- INTEGER: CockroachDB's INTEGER is 8 bytes by default, Prisma's Int is 4),
-- and CREATE TYPE ... AS ENUM is supported by both.

-- CreateEnum
CREATE TYPE "SimulationStatus" AS ENUM ('pending', 'running', 'completed', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "SimulationJob" (
    "id" TEXT NOT NULL,
    "assessmentId" TEXT,
    "fundedAccountId" TEXT,
    "status" "SimulationStatus" NOT NULL DEFAULT 'pending',
    "inputData" JSONB NOT NULL,
    "result" JSONB,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "generation" BIGINT NOT NULL,
    "attempts" INT4 NOT NULL DEFAULT 0,
    "failures" INT4 NOT NULL DEFAULT 0,
    "requestHash" TEXT NOT NULL,
    "seed" BIGINT NOT NULL,

    CONSTRAINT "SimulationJob_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SimulationJob_uid_generation_key" ON "SimulationJob"("uid", "generation");

-- CreateIndex
CREATE INDEX "SimulationJob_assessmentId_status_idx" ON "SimulationJob"("assessmentId", "status");

-- CreateIndex
CREATE INDEX "SimulationJob_fundedAccountId_status_idx" ON "SimulationJob"("fundedAccountId", "status");

-- CreateIndex
CREATE INDEX "SimulationJob_status_createdAt_idx" ON "SimulationJob"("status", "createdAt");

-- CreateIndex
CREATE INDEX "SimulationJob_requestHash_status_idx" ON "SimulationJob"("requestHash", "status");
