import { randomUUID } from 'node:crypto';
import { type PrismaClient, sqlPool } from '../client.js';
import { type PipelineQuery, type PipelineQueryRow, pipelineQueryFromRow } from './pipeline-reads.js';

/** How a query ended, as {@link finalizeQueryRow} records it. */
export type QueryEnding =
  | { status: 'completed'; answer: string; answerModel: string; outcome: object; event: string }
  | { status: 'failed'; errorCode: string; errorMessage: string; outcome: object; event: string };

/** The counters that decide whether every line of a batch has ended. */
export interface BatchCounters {
  status: string;
  expansionDone: boolean;
  queryCount: number;
  invalidCount: number;
  completedCount: number;
  failedCount: number;
}

/** A batch's counters right after one of its queries was counted. */
export interface BatchCountersRow extends BatchCounters {
  id: string;
}

/**
 * Ends a query once, in one transaction (`switchyard_finalize_query`, migration 20261129230000): the
 * final status with its answer or error and outcome, one more completed/failed on its batch, and the
 * callback delivery it owes (if it has a callback URL; its payload carries the query's final cost).
 * Only the first ending counts: a query already completed or failed is left alone (`ended: false`).
 * A call of the query still `started` then belongs to a job that is gone for good (a live call job's
 * decide step never runs before it settles): its reserved tries are charged their reservation
 * (`interrupted`: the provider may have billed them) and it is settled failed, so an ended query holds
 * no open reservation, on itself or on its API key's month.
 */
export async function finalizeQueryRow(
  prisma: PrismaClient,
  queryId: string,
  ending: QueryEnding,
): Promise<{ ended: boolean; deliveryId: string | null; batch: BatchCountersRow | null }> {
  const completed = ending.status === 'completed';
  const { rows } = await sqlPool(prisma).query<{
    ended: boolean;
    delivery_id: string | null;
    batch_id: string | null;
    batch_status: string | null;
    expansion_done: boolean | null;
    query_count: number | null;
    invalid_count: number | null;
    completed_count: number | null;
    failed_count: number | null;
  }>({
    name: 'switchyard_finalize_query',
    text: 'SELECT * FROM switchyard_finalize_query($1, $2::"QueryStatus", $3, $4, $5, $6, $7::jsonb, $8, $9)',
    values: [
      queryId,
      ending.status,
      completed ? ending.answer : null,
      completed ? ending.answerModel : null,
      completed ? null : ending.errorCode,
      completed ? null : ending.errorMessage,
      JSON.stringify(ending.outcome),
      ending.event,
      randomUUID(),
    ],
  });
  const row = rows[0];
  if (row === undefined || !row.ended) return { ended: false, deliveryId: null, batch: null };
  return {
    ended: true,
    deliveryId: row.delivery_id,
    batch:
      row.batch_id === null
        ? null
        : {
            id: row.batch_id,
            status: row.batch_status ?? '',
            expansionDone: row.expansion_done === true,
            queryCount: row.query_count ?? 0,
            invalidCount: row.invalid_count ?? 0,
            completedCount: row.completed_count ?? 0,
            failedCount: row.failed_count ?? 0,
          },
  };
}

/**
 * Claims an unplanned query for routing, in one statement: queued (or routing: a retried route job)
 * becomes routing, and the claim returns what routing and the first decision read (the query, and
 * what its budgeted API key may still spend this month). null when the query is not there, already
 * planned, or anything but queued/routing (failed meanwhile, say, because its batch was cancelled).
 */
export async function claimQueryForRouting(
  prisma: PrismaClient,
  queryId: string,
): Promise<{ query: PipelineQuery; keyRemainingUsd: string | null } | null> {
  const { rows } = await sqlPool(prisma).query<PipelineQueryRow & { key_remaining_usd: string | null }>({
    name: 'switchyard_claim_routing',
    text: `UPDATE queries q SET status = 'routing', updated_at = now()
           WHERE q.id = $1 AND q.status IN ('queued', 'routing') AND q.plan IS NULL
           RETURNING q.id, q.prompt, q.system, q.options, q.plan, q.status::text AS status, q.api_key_id,
             q.max_cost_usd::text AS max_cost_usd, switchyard_key_remaining(q.api_key_id)::text AS key_remaining_usd`,
    values: [queryId],
  });
  const row = rows[0];
  if (row === undefined) return null;
  return {
    query: pipelineQueryFromRow(row),
    keyRemainingUsd: row.key_remaining_usd,
  };
}

