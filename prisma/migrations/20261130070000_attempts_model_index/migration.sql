-- No query reads attempts by model: (model, started_at) was two more index entries per call (one
-- at the insert, one at the settle, which cannot be a HOT update because completed_at is indexed).
DROP INDEX "attempts_model_started_at_idx";
