-- CreateTable
CREATE TABLE "query_feedback" (
    "query_id" UUID NOT NULL,
    "correct" BOOLEAN,
    "score" DOUBLE PRECISION,
    "comment" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "query_feedback_pkey" PRIMARY KEY ("query_id")
);

-- AddForeignKey
ALTER TABLE "query_feedback" ADD CONSTRAINT "query_feedback_query_id_fkey" FOREIGN KEY ("query_id") REFERENCES "queries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

