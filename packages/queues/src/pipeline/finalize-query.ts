import type { StageVerdict } from '@switchyard/core';
import { finalizeQueryRow, type QueryEnding } from '@switchyard/db';
import { isBatchReadyToFinalize } from '../batches/batch-progress.js';
import type { PipelineDeps } from './deps.js';

/** The decision summary stored with a finished query (beside its plan). */
export interface QueryOutcome {
  answer: string;
  answerModel: string;
  outcome: string;
  reason: string;
  extractedAnswer: string | null;
  /** True when no stage was accepted and the answer was chosen among all observed ones. */
  fused: boolean;
  stage: number;
  verdicts: StageVerdict[];
}

/**
 * Marks the query completed with its answer. Only the first finalization counts (status guard), so
 * a duplicate decide job cannot overwrite it or send a second callback.
 */
export async function completeQuery(deps: PipelineDeps, queryId: string, outcome: QueryOutcome): Promise<void> {
  await finalize(deps, queryId, {
    status: 'completed',
    answer: outcome.answer,
    answerModel: outcome.answerModel,
    event: 'query.completed',
    outcome: {
      outcome: outcome.outcome,
      reason: outcome.reason,
      extractedAnswer: outcome.extractedAnswer,
      fused: outcome.fused,
      stage: outcome.stage,
      verdicts: outcome.verdicts,
    },
  });
}

export async function failQuery(
  deps: PipelineDeps,
  queryId: string,
  errorCode: string,
  errorMessage: string,
  verdicts: StageVerdict[] = [],
): Promise<void> {
  await finalize(deps, queryId, {
    status: 'failed',
    errorCode,
    errorMessage,
    event: 'query.failed',
    outcome: { outcome: 'failed', reason: errorMessage, verdicts },
  });
}

/**
 * The final status, the batch's count and the callback owed for it are written in one transaction
 * (`finalizeQueryRow`): a worker that dies in between must not leave a finished query whose callback
 * nobody will ever send (a repeated decide job finds the query final and stops). The delivery job is
 * enqueued after the commit; if that is lost, the reconciler enqueues the pending delivery.
 */
async function finalize(deps: PipelineDeps, queryId: string, ending: QueryEnding): Promise<void> {
  const ended = await finalizeQueryRow(deps.prisma, queryId, ending);
  if (!ended.ended) return;
  if (ended.deliveryId) await deps.queues.enqueueWebhook(ended.deliveryId);
  // A batch query counted on its batch in the same transaction (exact counts; the last one ends it).
  if (ended.batch && isBatchReadyToFinalize(ended.batch)) await deps.queues.enqueueFinalizeBatch(ended.batch.id);
}
