-- A failed row's reason (a condition reason such as BackoffLimitExceeded),
-- kept apart from its message in "error".
ALTER TABLE "SimulationJob" ADD COLUMN "failureReason" TEXT;
