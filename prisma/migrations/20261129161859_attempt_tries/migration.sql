-- CreateEnum
CREATE TYPE "AttemptTryState" AS ENUM ('reserved', 'charged');

-- CreateTable
CREATE TABLE "attempt_tries" (
    "id" UUID NOT NULL,
    "attempt_id" UUID NOT NULL,
    "query_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "state" "AttemptTryState" NOT NULL DEFAULT 'reserved',
    "max_output_tokens" INTEGER,
    "reserved_usd" DECIMAL(20,12) NOT NULL,
    "charged_usd" DECIMAL(20,12),
    "charge_basis" TEXT,
    "error_code" TEXT,
    "provider_request_id" TEXT,
    "key_budget_month" DATE,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "charged_at" TIMESTAMPTZ(3),

    CONSTRAINT "attempt_tries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "attempt_tries_query_id_state_idx" ON "attempt_tries"("query_id", "state");

-- CreateIndex
CREATE UNIQUE INDEX "attempt_tries_attempt_id_number_key" ON "attempt_tries"("attempt_id", "number");

-- AddForeignKey
ALTER TABLE "attempt_tries" ADD CONSTRAINT "attempt_tries_attempt_id_fkey" FOREIGN KEY ("attempt_id") REFERENCES "attempts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

