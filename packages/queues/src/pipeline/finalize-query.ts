import type { StageVerdict } from '@switchyard/core';
import type { Prisma } from '@switchyard/db';
import { recordBatchQueryEnd } from '../batches/batch-progress.js';
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
  await finalize(
    deps,
    queryId,
    {
      status: 'completed',
      answer: outcome.answer,
      answerModel: outcome.answerModel,
      completedAt: new Date(),
      outcome: toJson({
        outcome: outcome.outcome,
        reason: outcome.reason,
        extractedAnswer: outcome.extractedAnswer,
        fused: outcome.fused,
        stage: outcome.stage,
        verdicts: outcome.verdicts,
      }),
    },
    'query.completed',
  );
}

export async function failQuery(
  deps: PipelineDeps,
  queryId: string,
  errorCode: string,
  errorMessage: string,
  verdicts: StageVerdict[] = [],
): Promise<void> {
  await finalize(
    deps,
    queryId,
    {
      status: 'failed',
      errorCode,
      errorMessage,
      completedAt: new Date(),
      outcome: toJson({ outcome: 'failed', reason: errorMessage, verdicts }),
    },
    'query.failed',
  );
}

/**
 * The final status and the callback owed for it are written in one transaction: a worker that dies
 * in between must not leave a finished query whose callback nobody will ever send (a repeated decide
 * job finds the query final and stops). The delivery job is enqueued after the commit; if that is
 * lost, the reconciler enqueues the pending delivery.
 */
async function finalize(
  deps: PipelineDeps,
  queryId: string,
  data: Prisma.QueryUpdateManyMutationInput,
  event: string,
): Promise<void> {
  const ended = await deps.prisma.$transaction(async (tx) => {
    const updated = await tx.query.updateMany({
      where: { id: queryId, status: { notIn: ['completed', 'failed'] } },
      data,
    });
    if (updated.count !== 1) return null;
    // A batch query counts on its batch in the same transaction (exact counts; the last one ends it).
    const finishedBatch = await recordBatchQueryEnd(tx, queryId, data.status === 'completed' ? 'completed' : 'failed');
    return { deliveryId: await recordCallback(tx, queryId, event), finishedBatch };
  });
  if (ended?.deliveryId) await deps.queues.enqueueWebhook(ended.deliveryId);
  if (ended?.finishedBatch) await deps.queues.enqueueFinalizeBatch(ended.finishedBatch);
}

function toJson(value: object): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

/** The delivery row of the query's callback, if it has a callback URL. */
async function recordCallback(tx: Prisma.TransactionClient, queryId: string, event: string): Promise<string | null> {
  const query = await tx.query.findUniqueOrThrow({ where: { id: queryId } });
  if (!query.callbackUrl) return null;
  const delivery = await tx.webhookDelivery.upsert({
    where: { queryId_event: { queryId, event } },
    update: {},
    create: {
      queryId,
      url: query.callbackUrl,
      event,
      payload: {
        event,
        query: {
          id: query.id,
          status: query.status,
          answer: query.answer,
          model: query.answerModel,
          costUsd: query.totalCostUsd.toFixed(),
          error: query.errorCode ? { code: query.errorCode, message: query.errorMessage } : null,
        },
      },
    },
  });
  return delivery.id;
}
