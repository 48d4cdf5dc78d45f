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

/** A query's pipeline fields as SQL returns them (`PIPELINE_QUERY_COLUMNS`, or the same keys in JSON). */
export interface PipelineQueryRow {
  id: string;
  prompt: string;
  system: string | null;
  options: unknown;
  plan: unknown;
  status: PipelineQuery['status'];
  api_key_id: string | null;
  max_cost_usd: string | null;
}

export function pipelineQueryFromRow(row: PipelineQueryRow): PipelineQuery {
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

/** A query as a call or decide job reads it; null when there is none. */
export async function readPipelineQuery(prisma: PrismaClient, queryId: string): Promise<PipelineQuery | null> {
  const { rows } = await sqlPool(prisma).query<PipelineQueryRow>({
    name: 'switchyard_read_pipeline_query',
    text: `SELECT id, prompt, system, options, plan, status::text AS status, api_key_id, max_cost_usd::text AS max_cost_usd
           FROM queries WHERE id = $1`,
    values: [queryId],
  });
  const row = rows[0];
  return row === undefined ? null : pipelineQueryFromRow(row);
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
export interface DecisionStateJson extends PipelineQueryRow {
  attempts: AttemptJson[];
  key_remaining_usd: string | null;
}

export function decisionStateFromJson(state: DecisionStateJson): DecisionState {
  return {
    query: pipelineQueryFromRow(state),
    attempts: state.attempts.map(attemptFromJson),
    keyRemainingUsd: state.key_remaining_usd,
  };
}

/** A query's status (null when there is none): what a waiting request polls, one cheap statement. */
export async function readQueryStatus(prisma: PrismaClient, queryId: string): Promise<PipelineQuery['status'] | null> {
  const { rows } = await sqlPool(prisma).query<{ status: PipelineQuery['status'] }>({
    name: 'switchyard_read_query_status',
    text: 'SELECT status::text AS status FROM queries WHERE id = $1',
    values: [queryId],
  });
  return rows[0]?.status ?? null;
}
