import type { Prisma, PrismaClient } from '@switchyard/db';
import type { Queues, ReplaceOptions } from '../queues.js';

/** The batch counters that decide whether every line has ended. */
export interface BatchCounters {
  status: string;
  expansionDone: boolean;
  queryCount: number;
  invalidCount: number;
  completedCount: number;
  failedCount: number;
}

/**
 * Every line has ended: all input lines were read (or the batch is being cancelled, which stops
 * reading) and every query created from them is completed or failed.
 */
export function isBatchReadyToFinalize(batch: BatchCounters): boolean {
  if (batch.status !== 'validating' && batch.status !== 'in_progress' && batch.status !== 'cancelling') return false;
  if (!batch.expansionDone && batch.status !== 'cancelling') return false;
  return batch.completedCount + batch.failedCount - batch.invalidCount >= batch.queryCount;
}

/**
 * Counts a batch query's end on its batch, inside the transaction that finalizes the query (so the
 * count is exact: a query is finalized once). Returns the batch id when that was the last query.
 */
export async function recordBatchQueryEnd(
  tx: Prisma.TransactionClient,
  queryId: string,
  status: 'completed' | 'failed',
): Promise<string | null> {
  const rows = await tx.$queryRaw<
    {
      id: string;
      status: string;
      expansion_done: boolean;
      query_count: number;
      invalid_count: number;
      completed_count: number;
      failed_count: number;
    }[]
  >`
    UPDATE batches b SET
      completed_count = b.completed_count + ${status === 'completed' ? 1 : 0},
      failed_count = b.failed_count + ${status === 'failed' ? 1 : 0},
      updated_at = now()
    FROM queries q
    WHERE q.id = ${queryId}::uuid AND b.id = q.batch_id
    RETURNING b.id::text, b.status::text, b.expansion_done, b.query_count, b.invalid_count, b.completed_count, b.failed_count`;
  const row = rows[0];
  if (row === undefined) return null;
  const ready = isBatchReadyToFinalize({
    status: row.status,
    expansionDone: row.expansion_done,
    queryCount: row.query_count,
    invalidCount: row.invalid_count,
    completedCount: row.completed_count,
    failedCount: row.failed_count,
  });
  return ready ? row.id : null;
}

/** Enqueues the batch's finalize job if every line has ended. */
export async function enqueueFinalizeIfReady(
  deps: { prisma: PrismaClient; queues: Queues },
  batchId: string,
  options: ReplaceOptions = {},
): Promise<boolean> {
  const batch = await deps.prisma.batch.findUnique({ where: { id: batchId } });
  if (batch === null || !isBatchReadyToFinalize(batch)) return false;
  await deps.queues.enqueueFinalizeBatch(batchId, options);
  return true;
}
