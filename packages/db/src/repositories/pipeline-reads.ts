import { type PrismaClient, sqlPool } from '../client.js';
import type { Attempt } from '../generated/prisma/client.js';
import { listAttempts } from './ledger.js';

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

/**
 * What a decide job needs, read concurrently: the query, its attempts in ledger order, and what its
 * API key may still spend this month (null: no budgeted key).
 */
export async function readDecisionState(
  prisma: PrismaClient,
  queryId: string,
): Promise<{ query: PipelineQuery; attempts: Attempt[]; keyRemainingUsd: string | null } | null> {
  const [query, attempts, key] = await Promise.all([
    readPipelineQuery(prisma, queryId),
    listAttempts(prisma, queryId),
    sqlPool(prisma).query<{ remaining: string | null }>({
      name: 'switchyard_read_key_remaining',
      text: `SELECT (k.monthly_budget_usd - COALESCE(u.spent_usd, 0) - COALESCE(u.reserved_usd, 0))::text AS remaining
             FROM queries q JOIN api_keys k ON k.id = q.api_key_id
             LEFT JOIN api_key_usage u ON u.api_key_id = k.id AND u.month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
             WHERE q.id = $1 AND k.monthly_budget_usd IS NOT NULL`,
      values: [queryId],
    }),
  ]);
  if (query === null) return null;
  return { query, attempts, keyRemainingUsd: key.rows[0]?.remaining ?? null };
}
