import type { CallObservation } from '@switchyard/core';
import { type Attempt, beginAttempt, settleAttempt } from '@switchyard/db';
import type { CallJob } from '../catalog.js';
import type { GatewayError, GatewayInput, PipelineDeps } from './deps.js';
import { attemptToObservation } from './observations.js';

/** Thrown for a retryable provider failure that still has tries left; the queue backs off and retries. */
export class RetryableCallError extends Error {
  override readonly name = 'RetryableCallError';
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Makes one model or judge call through the ledger: the attempt row is written `started` (with the
 * worst case reserved against the budget) before the provider is called and settled after. A job
 * that finds the attempt already settled reuses it: a retry never pays twice for the same call.
 *
 * `lastTry`: when a retryable failure happens on the job's last try it is settled as failed instead
 * of rethrown, so the plan can continue without it.
 */
export async function performCall(
  deps: PipelineDeps,
  job: CallJob,
  options: { lastTry: boolean; signal?: AbortSignal },
): Promise<CallObservation> {
  const { prisma, models } = deps;
  const query = await prisma.query.findUnique({
    where: { id: job.queryId },
    select: { prompt: true, system: true, options: true },
  });
  if (!query) throw new Error(`query ${job.queryId} does not exist`);
  const recordId = (query.options as { metadata?: { recordId?: unknown } } | null)?.metadata?.recordId;
  const input: GatewayInput =
    job.input.kind === 'query'
      ? {
          prompt: query.prompt,
          ...(query.system ? { system: query.system } : {}),
          ...(typeof recordId === 'string' ? { recordId } : {}),
        }
      : { prompt: '', messages: job.input.messages, ...(job.input.system ? { system: job.input.system } : {}) };

  let provider: string;
  let worstCaseUsd: string;
  try {
    provider = models.providerOf(job.model);
    worstCaseUsd = models.worstCaseCostUsd(job.model, input);
  } catch (error) {
    return recordUnstartedFailure(deps, job, 'unknown_model', (error as Error).message);
  }

  const begun = await beginAttempt(
    prisma,
    { queryId: job.queryId, stage: job.stage, role: job.role, slot: job.slot },
    { model: job.model, provider, worstCaseUsd },
  );
  if (begun.kind !== 'proceed') return attemptToObservation(begun.attempt);

  try {
    const result = await models.generate(job.model, input, options.signal);
    await settleAttempt(prisma, begun.attempt.id, {
      outcome: 'succeeded',
      costUsd: result.costUsd,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      latencyMs: result.latencyMs,
      providerRequestId: result.providerRequestId,
      output: result.text,
      detail: {
        finishReason: result.finishReason,
        warnings: result.warnings,
        simulated: result.simulated,
        ...(result.costUsd === null ? { costUnknown: true } : {}),
      },
    });
  } catch (error) {
    const providerError = error as Partial<GatewayError>;
    const retryable = providerError.isRetryable === true;
    if (retryable && !options.lastTry) {
      throw new RetryableCallError(`${job.model}: ${(error as Error).message}`, providerError.retryAfterMs, {
        cause: error,
      });
    }
    await settleAttempt(prisma, begun.attempt.id, {
      outcome: 'failed',
      // A provider that failed charged nothing for the call.
      costUsd: '0',
      errorCode: providerError.kind ?? 'internal_error',
      errorMessage: (error as Error).message,
      ...(providerError.statusCode === undefined ? {} : { detail: { statusCode: providerError.statusCode } }),
    });
  }
  const settled = await prisma.attempt.findUniqueOrThrow({ where: { id: begun.attempt.id } });
  return attemptToObservation(settled);
}

async function recordUnstartedFailure(
  deps: PipelineDeps,
  job: CallJob,
  errorCode: string,
  message: string,
): Promise<CallObservation> {
  const key = { queryId: job.queryId, stage: job.stage, role: job.role, slot: job.slot };
  const attempt: Attempt = await deps.prisma.attempt.upsert({
    where: { queryId_stage_role_slot: key },
    update: {},
    create: {
      ...key,
      model: job.model,
      provider: 'unknown',
      outcome: 'failed',
      costUsd: 0,
      errorCode,
      errorMessage: message,
      completedAt: new Date(),
    },
  });
  return attemptToObservation(attempt);
}