/** Stores a routing query's plan and marks it running; false when it is no longer routing. */
export async function storeQueryPlan(prisma: PrismaClient, queryId: string, plan: unknown): Promise<boolean> {
  const { rowCount } = await sqlPool(prisma).query({
    name: 'switchyard_store_plan',
    text: `UPDATE queries SET plan = $2::jsonb, status = 'running', updated_at = now() WHERE id = $1 AND status = 'routing'`,
    values: [queryId, JSON.stringify(plan)],
  });
  return rowCount === 1;
}

/** Marks a planned query running (a decide job that finds it otherwise, e.g. after a recovery). */
export async function markQueryRunning(prisma: PrismaClient, queryId: string): Promise<void> {
  await sqlPool(prisma).query({
    name: 'switchyard_mark_running',
    text: `UPDATE queries SET status = 'running', updated_at = now() WHERE id = $1 AND status NOT IN ('completed', 'failed')`,
    values: [queryId],
  });
}

/** A new query as the API accepts it. */
export interface NewQuery {
  prompt: string;
  system: string | null;
  options: object;
  /** Decimal USD (12 places at most). */
  maxCostUsd: string;
  callbackUrl: string | null;
  apiKeyId: string | null;
  idempotencyKey: string | null;
  requestHash: string | null;
}

/** A query's identity as the API answers with it. */
export interface AcceptedQuery {
  id: string;
  status: string;
  requestHash: string | null;
}

/**
 * Inserts a query (status queued), one statement. With an idempotency key already used, nothing is
 * inserted and the existing query is returned with `existing: true` (a concurrent request with the
 * same key gets the row the first one made).
 */
export async function insertQuery(
  prisma: PrismaClient,
  query: NewQuery,
): Promise<{ existing: boolean; query: AcceptedQuery }> {
  const pool = sqlPool(prisma);
  const { rows } = await pool.query<{ id: string; status: string; request_hash: string | null }>({
    name: 'switchyard_insert_query',
    text: `INSERT INTO queries (id, prompt, system, options, max_cost_usd, callback_url, api_key_id, idempotency_key, request_hash, updated_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, now())
           ON CONFLICT (idempotency_key) DO NOTHING
           RETURNING id, status::text AS status, request_hash`,
    values: [
      randomUUID(),
      query.prompt,
      query.system,
      JSON.stringify(query.options),
      query.maxCostUsd,
      query.callbackUrl,
      query.apiKeyId,
      query.idempotencyKey,
      query.requestHash,
    ],
  });
  const inserted = rows[0];
  if (inserted !== undefined) {
    return { existing: false, query: { id: inserted.id, status: inserted.status, requestHash: inserted.request_hash } };
  }
  if (query.idempotencyKey === null) throw new Error('insertQuery: the query was not inserted');
  const existing = await findQueryByIdempotencyKey(prisma, query.idempotencyKey);
  if (existing === null) throw new Error('insertQuery: idempotency key conflict without a query');
  return { existing: true, query: existing };
}

/** The query an idempotency key (already scoped to its API key) created, if any. */
export async function findQueryByIdempotencyKey(
  prisma: PrismaClient,
  idempotencyKey: string,
): Promise<AcceptedQuery | null> {
  const { rows } = await sqlPool(prisma).query<{ id: string; status: string; request_hash: string | null }>({
    name: 'switchyard_query_by_idempotency_key',
    text: 'SELECT id, status::text AS status, request_hash FROM queries WHERE idempotency_key = $1',
    values: [idempotencyKey],
  });
  const row = rows[0];
  return row === undefined ? null : { id: row.id, status: row.status, requestHash: row.request_hash };
}
