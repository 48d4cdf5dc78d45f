-- Running totals instead of recomputing them on every charge. switchyard_refresh_costs summed every
-- try of the query (two correlated sums) and of the attempt after each settlement: with
-- track_functions on, the second most expensive function of `pnpm bench`. Now the one place that
-- moves money, switchyard_charge_try, moves the query's totals by exactly what it charged and
-- released (numeric: exact), and a settled attempt's cost is set in the same UPDATE that settles it.
-- The invariants are those the fault run checks: a query's total = the sum of its tries' charges,
-- its reservation = the sum of its tries still reserved, a settled attempt's cost = the sum of its
-- tries' charges. switchyard_refresh_costs stays for the rare paths (a refused resumed call, a query
-- ending with a call still started), where recomputing is as right as ever.

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
  RETURNING query_id, attempt_id, reserved_usd, charged_usd, key_budget_month INTO r;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE queries SET
    total_cost_usd = total_cost_usd + r.charged_usd,
    reserved_cost_usd = reserved_cost_usd - r.reserved_usd,
    updated_at = now()
  WHERE id = r.query_id;
  -- A charge arriving after its attempt was settled (money is never dropped) joins its cost.
  UPDATE attempts SET cost_usd = COALESCE(cost_usd, 0) + r.charged_usd
  WHERE id = r.attempt_id AND outcome <> 'started';
  IF r.key_budget_month IS NOT NULL THEN
    UPDATE api_key_usage SET
      reserved_usd = GREATEST(reserved_usd - r.reserved_usd, 0),
      spent_usd = spent_usd + r.charged_usd
    WHERE api_key_id = (SELECT api_key_id FROM queries WHERE id = r.query_id) AND month = r.key_budget_month;
  END IF;
  RETURN true;
END;
$$;

CREATE OR REPLACE FUNCTION switchyard_charge_attempt_try(
  p_try uuid, p_charged numeric, p_basis text, p_error_code text, p_request_id text
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  SELECT query_id, attempt_id INTO r FROM attempt_tries WHERE id = p_try;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'attempt try % does not exist', p_try USING ERRCODE = 'no_data_found';
  END IF;
  PERFORM 1 FROM queries WHERE id = r.query_id FOR UPDATE;
  RETURN switchyard_charge_try(p_try, p_charged, p_basis, p_error_code, p_request_id);
END;
$$;

CREATE OR REPLACE FUNCTION switchyard_settle_attempt(
  p_attempt uuid, p_outcome "AttemptOutcome",
  p_try uuid, p_charged numeric, p_basis text, p_try_error_code text, p_try_request_id text,
  p_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_provider_request_id text,
  p_output text, p_error_code text, p_error_message text, p_score double precision, p_detail jsonb, p_set_detail boolean
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_query uuid;
  v_settled boolean;
  v_charged boolean;
BEGIN
  SELECT id INTO v_query FROM queries WHERE id = (SELECT query_id FROM attempts WHERE id = p_attempt) FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'attempt % does not exist', p_attempt USING ERRCODE = 'no_data_found';
  END IF;
  v_charged := false;
  IF p_try IS NOT NULL THEN
    v_charged := switchyard_charge_try(p_try, p_charged, p_basis, p_try_error_code, p_try_request_id);
  END IF;
  IF NOT v_charged THEN
    -- The ledger moved (the reconciler's stall check reads updated_at) though no money did.
    UPDATE queries SET updated_at = now() WHERE id = v_query;
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
    detail = CASE WHEN p_set_detail THEN p_detail ELSE detail END,
    cost_usd = (SELECT COALESCE(SUM(charged_usd), 0) FROM attempt_tries WHERE attempt_id = p_attempt)
  WHERE id = p_attempt AND outcome = 'started';
  v_settled := FOUND;
  RETURN v_settled;
END;
$$;
