-- A try is inserted reserved and updated once when charged. With `state` in an index that update
-- could never be HOT (three index insertions per charge); the query's tries are few, so the index on
-- query_id alone serves the same lookups. Pages keep room for the charge (fillfactor 80).

-- DropIndex
DROP INDEX "attempt_tries_query_id_state_idx";

-- CreateIndex
CREATE INDEX "attempt_tries_query_id_idx" ON "attempt_tries"("query_id");

ALTER TABLE attempt_tries SET (fillfactor = 80);
