import type { PrismaClient } from '@switchyard/db';
import type { Queues } from '../queues.js';
import { enqueueFinalizeIfReady } from './batch-progress.js';

export type CancelBatchResult =
  | { kind: 'not_found' }
  | { kind: 'not_cancellable'; status: string }
  | { kind: 'cancelling' };

/**
 * Cancels a batch (or expires it, past its completion window: the same, ending `expired`):
 * `cancelling`, and in the same transaction every query of it that has not started (still `queued`)
 * fails with `batch_cancelled`; queries already routing or running finish and are billed. The batch
 * row lock orders this against the expansion: a chunk read before the cancel is not committed, and
 * the expansion reads the rest of the file in cancel mode (each request an error-file line with
 * `batch_cancelled`, no query). The batch ends (`cancelled`) once the file is read and its running
 * queries have ended.
 */
export async function cancelBatch(
  deps: { prisma: PrismaClient; queues: Queues },
  batchId: string,
  apiKeyId: string | null,
  options: { expire?: boolean } = {},
): Promise<CancelBatchResult> {
  const expiredAt = options.expire ? new Date() : null;
  const result = await deps.prisma.$transaction(async (tx): Promise<CancelBatchResult> => {
    const rows = await tx.$queryRaw<{ status: string }[]>`
      SELECT status::text FROM batches
      WHERE id = ${batchId}::uuid AND (${apiKeyId}::uuid IS NULL OR api_key_id = ${apiKeyId}::uuid) FOR UPDATE`;
    const row = rows[0];
    if (row === undefined) return { kind: 'not_found' };
    if (row.status === 'cancelling') return { kind: 'cancelling' };
    if (row.status !== 'validating' && row.status !== 'in_progress') {
      return { kind: 'not_cancellable', status: row.status };
    }
    await tx.$executeRaw`
      WITH cancelled AS (
        UPDATE queries SET status = 'failed', error_code = ${expiredAt ? 'batch_expired' : 'batch_cancelled'},
          error_message = ${expiredAt ? 'the batch expired (completion_window) before this request started' : 'the batch was cancelled before this request started'},
          completed_at = now(), updated_at = now()
        WHERE batch_id = ${batchId}::uuid AND status = 'queued'
        RETURNING 1
      )
      UPDATE batches SET status = 'cancelling', cancelling_at = now(), updated_at = now(), expired_at = ${expiredAt},
        failed_count = failed_count + (SELECT count(*) FROM cancelled)
      WHERE id = ${batchId}::uuid`;
    return { kind: 'cancelling' };
  });
  if (result.kind === 'cancelling') await enqueueFinalizeIfReady(deps, batchId);
  return result;
}
