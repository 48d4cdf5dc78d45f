-- The routing read and the plan store look queries up by id and check their status. Planned while a
-- new database's statistics were missing, both combined the primary key with (status, created_at)
-- in a BitmapAnd that read every `queued` entry of that index, live or dead: in one 20,000-query
-- `pnpm bench` run the index was scanned 6,253 times for 51.9 M entries, a cost that grew with the
-- run. The status is compared as text, which no index matches, so only the primary key is used
-- (the routing read: 20261130060000); the plan store, a prepared statement until now, is a
-- function with seq scans off like the other many-row statements (a generic plan is kept for the
-- session).

-- Stores the first plan of each unplanned, unended query (queued → running); returns the ids stored.
CREATE OR REPLACE FUNCTION switchyard_store_plans(p_ids uuid[], p_plans jsonb[]) RETURNS TABLE (id uuid)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  RETURN QUERY UPDATE queries q SET plan = v.plan, status = 'running', updated_at = now()
    FROM unnest(p_ids, p_plans) AS v(id, plan)
    WHERE q.id = v.id AND q.status::text IN ('queued', 'routing') AND q.plan IS NULL
    RETURNING q.id;
END;
$$;
