import type { BatchCounters, PrismaClient } from '@switchyard/db';
import type { Queues, ReplaceOptions } from '../queues.js';

export type { BatchCounters } from '@switchyard/db';

/**
 * Every line has ended: all input lines were read (after a cancel, the lines not yet read become
 * error-file lines) and every query created from them is completed or failed.
 */
export function isBatchReadyToFinalize(batch: BatchCounters): boolean {
  if (batch.status !== 'validating' && batch.status !== 'in_progress' && batch.status !== 'cancelling') return false;
  if (!batch.expansionDone) return false;
  return batch.completedCount + batch.failedCount - batch.invalidCount >= batch.queryCount;
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
