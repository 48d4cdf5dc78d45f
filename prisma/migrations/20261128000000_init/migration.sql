-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "QueryStatus" AS ENUM ('queued', 'routing', 'running', 'completed', 'failed');

-- CreateEnum
CREATE TYPE "BatchStatus" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "AttemptRole" AS ENUM ('classify', 'answer', 'judge');

-- CreateEnum
CREATE TYPE "AttemptOutcome" AS ENUM ('started', 'succeeded', 'failed');

-- CreateEnum
CREATE TYPE "WebhookStatus" AS ENUM ('pending', 'delivered', 'failed');

-- CreateTable
CREATE TABLE "queries" (
    "id" UUID NOT NULL,
    "prompt" TEXT NOT NULL,
    "system" TEXT,
    "options" JSONB NOT NULL DEFAULT '{}',
    "status" "QueryStatus" NOT NULL DEFAULT 'queued',
    "plan" JSONB,
    "answer" TEXT,
    "outcome" JSONB,
    "answer_model" TEXT,
    "total_cost_usd" DECIMAL(20,12) NOT NULL DEFAULT 0,
    "max_cost_usd" DECIMAL(20,12),
    "reserved_cost_usd" DECIMAL(20,12) NOT NULL DEFAULT 0,
    "idempotency_key" TEXT,
    "request_hash" TEXT,
    "callback_url" TEXT,
    "error_code" TEXT,
    "error_message" TEXT,
    "batch_id" UUID,
    "batch_index" INTEGER,
    "external_id" TEXT,
    "api_key_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "queries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batches" (
    "id" UUID NOT NULL,
    "status" "BatchStatus" NOT NULL DEFAULT 'queued',
    "total_count" INTEGER NOT NULL DEFAULT 0,
    "completed_count" INTEGER NOT NULL DEFAULT 0,
    "failed_count" INTEGER NOT NULL DEFAULT 0,
    "input" JSONB NOT NULL DEFAULT '{}',
    "output" JSONB,
    "callback_url" TEXT,
    "metadata" JSONB,
    "api_key_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attempts" (
    "id" UUID NOT NULL,
    "query_id" UUID NOT NULL,
    "stage" INTEGER NOT NULL,
    "role" "AttemptRole" NOT NULL,
    "slot" INTEGER NOT NULL DEFAULT 0,
    "model" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "provider_request_id" TEXT,
    "input_tokens" INTEGER,
    "output_tokens" INTEGER,
    "cost_usd" DECIMAL(20,12),
    "reserved_usd" DECIMAL(20,12),
    "latency_ms" INTEGER,
    "outcome" "AttemptOutcome" NOT NULL DEFAULT 'started',
    "error_code" TEXT,
    "error_message" TEXT,
    "score" DOUBLE PRECISION,
    "output" TEXT,
    "detail" JSONB,
    "tries" INTEGER NOT NULL DEFAULT 1,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL,
    "query_id" UUID,
    "batch_id" UUID,
    "url" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "WebhookStatus" NOT NULL DEFAULT 'pending',
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "router_artifacts" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "data" JSONB NOT NULL,
    "metrics" JSONB,
    "source" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "router_artifacts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "queries_idempotency_key_key" ON "queries"("idempotency_key");

-- CreateIndex
CREATE INDEX "queries_status_created_at_idx" ON "queries"("status", "created_at");

-- CreateIndex
CREATE INDEX "queries_batch_id_idx" ON "queries"("batch_id");

-- CreateIndex
CREATE UNIQUE INDEX "queries_batch_id_batch_index_key" ON "queries"("batch_id", "batch_index");

-- CreateIndex
CREATE INDEX "batches_status_created_at_idx" ON "batches"("status", "created_at");

-- CreateIndex
CREATE INDEX "attempts_model_started_at_idx" ON "attempts"("model", "started_at");

-- CreateIndex
CREATE UNIQUE INDEX "attempts_query_id_stage_role_slot_key" ON "attempts"("query_id", "stage", "role", "slot");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_query_id_event_key" ON "webhook_deliveries"("query_id", "event");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_batch_id_event_key" ON "webhook_deliveries"("batch_id", "event");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE UNIQUE INDEX "router_artifacts_kind_version_key" ON "router_artifacts"("kind", "version");

-- AddForeignKey
ALTER TABLE "queries" ADD CONSTRAINT "queries_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "queries" ADD CONSTRAINT "queries_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batches" ADD CONSTRAINT "batches_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_query_id_fkey" FOREIGN KEY ("query_id") REFERENCES "queries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_query_id_fkey" FOREIGN KEY ("query_id") REFERENCES "queries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

