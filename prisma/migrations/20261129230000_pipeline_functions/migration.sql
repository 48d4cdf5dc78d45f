-- The rest of the pipeline's hot path as server-side functions, one round trip each instead of a
-- Prisma transaction (the query engine's CPU was a fifth of a worker's in `pnpm bench`'s profile).
-- Semantics are those documented where packages/db calls them (repositories/pipeline-writes.ts).

-- Settles an attempt (switchyard_settle_attempt) and returns it with the flag, as JSON: the call job
-- reports the settled attempt without reading it again. With p_with_state, also the query's decision
-- state after the settlement (switchyard_decision_state): the only call of a round decides next on it.
CREATE OR REPLACE FUNCTION switchyard_settle_and_read(
  p_attempt uuid, p_outcome "AttemptOutcome",
  p_try uuid, p_charged numeric, p_basis text, p_try_error_code text, p_try_request_id text,
  p_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_provider_request_id text,
  p_output text, p_error_code text, p_error_message text, p_score double precision, p_detail jsonb, p_set_detail boolean,
  p_with_state boolean
) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  v_settled boolean;
  v_attempt json;
BEGIN
  v_settled := switchyard_settle_attempt(
    p_attempt, p_outcome, p_try, p_charged, p_basis, p_try_error_code, p_try_request_id,
    p_input_tokens, p_output_tokens, p_latency_ms, p_provider_request_id,
    p_output, p_error_code, p_error_message, p_score, p_detail, p_set_detail);
  SELECT switchyard_attempt_json(a) INTO v_attempt FROM attempts a WHERE a.id = p_attempt;
  IF p_with_state THEN
    RETURN json_build_object('settled', v_settled, 'attempt', v_attempt,
      'state', switchyard_decision_state((v_attempt->>'query_id')::uuid));
  END IF;
  RETURN json_build_object('settled', v_settled, 'attempt', v_attempt);
END;
$$;

-- An attempt as JSON in the shape packages/db reads it: money as exact decimal text.
CREATE OR REPLACE FUNCTION switchyard_attempt_json(a attempts) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'id', a.id, 'query_id', a.query_id, 'stage', a.stage, 'role', a.role::text, 'slot', a.slot,
    'model', a.model, 'provider', a.provider, 'provider_request_id', a.provider_request_id,
    'input_tokens', a.input_tokens, 'output_tokens', a.output_tokens,
    'cost_usd', a.cost_usd::text, 'reserved_usd', a.reserved_usd::text, 'latency_ms', a.latency_ms,
    'outcome', a.outcome::text, 'error_code', a.error_code, 'error_message', a.error_message,
    'score', a.score, 'output', a.output, 'detail', a.detail,
    'key_budget_month', a.key_budget_month::text, 'tries', a.tries,
    'started_at', a.started_at, 'completed_at', a.completed_at)
$$;

-- What a budgeted API key may still spend this UTC month: budget − settled spend − worst case of
-- calls in flight (negative only if the budget was lowered); null for a key without a budget. The
-- decide state, the routing claim and the API's 402 check all read it here.
CREATE OR REPLACE FUNCTION switchyard_key_remaining(p_key uuid) RETURNS numeric LANGUAGE sql STABLE AS $$
  SELECT k.monthly_budget_usd - COALESCE(u.spent_usd, 0) - COALESCE(u.reserved_usd, 0)
  FROM api_keys k
  LEFT JOIN api_key_usage u ON u.api_key_id = k.id AND u.month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
  WHERE k.id = p_key AND k.monthly_budget_usd IS NOT NULL
$$;

-- Everything a decide job reads, in one statement: the query's pipeline fields, its attempts in
-- ledger order, and what its budgeted API key may still spend this month (null: no budget).
CREATE OR REPLACE FUNCTION switchyard_decision_state(p_query uuid) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'id', q.id, 'prompt', q.prompt, 'system', q.system, 'options', q.options, 'plan', q.plan,
    'status', q.status::text, 'api_key_id', q.api_key_id, 'max_cost_usd', q.max_cost_usd::text,
    'attempts', COALESCE(
      (SELECT json_agg(switchyard_attempt_json(a) ORDER BY a.stage, a.role, a.slot) FROM attempts a WHERE a.query_id = q.id),
      '[]'::json),
    'key_remaining_usd', switchyard_key_remaining(q.api_key_id)::text)
  FROM queries q WHERE q.id = p_query
