import { type CallObservation, isPlannedCall, planSchema } from '@switchyard/core';
import { type Attempt, beginAttempt, settleAttempt } from '@switchyard/db';
import type { CallJob } from '../catalog.js';
import type { GatewayError, GatewayInput, GatewayResult, PipelineDeps } from './deps.js';
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
 * A job that does not match what the pipeline created (forged, or left over from another deployment):
 * failed for good without calling anything and without writing to the ledger.
 */
export class RefusedJobError extends Error {
  override readonly name = 'RefusedJobError';
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
    select: { prompt: true, system: true, options: true, status: true, plan: true },
  });
  if (!query) throw new RefusedJobError(`refused call job: query ${job.queryId} does not exist`);
  const plan = planSchema.safeParse(query.plan);
  if (!plan.success || !isPlannedCall(plan.data, job)) {
    throw new RefusedJobError(
      `refused call job: stage ${job.stage} ${job.role} slot ${job.slot} (${job.model}) is not a call of query ${job.queryId}'s plan`,
    );
  }
  if (query.status !== 'running') {
    // A finished query makes no more calls; a settled attempt of this key is still reported as is.
    const settled = await prisma.attempt.findUnique({
      where: { queryId_stage_role_slot: { queryId: job.queryId, stage: job.stage, role: job.role, slot: job.slot } },
    });
    if (settled && settled.outcome !== 'started') return attemptToObservation(settled);
    throw new RefusedJobError(`refused call job: query ${job.queryId} is ${query.status}, not running`);
  }
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

  let result: GatewayResult | undefined;
  try {
    result = await models.generate(job.model, input, options.signal);
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
  if (result !== undefined) {
    const answered = result;
    // The provider answered and charged. A failure from here on is the database's, and must not be
    // mistaken for the provider's: rethrown, the job would call (and pay) again on its next try.
    await settleAnswered(deps, job, () =>
      settleAttempt(prisma, begun.attempt.id, {
        outcome: 'succeeded',
        costUsd: answered.costUsd,
        inputTokens: answered.inputTokens,
        outputTokens: answered.outputTokens,
        latencyMs: answered.latencyMs,
        providerRequestId: answered.providerRequestId,
        output: answered.text,
        detail: {
          finishReason: answered.finishReason,
          warnings: answered.warnings,
          simulated: answered.simulated,
          ...(answered.costUsd === null ? { costUnknown: true } : {}),
        },
      }),
    );
  }
  const settled = await prisma.attempt.findUniqueOrThrow({ where: { id: begun.attempt.id } });
  return attemptToObservation(settled);
}

/** How long a call that got its answer keeps trying to record it while the database is unreachable. */
const SETTLE_RETRY_MS = 60_000;

/**
 * Records an answered call, retrying while the database is away (a restart, a dropped connection):
 * the answer is in memory and paid for. Settling is idempotent, so a try whose commit went through
 * but whose reply was lost is harmless. Past SETTLE_RETRY_MS the error is rethrown and the job's
 * retry calls again: the one case where a call may be paid twice.
 */
async function settleAnswered(deps: PipelineDeps, job: CallJob, settle: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + SETTLE_RETRY_MS;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
    try {
      await settle();
      return;
    } catch (error) {
      if (Date.now() + wait > deadline) throw error;
      deps.logger.warn(
        { queryId: job.queryId, stage: job.stage, role: job.role, slot: job.slot, error: (error as Error).message },
        'cannot record an answered call yet; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
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
