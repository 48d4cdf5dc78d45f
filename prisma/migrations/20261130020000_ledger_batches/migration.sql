-- The ledger's reservations and settlements in batches: a worker sends the begin (or settle) calls of
-- many jobs that arrived in the same turn of its event loop as one statement, one transaction (group
-- commit; packages/db/src/batching). Each item runs the same function as a single call would, in the
-- items' order. Locks: every query row of the batch first, in id order; then the budgeted keys' month
-- rows, in (key, month) order. A single call takes its one query, then its key's month row: no two
-- transactions can wait on each other in a cycle. An item that raises fails the whole statement; the
-- caller then runs the items one by one so that only that item fails.

-- The month rows a batch's budgeted keys may charge, created if missing and locked in order.
CREATE OR REPLACE FUNCTION switchyard_lock_key_months(p_keys uuid[], p_months date[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO api_key_usage (api_key_id, month)
  SELECT k, m FROM unnest(p_keys, p_months) AS t(k, m) GROUP BY k, m ORDER BY k, m
  ON CONFLICT DO NOTHING;
  PERFORM 1 FROM api_key_usage u
  WHERE (u.api_key_id, u.month) IN (SELECT k, m FROM unnest(p_keys, p_months) AS t(k, m))
  ORDER BY u.api_key_id, u.month FOR UPDATE;
END;
$$;

-- p_items: [{query, stage, role, slot, model, provider, attempt, try, fixed, input, outputPerMTok,
-- maxOutput, minOutput}] as switchyard_begin_try takes them. One row per item, `ord` its 1-based index.
CREATE OR REPLACE FUNCTION switchyard_begin_tries(p_items jsonb) RETURNS TABLE (
  ord integer, kind text, attempt_id uuid, resumed boolean, try_id uuid, try_number integer, max_output_tokens integer, reserved_usd text
) LANGUAGE plpgsql AS $$
DECLARE
  v_item jsonb;
  v_ord bigint;
  v_ids uuid[];
  v_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
BEGIN
  v_ids := ARRAY(SELECT DISTINCT (e->>'query')::uuid FROM jsonb_array_elements(p_items) e);
  PERFORM 1 FROM queries WHERE id = ANY(v_ids) ORDER BY id FOR UPDATE;
  PERFORM switchyard_lock_key_months(
    ARRAY(SELECT q.api_key_id FROM queries q JOIN api_keys k ON k.id = q.api_key_id
          WHERE q.id = ANY(v_ids) AND k.monthly_budget_usd IS NOT NULL),
    ARRAY(SELECT v_month FROM queries q JOIN api_keys k ON k.id = q.api_key_id
          WHERE q.id = ANY(v_ids) AND k.monthly_budget_usd IS NOT NULL));
  FOR v_item, v_ord IN SELECT e, n FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) LOOP
    RETURN QUERY SELECT v_ord::integer, b.* FROM switchyard_begin_try(
      (v_item->>'query')::uuid, (v_item->>'stage')::integer, (v_item->>'role')::"AttemptRole", (v_item->>'slot')::integer,
      v_item->>'model', v_item->>'provider', (v_item->>'attempt')::uuid, (v_item->>'try')::uuid,
      (v_item->>'fixed')::numeric, (v_item->>'input')::numeric, (v_item->>'outputPerMTok')::numeric,
      (v_item->>'maxOutput')::integer, (v_item->>'minOutput')::integer) b;
  END LOOP;
END;
$$;

-- p_items: [{attempt, outcome, try, charged, basis, tryErrorCode, tryRequestId, inputTokens,
-- outputTokens, latencyMs, providerRequestId, output, errorCode, errorMessage, score, detail,
-- setDetail, withState}] as switchyard_settle_and_read takes them. One row per item.
CREATE OR REPLACE FUNCTION switchyard_settle_and_read_many(p_items jsonb) RETURNS TABLE (ord integer, result json)
LANGUAGE plpgsql AS $$
DECLARE
  v_item jsonb;
  v_ord bigint;
  v_ids uuid[];
  v_tries uuid[];
BEGIN
  -- `= ANY(array)`, not `IN (subquery)`: a plan cached while the tables were small must not scan them.
  v_ids := ARRAY(SELECT DISTINCT a.query_id FROM attempts a
                 WHERE a.id = ANY(ARRAY(SELECT (e->>'attempt')::uuid FROM jsonb_array_elements(p_items) e)));
  PERFORM 1 FROM queries WHERE id = ANY(v_ids) ORDER BY id FOR UPDATE;
  v_tries := ARRAY(SELECT (e->>'try')::uuid FROM jsonb_array_elements(p_items) e WHERE e->>'try' IS NOT NULL);
  PERFORM switchyard_lock_key_months(
    ARRAY(SELECT q.api_key_id FROM attempt_tries t JOIN queries q ON q.id = t.query_id
          WHERE t.id = ANY(v_tries) AND t.key_budget_month IS NOT NULL AND q.api_key_id IS NOT NULL ORDER BY t.id),
    ARRAY(SELECT t.key_budget_month FROM attempt_tries t JOIN queries q ON q.id = t.query_id
          WHERE t.id = ANY(v_tries) AND t.key_budget_month IS NOT NULL AND q.api_key_id IS NOT NULL ORDER BY t.id));
  FOR v_item, v_ord IN SELECT e, n FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) LOOP
    ord := v_ord::integer;
    result := switchyard_settle_and_read(
      (v_item->>'attempt')::uuid, (v_item->>'outcome')::"AttemptOutcome",
      (v_item->>'try')::uuid, (v_item->>'charged')::numeric, v_item->>'basis', v_item->>'tryErrorCode', v_item->>'tryRequestId',
      (v_item->>'inputTokens')::integer, (v_item->>'outputTokens')::integer, (v_item->>'latencyMs')::integer,
      v_item->>'providerRequestId', v_item->>'output', v_item->>'errorCode', v_item->>'errorMessage',
      (v_item->>'score')::double precision, v_item->'detail', (v_item->>'setDetail')::boolean,
      (v_item->>'withState')::boolean);
    RETURN NEXT;
  END LOOP;
