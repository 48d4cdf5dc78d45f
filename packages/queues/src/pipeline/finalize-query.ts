import type { StageVerdict } from '@switchyard/core';
import type { Prisma } from '@switchyard/db';
import type { PipelineDeps } from './deps.js';

/** The decision summary stored with a finished query (beside its plan). */
export interface QueryOutcome {
  answer: string;
  answerModel: string;
  outcome: string;
  reason: string;
  extractedAnswer: string | null;
  stage: number;
  verdicts: StageVerdict[];
}

/**
 * Marks the query completed with its answer. Only the first finalization counts (status guard), so
 * a duplicate decide job cannot overwrite it or send a second callback.
 */
export async function completeQuery(deps: PipelineDeps, queryId: string, outcome: QueryOutcome): Promise<void> {
  const updated = await deps.prisma.query.updateMany({
    where: { id: queryId, status: { notIn: ['completed', 'failed'] } },
    data: {
      status: 'completed',
      answer: outcome.answer,
      answerModel: outcome.answerModel,
      completedAt: new Date(),
      outcome: toJson({
        outcome: outcome.outcome,
        reason: outcome.reason,
        extractedAnswer: outcome.extractedAnswer,
        stage: outcome.stage,
        verdicts: outcome.verdicts,
      }),
    },
  });
  if (updated.count === 1) await scheduleCallback(deps, queryId, 'query.completed');
}

export async function failQuery(
  deps: PipelineDeps,
  queryId: string,
  errorCode: string,
  errorMessage: string,
  verdicts: StageVerdict[] = [],
): Promise<void> {
  const updated = await deps.prisma.query.updateMany({
    where: { id: queryId, status: { notIn: ['completed', 'failed'] } },
    data: {
      status: 'failed',
      errorCode,
      errorMessage,
      completedAt: new Date(),
      outcome: toJson({ outcome: 'failed', reason: errorMessage, verdicts }),
    },
  });
  if (updated.count === 1) await scheduleCallback(deps, queryId, 'query.failed');
}

function toJson(value: object): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

async function scheduleCallback(deps: PipelineDeps, queryId: string, event: string): Promise<void> {
  const query = await deps.prisma.query.findUniqueOrThrow({ where: { id: queryId } });
  if (!query.callbackUrl) return;
  const delivery = await deps.prisma.webhookDelivery.upsert({
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
  await deps.queues.enqueueWebhook(delivery.id);
}