$$;

-- Ends a query once: the final status and answer (or error), its batch's counters, and the callback
-- delivery it owes, in one transaction. Only the first call for a query changes anything (status
-- guard); later ones return ended = false. Returns the delivery to send (if the query has a callback
-- URL) and the batch's counters after this query was counted (if it belongs to one).
CREATE OR REPLACE FUNCTION switchyard_finalize_query(
  p_query uuid, p_status "QueryStatus", p_answer text, p_answer_model text,
  p_error_code text, p_error_message text, p_outcome jsonb, p_event text, p_delivery uuid
) RETURNS TABLE (
  ended boolean, delivery_id uuid, batch_id uuid, batch_status text, expansion_done boolean,
  query_count integer, invalid_count integer, completed_count integer, failed_count integer
) LANGUAGE plpgsql AS $$
DECLARE
  q queries%ROWTYPE;
  v_attempt RECORD;
  v_try RECORD;
BEGIN
  UPDATE queries SET
    status = p_status,
    answer = COALESCE(p_answer, queries.answer),
    answer_model = COALESCE(p_answer_model, queries.answer_model),
    error_code = COALESCE(p_error_code, queries.error_code),
    error_message = COALESCE(p_error_message, queries.error_message),
    outcome = p_outcome,
    completed_at = now(),
    updated_at = now()
  WHERE id = p_query AND status NOT IN ('completed', 'failed')
  RETURNING * INTO q;
  IF NOT FOUND THEN
    ended := false;
    RETURN NEXT;
    RETURN;
  END IF;
  ended := true;
  -- A call still started belongs to a job that is gone for good (killed more often than its queue
  -- retries, or its Redis keys lost): its reserved tries are charged their reservation (the provider
  -- may have billed them) and it is settled failed, so an ended query holds no open reservation and
  -- its total covers every request made. A live call job that settles later changes nothing.
  IF EXISTS (SELECT 1 FROM attempts WHERE query_id = p_query AND outcome = 'started') THEN
    FOR v_attempt IN SELECT id FROM attempts WHERE query_id = p_query AND outcome = 'started' LOOP
      FOR v_try IN SELECT id FROM attempt_tries WHERE attempt_id = v_attempt.id AND state = 'reserved' LOOP
        PERFORM switchyard_charge_try(v_try.id, NULL, 'interrupted', 'interrupted', NULL);
      END LOOP;
      UPDATE attempts SET outcome = 'failed', error_code = 'interrupted',
        error_message = 'the query ended while this call was unsettled (its job was lost); charged its reservation',
        completed_at = now()
      WHERE id = v_attempt.id;
      PERFORM switchyard_refresh_costs(p_query, v_attempt.id);
    END LOOP;
    SELECT * INTO q FROM queries WHERE id = p_query;
  END IF;
  IF q.batch_id IS NOT NULL THEN
    UPDATE batches b SET
      completed_count = b.completed_count + CASE WHEN p_status = 'completed' THEN 1 ELSE 0 END,
      failed_count = b.failed_count + CASE WHEN p_status = 'failed' THEN 1 ELSE 0 END,
      updated_at = now()
    WHERE b.id = q.batch_id
    RETURNING b.id, b.status::text, b.expansion_done, b.query_count, b.invalid_count, b.completed_count, b.failed_count
    INTO batch_id, batch_status, expansion_done, query_count, invalid_count, completed_count, failed_count;
  END IF;
  IF q.callback_url IS NOT NULL THEN
    INSERT INTO webhook_deliveries (id, query_id, url, event, payload, updated_at)
    VALUES (p_delivery, q.id, q.callback_url, p_event, jsonb_build_object(
      'event', p_event,
      'query', jsonb_build_object(
        'id', q.id, 'status', q.status::text, 'answer', q.answer, 'model', q.answer_model,
        'costUsd', trim_scale(q.total_cost_usd)::text,
        'error', CASE WHEN q.error_code IS NULL THEN NULL
                      ELSE jsonb_build_object('code', q.error_code, 'message', q.error_message) END)),
      now())
    ON CONFLICT (query_id, event) DO NOTHING;
    SELECT w.id INTO delivery_id FROM webhook_deliveries w WHERE w.query_id = q.id AND w.event = p_event;
  END IF;
  RETURN NEXT;
END;
$$;
