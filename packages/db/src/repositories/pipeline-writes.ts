import { randomUUID } from 'node:crypto';
import {
  callJsonBatch,
  createBatcher,
  isUuid,
  poolBatcher,
  poolLookupById,
  poolStatementBatcher,
} from '../batching/batcher.js';
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
  const pool = sqlPool(prisma);
  const finalize = poolStatementBatcher<FinalizeItem, FinalizeRow | undefined>(pool, 'finalizeQueryRow', () => ({
    maxBatch: 64,
    async one(item) {
      const { rows } = await pool.query<FinalizeRow>({
        name: 'switchyard_finalize_query',
        text: 'SELECT * FROM switchyard_finalize_query($1, $2::"QueryStatus", $3, $4, $5, $6, $7::jsonb, $8, $9)',
        values: [
          item.query,
          item.status,
          item.answer,
          item.answerModel,
          item.errorCode,
          item.errorMessage,
          JSON.stringify(item.outcome),
          item.event,
          item.delivery,
        ],
      });
      return rows[0];
    },
    many: (items) => callJsonBatch<FinalizeRow>(pool, 'switchyard_finalize_queries', items),
  }));
  const completed = ending.status === 'completed';
  const row = await finalize({
    query: queryId,
    status: ending.status,
    answer: completed ? ending.answer : null,
    answerModel: completed ? ending.answerModel : null,
    errorCode: completed ? null : ending.errorCode,
    errorMessage: completed ? null : ending.errorMessage,
    outcome: ending.outcome,
    event: ending.event,
    delivery: randomUUID(),
  });
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

/** One ending as `switchyard_finalize_query` (and, in a JSON array, `switchyard_finalize_queries`) takes it. */
interface FinalizeItem {
  query: string;
  status: QueryEnding['status'];
  answer: string | null;
  answerModel: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  outcome: object;
  event: string;
  delivery: string;
}

interface FinalizeRow {
  ended: boolean;
  delivery_id: string | null;
  batch_id: string | null;
  batch_status: string | null;
  expansion_done: boolean | null;
  query_count: number | null;
  invalid_count: number | null;
  completed_count: number | null;
  failed_count: number | null;
}

/**
 * What routing and the first decision read of an unplanned query, in one batched statement: the
 * query, and what its budgeted API key may still spend this month. null when the query is not there,
 * already planned, or ended (failed meanwhile, say, because its batch was cancelled). Nothing is
 * claimed: {@link storeQueryPlan} stores the first plan only while the query is still unplanned.
 */
export async function readQueryForRouting(
  prisma: PrismaClient,
  queryId: string,
): Promise<{ query: PipelineQuery; keyRemainingUsd: string | null } | null> {
  const read = poolLookupById<RoutingRow>(
    sqlPool(prisma),
    'switchyard_read_for_routing',
    'SELECT * FROM switchyard_read_for_routing($1::uuid[])',
  );
  const row = await read(queryId);
  if (row === null) return null;
  return {
    query: pipelineQueryFromRow(row),
    keyRemainingUsd: row.key_remaining_usd,
  };
}

type RoutingRow = PipelineQueryRow & { key_remaining_usd: string | null };

/**
 * Stores an unplanned query's plan and marks it running; false when it was planned meanwhile or has
 * ended (failed by a batch cancel, say). Batched.
 */
export async function storeQueryPlan(prisma: PrismaClient, queryId: string, plan: unknown): Promise<boolean> {
  const pool = sqlPool(prisma);
  const store = poolBatcher(pool, 'storeQueryPlan', () =>
    createBatcher<{ id: string; plan: string }, boolean>({
      maxBatch: 200,
      async run(items) {
        // The first plan of a query in the batch is stored (as two statements one after the other
        // would): a later one for the same query finds it running and gets false.
        const first = new Map<string, number>();
        items.forEach((item, index) => {
          if (isUuid(item.id) && !first.has(item.id)) first.set(item.id, index);
        });
        const sent = [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        const { rows } = await pool.query<{ id: string }>({
          name: 'switchyard_store_plans',
          text: 'SELECT id FROM switchyard_store_plans($1::uuid[], $2::jsonb[])',
          values: [sent.map(([id]) => id), sent.map(([, index]) => (items[index] as { plan: string }).plan)],
        });
        const stored = new Set(rows.map((row) => row.id));
        return items.map((item, index) => ({ ok: true, value: first.get(item.id) === index && stored.has(item.id) }));
      },
    }),
  );
  return store({ id: queryId, plan: JSON.stringify(plan) });
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
  const insert = poolStatementBatcher<NewQuery & { id: string }, InsertedRow | undefined>(pool, 'insertQuery', () => ({
    maxBatch: 200,
    async one(item) {
      const { rows } = await pool.query<InsertedRow>({
        name: 'switchyard_insert_query',
        text: `INSERT INTO queries (id, prompt, system, options, max_cost_usd, callback_url, api_key_id, idempotency_key, request_hash, updated_at)
               VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, now())
               ON CONFLICT (idempotency_key) DO NOTHING
               RETURNING id, status::text AS status, request_hash`,
        values: [
          item.id,
          item.prompt,
          item.system,
          JSON.stringify(item.options),
          item.maxCostUsd,
          item.callbackUrl,
          item.apiKeyId,
          item.idempotencyKey,
          item.requestHash,
        ],
      });
      return rows[0];
    },
    async many(batch) {
      // Of two new queries with one idempotency key in the batch, the first is inserted, as two
      // statements one after the other would; the second finds it below.
      const { rows } = await pool.query<InsertedRow>({
        name: 'switchyard_insert_queries',
        text: `INSERT INTO queries (id, prompt, system, options, max_cost_usd, callback_url, api_key_id, idempotency_key, request_hash, updated_at)
               SELECT t.id, t.prompt, t.system, t.options, t.max_cost_usd, t.callback_url, t.api_key_id, t.idempotency_key, t.request_hash, now()
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::numeric[], $6::text[], $7::uuid[], $8::text[], $9::text[])
                 WITH ORDINALITY AS t(id, prompt, system, options, max_cost_usd, callback_url, api_key_id, idempotency_key, request_hash, n)
               ORDER BY t.n
               ON CONFLICT (idempotency_key) DO NOTHING
               RETURNING id, status::text AS status, request_hash`,
        values: [
          batch.map((item) => item.id),
          batch.map((item) => item.prompt),
          batch.map((item) => item.system),
          batch.map((item) => JSON.stringify(item.options)),
          batch.map((item) => item.maxCostUsd),
          batch.map((item) => item.callbackUrl),
          batch.map((item) => item.apiKeyId),
          batch.map((item) => item.idempotencyKey),
          batch.map((item) => item.requestHash),
        ],
      });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return batch.map((item) => byId.get(item.id));
    },
  }));
  const inserted = await insert({ ...query, id: randomUUID() });
  if (inserted !== undefined) {
    return { existing: false, query: { id: inserted.id, status: inserted.status, requestHash: inserted.request_hash } };
  }
  if (query.idempotencyKey === null) throw new Error('insertQuery: the query was not inserted');
  const existing = await findQueryByIdempotencyKey(prisma, query.idempotencyKey);
  if (existing === null) throw new Error('insertQuery: idempotency key conflict without a query');
  return { existing: true, query: existing };
}

interface InsertedRow {
  id: string;
  status: string;
  request_hash: string | null;
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
