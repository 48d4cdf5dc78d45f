-- The decision state (`switchyard_decision_state`, also returned by every settlement of a round's
-- only call) carried each attempt's whole ledger row: ~800 bytes of JSON per attempt (accounting
-- columns, timestamps, the call's detail with its warnings), built here and parsed by the worker
-- for every decision. The decide step reads only what the cascade policy observes and what a
-- failure reports: these fields, and the finish reason out of `detail`.
CREATE OR REPLACE FUNCTION switchyard_decision_attempt_json(a attempts) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'stage', a.stage, 'role', a.role::text, 'slot', a.slot, 'model', a.model, 'outcome', a.outcome::text,
    'output', a.output, 'cost_usd', a.cost_usd::text, 'error_code', a.error_code,
    'error_message', a.error_message, 'finish', a.detail->>'finish')
$$;

CREATE OR REPLACE FUNCTION switchyard_decision_state(p_query uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT json_build_object(
      'id', q.id, 'prompt', q.prompt, 'system', q.system, 'options', q.options, 'plan', q.plan,
      'status', q.status::text, 'api_key_id', q.api_key_id, 'max_cost_usd', q.max_cost_usd::text,
      'attempts', COALESCE(
        (SELECT json_agg(switchyard_decision_attempt_json(a) ORDER BY a.stage, a.role, a.slot)
         FROM attempts a WHERE a.query_id = q.id),
        '[]'::json),
      'key_remaining_usd', switchyard_key_remaining(q.api_key_id)::text)
    FROM queries q WHERE q.id = p_query);
END;
$$;