END;
$$;

-- p_items: [{query, status, answer, answerModel, errorCode, errorMessage, outcome, event, delivery}] as
-- switchyard_finalize_query takes them. Queries first in id order, then their batches' rows in id
-- order (every query of a batch counts itself on one row). One row per item.
CREATE OR REPLACE FUNCTION switchyard_finalize_queries(p_items jsonb) RETURNS TABLE (
  ord integer, ended boolean, delivery_id uuid, batch_id uuid, batch_status text, expansion_done boolean,
  query_count integer, invalid_count integer, completed_count integer, failed_count integer
) LANGUAGE plpgsql AS $$
DECLARE
  v_item jsonb;
  v_ord bigint;
  v_ids uuid[];
BEGIN
  v_ids := ARRAY(SELECT DISTINCT (e->>'query')::uuid FROM jsonb_array_elements(p_items) e);
  PERFORM 1 FROM queries WHERE id = ANY(v_ids) ORDER BY id FOR UPDATE;
  PERFORM 1 FROM batches WHERE id = ANY(ARRAY(SELECT q.batch_id FROM queries q WHERE q.id = ANY(v_ids)))
  ORDER BY id FOR UPDATE;
  FOR v_item, v_ord IN SELECT e, n FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) LOOP
    RETURN QUERY SELECT v_ord::integer, f.* FROM switchyard_finalize_query(
      (v_item->>'query')::uuid, (v_item->>'status')::"QueryStatus", v_item->>'answer', v_item->>'answerModel',
      v_item->>'errorCode', v_item->>'errorMessage', v_item->'outcome', v_item->>'event', (v_item->>'delivery')::uuid) f;
  END LOOP;
END;
$$;

-- Statements over many rows by id (`= ANY(array)`) planned while a table was small (a new database:
-- every table empty and never analyzed until autovacuum's first pass) scan it whole, and the session
-- keeps that plan: the scan then grows with the table. Every lookup of these functions is by key, so
-- they plan without sequential scans.
ALTER FUNCTION switchyard_lock_key_months(uuid[], date[]) SET enable_seqscan = off;
ALTER FUNCTION switchyard_begin_tries(jsonb) SET enable_seqscan = off;
ALTER FUNCTION switchyard_settle_and_read_many(jsonb) SET enable_seqscan = off;
ALTER FUNCTION switchyard_finalize_queries(jsonb) SET enable_seqscan = off;

-- Many queries' pipeline fields by id (the call jobs of a batch of reads).
CREATE OR REPLACE FUNCTION switchyard_read_queries(p_ids uuid[]) RETURNS TABLE (
  id uuid, prompt text, system text, options jsonb, plan jsonb, status text, api_key_id uuid, max_cost_usd text
) LANGUAGE plpgsql STABLE SET enable_seqscan = off AS $$
BEGIN
  RETURN QUERY SELECT q.id, q.prompt, q.system, q.options, q.plan, q.status::text, q.api_key_id, q.max_cost_usd::text
  FROM queries q WHERE q.id = ANY(p_ids);
END;
$$;

-- Claims queued (or routing: a retried job) unplanned queries for routing, rows locked in id order;
-- returns what routing and the first decision read.
CREATE OR REPLACE FUNCTION switchyard_claim_routing(p_ids uuid[]) RETURNS TABLE (
  id uuid, prompt text, system text, options jsonb, plan jsonb, status text, api_key_id uuid, max_cost_usd text,
  key_remaining_usd text
) LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  PERFORM 1 FROM queries q WHERE q.id = ANY(p_ids) ORDER BY q.id FOR UPDATE;
  RETURN QUERY UPDATE queries q SET status = 'routing', updated_at = now()
    WHERE q.id = ANY(p_ids) AND q.status IN ('queued', 'routing') AND q.plan IS NULL
    RETURNING q.id, q.prompt, q.system, q.options, q.plan, q.status::text, q.api_key_id, q.max_cost_usd::text,
      switchyard_key_remaining(q.api_key_id)::text;
END;
$$;
