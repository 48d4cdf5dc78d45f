-- AlterTable
ALTER TABLE "attempts" ADD COLUMN     "key_budget_month" DATE;

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "monthly_budget_usd" DECIMAL(20,12),
ADD COLUMN     "rpm" INTEGER;

-- CreateTable
CREATE TABLE "api_key_usage" (
    "api_key_id" UUID NOT NULL,
    "month" DATE NOT NULL,
    "spent_usd" DECIMAL(20,12) NOT NULL DEFAULT 0,
    "reserved_usd" DECIMAL(20,12) NOT NULL DEFAULT 0,

    CONSTRAINT "api_key_usage_pkey" PRIMARY KEY ("api_key_id","month")
);

-- CreateIndex
CREATE INDEX "queries_api_key_id_created_at_idx" ON "queries"("api_key_id", "created_at");

-- CreateIndex
CREATE INDEX "api_keys_prefix_idx" ON "api_keys"("prefix");

-- AddForeignKey
ALTER TABLE "api_key_usage" ADD CONSTRAINT "api_key_usage_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Names identify keys for `switchyard keys revoke <name>`: unique among keys still in use. (A partial
-- index, which the Prisma schema cannot express; written by hand.)
CREATE UNIQUE INDEX "api_keys_name_active_key" ON "api_keys"("name") WHERE "revoked_at" IS NULL;
