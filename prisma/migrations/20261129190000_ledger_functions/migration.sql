-- The ledger's hot path as server-side functions: each of beginAttempt, settleAttempt and
-- chargeAttemptTry is one round trip instead of a transaction of five to ten statements. Their
-- semantics are exactly those documented in packages/db/src/repositories/ledger.ts (which calls
-- them): the query row is locked first, then a budgeted key's month row, in that order everywhere.
-- Money is numeric(20,12); token limits use integer pico-dollar arithmetic (div), so the reservation
-- of a call never exceeds what the budget allows (the same rules as core's outputTokenLimit, checked
-- against it by packages/db/src/repositories/ledger-functions.int.test.ts).

-- Charges a reserved try (p_charged null = its reservation) and moves a budgeted key's share from
-- reserved to spent. The caller holds the query's lock. False when the try was already charged.
CREATE OR REPLACE FUNCTION switchyard_charge_try(
  p_try uuid, p_charged numeric, p_basis text, p_error_code text, p_request_id text
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  UPDATE attempt_tries SET
    state = 'charged',
    charged_usd = COALESCE(p_charged, reserved_usd),
    charge_basis = p_basis,
    error_code = p_error_code,
    provider_request_id = p_request_id,
    charged_at = now()
  WHERE id = p_try AND state = 'reserved'
  RETURNING query_id, reserved_usd, charged_usd, key_budget_month INTO r;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF r.key_budget_month IS NOT NULL THEN
    UPDATE api_key_usage SET
      reserved_usd = GREATEST(reserved_usd - r.reserved_usd, 0),
      spent_usd = spent_usd + r.charged_usd
    WHERE api_key_id = (SELECT api_key_id FROM queries WHERE id = r.query_id) AND month = r.key_budget_month;
  END IF;
  RETURN true;
END;
$$;

-- Recomputes from the tries the query's total and open reservation, and a settled attempt's cost.
CREATE OR REPLACE FUNCTION switchyard_refresh_costs(p_query uuid, p_attempt uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_attempt IS NOT NULL THEN
    UPDATE attempts SET cost_usd = (SELECT COALESCE(SUM(charged_usd), 0) FROM attempt_tries WHERE attempt_id = p_attempt)
    WHERE id = p_attempt AND outcome <> 'started';
  END IF;
  UPDATE queries SET
    total_cost_usd = (SELECT COALESCE(SUM(charged_usd), 0) FROM attempt_tries WHERE query_id = p_query),
    reserved_cost_usd = (SELECT COALESCE(SUM(reserved_usd), 0) FROM attempt_tries WHERE query_id = p_query AND state = 'reserved'),
    updated_at = now()
  WHERE id = p_query;
END;
$$;

-- Reserves one try of a call (see beginAttempt). Pricing: p_fixed_usd (known cost) or tokens
-- (p_input_usd + up to p_max_output tokens at p_output_usd_per_mtok, at least p_min_output).
-- kind: completed (a settled attempt exists), proceed (make the request of try_id), over-budget.
CREATE OR REPLACE FUNCTION switchyard_begin_try(
  p_query uuid, p_stage integer, p_role "AttemptRole", p_slot integer, p_model text, p_provider text,
  p_new_attempt uuid, p_new_try uuid,
  p_fixed_usd numeric, p_input_usd numeric, p_output_usd_per_mtok numeric, p_max_output integer, p_min_output integer
) RETURNS TABLE (
  kind text, attempt_id uuid, resumed boolean, try_id uuid, try_number integer, max_output_tokens integer, reserved_usd text
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  q RECORD;
  a RECORD;
  v_exists boolean;
  v_try RECORD;
  v_interrupted boolean := false;
  v_charged numeric;
  v_reserved numeric;
  v_query_remaining numeric;
  v_key_limit numeric;
  v_key_month date;
  v_key_remaining numeric;
  v_usage RECORD;
  v_remaining numeric;
  v_left_pico numeric;
  v_price_pico numeric;
  v_input_pico numeric;
  v_affordable numeric;
  v_reservation numeric;
  v_max_output integer;
  v_reason text;
  v_key_short boolean;
  v_code text;
  v_message text;
  v_attempt uuid;
  v_number integer;
BEGIN
  SELECT max_cost_usd, api_key_id, total_cost_usd, reserved_cost_usd INTO q
  FROM queries WHERE id = p_query FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'query % does not exist', p_query USING ERRCODE = 'no_data_found';
  END IF;
  SELECT id, outcome INTO a FROM attempts
  WHERE query_id = p_query AND stage = p_stage AND role = p_role AND slot = p_slot;
  v_exists := FOUND;
  IF v_exists AND a.outcome <> 'started' THEN
    RETURN QUERY SELECT 'completed'::text, a.id, false, NULL::uuid, NULL::integer, NULL::integer, NULL::text;
    RETURN;
  END IF;
  v_charged := q.total_cost_usd;
  v_reserved := q.reserved_cost_usd;
  IF v_exists THEN
    -- A try still reserved belongs to a job run that is gone (a crash, or an answer it could not
    -- record): the provider may have billed it, so it is charged its reservation.
    FOR v_try IN SELECT id FROM attempt_tries WHERE attempt_tries.attempt_id = a.id AND state = 'reserved' LOOP
      PERFORM switchyard_charge_try(v_try.id, NULL, 'interrupted', 'interrupted', NULL);
      v_interrupted := true;
    END LOOP;
    IF v_interrupted THEN
      PERFORM switchyard_refresh_costs(p_query, NULL);
      SELECT total_cost_usd, reserved_cost_usd INTO v_charged, v_reserved FROM queries WHERE id = p_query;
    END IF;
  END IF;
  v_query_remaining := CASE WHEN q.max_cost_usd IS NULL THEN NULL ELSE q.max_cost_usd - v_charged - v_reserved END;

  IF q.api_key_id IS NOT NULL THEN
    SELECT monthly_budget_usd INTO v_key_limit FROM api_keys WHERE id = q.api_key_id;
    IF v_key_limit IS NOT NULL THEN
      v_key_month := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
      INSERT INTO api_key_usage (api_key_id, month) VALUES (q.api_key_id, v_key_month) ON CONFLICT DO NOTHING;
      SELECT spent_usd, reserved_usd INTO v_usage FROM api_key_usage
      WHERE api_key_id = q.api_key_id AND month = v_key_month FOR UPDATE;
      v_key_remaining := v_key_limit - v_usage.spent_usd - v_usage.reserved_usd;
    END IF;
  END IF;
  v_remaining := CASE
    WHEN v_query_remaining IS NULL THEN v_key_remaining
    WHEN v_key_remaining IS NULL THEN v_query_remaining
    ELSE LEAST(v_query_remaining, v_key_remaining)
  END;

  IF p_fixed_usd IS NOT NULL THEN
    IF v_remaining IS NOT NULL AND p_fixed_usd > v_remaining THEN
      v_reason := format('worst case $%s exceeds the $%s left', trim_scale(p_fixed_usd), trim_scale(v_remaining));
    ELSE
      v_reservation := p_fixed_usd;
      v_max_output := NULL;
    END IF;
  ELSE
    v_affordable := GREATEST(p_max_output, 0);
    v_price_pico := round(p_output_usd_per_mtok * 1000000000000);
    v_input_pico := round(p_input_usd * 1000000000000);
    IF v_remaining IS NOT NULL THEN
      v_left_pico := round(v_remaining * 1000000000000) - v_input_pico;
      IF v_left_pico < 0 THEN
        v_affordable := 0;
        v_reason := format('the input alone may cost $%s, more than the $%s left', trim_scale(p_input_usd), trim_scale(v_remaining));
      ELSIF v_price_pico > 0 AND div(v_left_pico * 1000000, v_price_pico) < v_affordable THEN
        v_affordable := div(v_left_pico * 1000000, v_price_pico);
      END IF;
    END IF;
    IF v_reason IS NULL AND v_affordable < p_min_output THEN
      v_reason := format('the budget pays for %s output tokens after the input, fewer than the %s a call needs', v_affordable, p_min_output);
    END IF;
    IF v_reason IS NULL THEN
      v_max_output := v_affordable::integer;
      -- Input worst case + the output at list price, rounded up to the pico-dollar.
      v_reservation := (v_input_pico + div(v_affordable * v_price_pico + 999999, 1000000)) / 1000000000000;
    END IF;
  END IF;

  IF v_reason IS NOT NULL THEN
    v_key_short := v_key_limit IS NOT NULL AND (v_query_remaining IS NULL OR v_key_remaining < v_query_remaining);
    v_code := CASE WHEN v_key_short THEN 'key_budget_exceeded' ELSE 'budget_exceeded' END;
    v_message := v_reason || ' (' || CASE
      WHEN v_key_short THEN format('API key''s monthly budget $%s', trim_scale(v_key_limit))
      ELSE format('budget $%s, charged $%s, reserved $%s', trim_scale(COALESCE(q.max_cost_usd, 0)), trim_scale(v_charged), trim_scale(v_reserved))
    END || ')';
    IF v_exists THEN
      UPDATE attempts SET outcome = 'failed', error_code = v_code, error_message = v_message, completed_at = now()
      WHERE id = a.id;
      PERFORM switchyard_refresh_costs(p_query, a.id);
      v_attempt := a.id;
    ELSE
      INSERT INTO attempts (id, query_id, stage, role, slot, model, provider, outcome, error_code, error_message, cost_usd, completed_at)
      VALUES (p_new_attempt, p_query, p_stage, p_role, p_slot, p_model, p_provider, 'failed', v_code, v_message, 0, now());
      v_attempt := p_new_attempt;
    END IF;
    RETURN QUERY SELECT 'over-budget'::text, v_attempt, v_exists, NULL::uuid, NULL::integer, NULL::integer, NULL::text;
    RETURN;
  END IF;

  IF v_key_month IS NOT NULL THEN
    UPDATE api_key_usage SET reserved_usd = api_key_usage.reserved_usd + v_reservation
    WHERE api_key_id = q.api_key_id AND month = v_key_month;
  END IF;
  IF v_exists THEN
    -- `tries` counts the job runs that started this call: 1 for a new attempt, +1 on every resume.
    UPDATE attempts SET tries = tries + 1, reserved_usd = v_reservation WHERE id = a.id RETURNING tries INTO v_number;
    v_attempt := a.id;
  ELSE
    INSERT INTO attempts (id, query_id, stage, role, slot, model, provider, reserved_usd, key_budget_month)
    VALUES (p_new_attempt, p_query, p_stage, p_role, p_slot, p_model, p_provider, v_reservation, v_key_month);
    v_number := 1;
    v_attempt := p_new_attempt;
  END IF;
  INSERT INTO attempt_tries (id, attempt_id, query_id, number, reserved_usd, max_output_tokens, key_budget_month)
  VALUES (p_new_try, v_attempt, p_query, v_number, v_reservation, v_max_output, v_key_month);
  UPDATE queries SET reserved_cost_usd = queries.reserved_cost_usd + v_reservation, updated_at = now() WHERE id = p_query;
  RETURN QUERY SELECT 'proceed'::text, v_attempt, v_exists, p_new_try, v_number, v_max_output, trim_scale(v_reservation)::text;
END;
$$;

-- Charges a try whose request failed with a retryable error (the job retries it as a new try), under
-- the query's lock; the totals follow. False when it was already charged.
CREATE OR REPLACE FUNCTION switchyard_charge_attempt_try(
  p_try uuid, p_charged numeric, p_basis text, p_error_code text, p_request_id text
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
  v_done boolean;
BEGIN
  SELECT query_id, attempt_id INTO r FROM attempt_tries WHERE id = p_try;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'attempt try % does not exist', p_try USING ERRCODE = 'no_data_found';
  END IF;
  PERFORM 1 FROM queries WHERE id = r.query_id FOR UPDATE;
  v_done := switchyard_charge_try(p_try, p_charged, p_basis, p_error_code, p_request_id);
  PERFORM switchyard_refresh_costs(r.query_id, r.attempt_id);
  RETURN v_done;
END;
$$;

-- Completes a started attempt: charges its last try (when p_try is given), records the outcome, sets
-- its cost to the sum of its tries' charges and the query's totals from the tries, under the query's
-- lock. A second settlement changes nothing but still records a charge its try did not have yet.
CREATE OR REPLACE FUNCTION switchyard_settle_attempt(
  p_attempt uuid, p_outcome "AttemptOutcome",
  p_try uuid, p_charged numeric, p_basis text, p_try_error_code text, p_try_request_id text,
  p_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_provider_request_id text,
  p_output text, p_error_code text, p_error_message text, p_score double precision, p_detail jsonb, p_set_detail boolean
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_query uuid;
  v_settled boolean;
BEGIN
  SELECT id INTO v_query FROM queries WHERE id = (SELECT query_id FROM attempts WHERE id = p_attempt) FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'attempt % does not exist', p_attempt USING ERRCODE = 'no_data_found';
  END IF;
  IF p_try IS NOT NULL THEN
    PERFORM switchyard_charge_try(p_try, p_charged, p_basis, p_try_error_code, p_try_request_id);
  END IF;
  UPDATE attempts SET
    outcome = p_outcome,
    completed_at = now(),
    input_tokens = p_input_tokens,
    output_tokens = p_output_tokens,
    latency_ms = p_latency_ms,
    provider_request_id = p_provider_request_id,
    output = p_output,
    error_code = p_error_code,
    error_message = p_error_message,
    score = p_score,
    detail = CASE WHEN p_set_detail THEN p_detail ELSE detail END
  WHERE id = p_attempt AND outcome = 'started';
  v_settled := FOUND;
  PERFORM switchyard_refresh_costs(v_query, p_attempt);
  RETURN v_settled;
END;
$$;
