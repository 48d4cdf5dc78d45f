-- Routing no longer claims a query (queued → routing) before planning it: the claim was a non-HOT
-- update of `queries` (status is indexed: a new entry in each of its indexes) and a locking
-- statement per query, and it guarded nothing the plan's own status-guarded store does not:
-- storing the plan moves queued (or routing, a row claimed by an earlier version) → running only
-- while the query is unplanned and not ended, so a query failed meanwhile (its batch cancelled) is
-- never planned, and of two route jobs the first plan wins. `switchyard_claim_routing` stays for
-- workers of the previous version during a rolling upgrade.
-- The status is compared as text, which no index matches: as an index condition, plans made while a
-- new database had no statistics combined the primary key with (status, created_at) in a BitmapAnd
-- that read every queued entry of that index, live or dead, on every call (see 20261130080000).
CREATE OR REPLACE FUNCTION switchyard_read_for_routing(p_ids uuid[]) RETURNS TABLE (
  id uuid, prompt text, system text, options jsonb, plan jsonb, status text, api_key_id uuid, max_cost_usd text,
  key_remaining_usd text
) LANGUAGE plpgsql STABLE SET enable_seqscan = off AS $$
BEGIN
  RETURN QUERY SELECT q.id, q.prompt, q.system, q.options, q.plan, q.status::text, q.api_key_id, q.max_cost_usd::text,
      switchyard_key_remaining(q.api_key_id)::text
    FROM queries q
    WHERE q.id = ANY(p_ids) AND q.status::text IN ('queued', 'routing') AND q.plan IS NULL;
END;
$$;

-- (batch_id) duplicated the leading column of the unique (batch_id, batch_index): every insert and
-- every non-HOT update of a query wrote an entry into both.
DROP INDEX "queries_batch_id_idx";
