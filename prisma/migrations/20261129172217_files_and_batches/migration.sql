-- AlterEnum (the batches table was never used before this migration; the runner wraps the file in a transaction)
CREATE TYPE "BatchStatus_new" AS ENUM ('validating', 'in_progress', 'finalizing', 'completed', 'failed', 'cancelling', 'cancelled', 'expired');
ALTER TABLE "batches" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "batches" ALTER COLUMN "status" TYPE "BatchStatus_new" USING ("status"::text::"BatchStatus_new");
ALTER TYPE "BatchStatus" RENAME TO "BatchStatus_old";
ALTER TYPE "BatchStatus_new" RENAME TO "BatchStatus";
DROP TYPE "BatchStatus_old";
ALTER TABLE "batches" ALTER COLUMN "status" SET DEFAULT 'validating';

-- DropForeignKey
ALTER TABLE "batches" DROP CONSTRAINT "batches_api_key_id_fkey";

-- DropIndex
DROP INDEX "batches_status_created_at_idx";

-- AlterTable
ALTER TABLE "batches" DROP COLUMN "input",
DROP COLUMN "output",
ADD COLUMN     "cancelled_at" TIMESTAMPTZ(3),
ADD COLUMN     "cancelling_at" TIMESTAMPTZ(3),
ADD COLUMN     "completion_window" TEXT NOT NULL,
ADD COLUMN     "endpoint" TEXT NOT NULL,
ADD COLUMN     "error_file_id" UUID,
ADD COLUMN     "errors" JSONB,
ADD COLUMN     "expanded_bytes" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "expanded_lines" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "expansion_done" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "expired_at" TIMESTAMPTZ(3),
ADD COLUMN     "expires_at" TIMESTAMPTZ(3) NOT NULL,
ADD COLUMN     "failed_at" TIMESTAMPTZ(3),
ADD COLUMN     "finalizing_at" TIMESTAMPTZ(3),
ADD COLUMN     "in_progress_at" TIMESTAMPTZ(3),
ADD COLUMN     "input_file_id" UUID NOT NULL,
ADD COLUMN     "invalid_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "output_file_id" UUID,
ADD COLUMN     "query_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "query_max_cost_usd" DECIMAL(20,12) NOT NULL,
ALTER COLUMN "status" SET DEFAULT 'validating',
ALTER COLUMN "api_key_id" SET NOT NULL;

-- CreateTable
CREATE TABLE "batch_line_errors" (
    "batch_id" UUID NOT NULL,
    "line" INTEGER NOT NULL,
    "custom_id" TEXT,
    "code" TEXT NOT NULL,
    "message" TEXT NOT NULL,

    CONSTRAINT "batch_line_errors_pkey" PRIMARY KEY ("batch_id","line")
);

-- CreateTable
CREATE TABLE "files" (
    "id" UUID NOT NULL,
    "api_key_id" UUID NOT NULL,
    "purpose" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "line_count" INTEGER NOT NULL,
    "content_oid" BIGINT,
    "batch_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "files_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "files_api_key_id_created_at_idx" ON "files"("api_key_id", "created_at");

-- CreateIndex
CREATE INDEX "queries_completed_at_idx" ON "queries"("completed_at");

-- CreateIndex
CREATE UNIQUE INDEX "queries_batch_id_external_id_key" ON "queries"("batch_id", "external_id");

-- CreateIndex
CREATE INDEX "batches_api_key_id_created_at_idx" ON "batches"("api_key_id", "created_at");

-- CreateIndex
CREATE INDEX "batches_status_updated_at_idx" ON "batches"("status", "updated_at");

-- CreateIndex
CREATE INDEX "attempts_completed_at_idx" ON "attempts"("completed_at");

-- AddForeignKey
ALTER TABLE "batches" ADD CONSTRAINT "batches_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batches" ADD CONSTRAINT "batches_input_file_id_fkey" FOREIGN KEY ("input_file_id") REFERENCES "files"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_line_errors" ADD CONSTRAINT "batch_line_errors_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "files" ADD CONSTRAINT "files_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

