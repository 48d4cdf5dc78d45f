import { type PrismaClient, sqlPool } from '../client.js';
import type { Attempt } from '../generated/prisma/client.js';
import { type AttemptJson, attemptFromJson } from './ledger.js';

/** The fields of a query the pipeline's jobs read (one round trip, no Prisma engine). */
export interface PipelineQuery {
  id: string;
  prompt: string;
  system: string | null;
  options: unknown;
  plan: unknown;
  status: 'queued' | 'routing' | 'running' | 'completed' | 'failed';
  apiKeyId: string | null;
  /** Decimal USD, or null for no budget. */
  maxCostUsd: string | null;
}

/** A query as a call or decide job reads it; null when there is none. */
export async function readPipelineQuery(prisma: PrismaClient, queryId: string): Promise<PipelineQuery | null> {
  const { rows } = await sqlPool(prisma).query<{
    id: string;
    prompt: string;
    system: string | null;
    options: unknown;
    plan: unknown;
    status: PipelineQuery['status'];
    api_key_id: string | null;
    max_cost_usd: string | null;
  }>({
    name: 'switchyard_read_pipeline_query',
    text: `SELECT id, prompt, system, options, plan, status::text AS status, api_key_id, max_cost_usd::text AS max_cost_usd
           FROM queries WHERE id = $1`,
    values: [queryId],
  });
  const row = rows[0];
  if (row === undefined) return null;
  return {
    id: row.id,
    prompt: row.prompt,
    system: row.system,
    options: row.options,
    plan: row.plan,
    status: row.status,
    apiKeyId: row.api_key_id,
    maxCostUsd: row.max_cost_usd,
  };
}

/** What a decide step reads: the query, its attempts in ledger order, what its key may still spend. */
export interface DecisionState {
  query: PipelineQuery;
  attempts: Attempt[];
  keyRemainingUsd: string | null;
}

/**
 * What a decide job needs, in one round trip (`switchyard_decision_state`, migration 20261129230000):
 * the query, its attempts in ledger order, and what its API key may still spend this month (null:
 * no budgeted key).
 */
export async function readDecisionState(prisma: PrismaClient, queryId: string): Promise<DecisionState | null> {
  const { rows } = await sqlPool(prisma).query<{ state: DecisionStateJson | null }>({
    name: 'switchyard_decision_state',
    text: 'SELECT switchyard_decision_state($1) AS state',
    values: [queryId],
  });
  const state = rows[0]?.state;
  return state == null ? null : decisionStateFromJson(state);
}

/** `switchyard_decision_state`'s JSON. */
export interface DecisionStateJson {
  id: string;
  prompt: string;
  system: string | null;
  options: unknown;
  plan: unknown;
  status: PipelineQuery['status'];
  api_key_id: string | null;
  max_cost_usd: string | null;
  attempts: AttemptJson[];
  key_remaining_usd: string | null;
}

export function decisionStateFromJson(state: DecisionStateJson): DecisionState {
  return {
    query: {
      id: state.id,
      prompt: state.prompt,
      system: state.system,
      options: state.options,
      plan: state.plan,
      status: state.status,
      apiKeyId: state.api_key_id,
      maxCostUsd: state.max_cost_usd,
    },
    attempts: state.attempts.map(attemptFromJson),
    keyRemainingUsd: state.key_remaining_usd,
  };
}
