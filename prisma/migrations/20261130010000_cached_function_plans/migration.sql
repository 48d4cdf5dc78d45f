-- The decision state and the key's remaining budget as plpgsql instead of SQL functions. PostgreSQL
-- (before 18) parses and plans the body of a SQL function that it cannot inline on every call; these
-- two have a FROM clause, so every settle-and-decide, routing claim and 402 check re-planned them:
-- `perf` put `fmgr_sql` (with its parser and planner) at 30 % of the database's CPU in `pnpm bench`.
-- plpgsql keeps each statement's plan for the session. Results are unchanged.
-- (switchyard_attempt_json stays a SQL function: a single expression without FROM, it is inlined into
-- the statements that call it.)

CREATE OR REPLACE FUNCTION switchyard_key_remaining(p_key uuid) RETURNS numeric LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT k.monthly_budget_usd - COALESCE(u.spent_usd, 0) - COALESCE(u.reserved_usd, 0)
    FROM api_keys k
    LEFT JOIN api_key_usage u ON u.api_key_id = k.id AND u.month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
    WHERE k.id = p_key AND k.monthly_budget_usd IS NOT NULL);
END;
$$;

CREATE OR REPLACE FUNCTION switchyard_decision_state(p_query uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT json_build_object(
      'id', q.id, 'prompt', q.prompt, 'system', q.system, 'options', q.options, 'plan', q.plan,
      'status', q.status::text, 'api_key_id', q.api_key_id, 'max_cost_usd', q.max_cost_usd::text,
      'attempts', COALESCE(
        (SELECT json_agg(switchyard_attempt_json(a) ORDER BY a.stage, a.role, a.slot) FROM attempts a WHERE a.query_id = q.id),
        '[]'::json),
      'key_remaining_usd', switchyard_key_remaining(q.api_key_id)::text)
    FROM queries q WHERE q.id = p_query);
END;
$$;
