import { type CallObservation, isPlannedCall, parseJudgeVerdict, verdictScore } from '@switchyard/core';
import {
  type Attempt,
  beginAttempt,
  chargeAttemptTry,
  type DecisionState,
  type Prisma,
  readAttemptByKey,
  readPipelineQuery,
  settleAttemptAndRead,
} from '@switchyard/db';
import type { CallJob } from '../catalog.js';
import { buildJudgeInput, type JudgePromptUse } from '../judges/judge-input.js';
import { loadJudgePrompts } from '../judges/judge-prompts.js';
import { chargeForFailure } from './charge-policy.js';
import type { GatewayError, GatewayInput, GatewayPricing, GatewayResult, PipelineDeps } from './deps.js';
import { attemptToObservation } from './observations.js';
import { planCache } from './plan-cache.js';
import { queryGatewayInput } from './query-input.js';

/** Thrown for a retryable provider failure that still has tries left; the queue backs off and retries. */
export class RetryableCallError extends Error {
  override readonly name = 'RetryableCallError';
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
    options?: { cause?: unknown; kind?: string },
  ) {
    super(message, options);
    this.kind = options?.kind ?? 'unknown';
  }
  /** The provider error's kind (`rate_limit` for a 429). */
  readonly kind: string;
}

/**
 * The model's gate says wait (a provider's retry-after, or its tokens-per-minute window is full): the job goes back to waiting
 * (without using a try, nothing was reserved or sent) and the model's queue pauses `waitMs`.
 */
export class ThrottledCallError extends Error {
  override readonly name = 'ThrottledCallError';
  constructor(readonly waitMs: number) {
    super(`the model is paused or its tokens-per-minute window is full for ${waitMs} ms`);
  }
}

/**
 * A job that does not match what the pipeline created (forged, or left over from another deployment),
 * or an LLM judge job whose judged answer is not a settled answer of the model it names: failed for
 * good without calling anything and without writing to the ledger.
 */
export class RefusedJobError extends Error {
  override readonly name = 'RefusedJobError';
}

/**
 * Makes one model or judge call through the ledger. Each try of the call (a job retry is another
 * provider request) reserves its own worst case against the budget before the request — for
 * token-priced models with the output limit the remaining budget can pay, which the request carries —
 * and is charged after: the provider's usage, or an upper bound where that is unknown (see
 * `chargeForFailure`). A job that finds the attempt already settled reuses it: a retry never pays
 * twice for a call that was answered.
 *
 * LLM judge calls name the answer they judge; their messages are built here from Postgres (the query
 * and that attempt's output) with the configured judge prompt version, recorded in the attempt.
 *
 * `lastTry`: when a retryable failure happens on the job's last try it is settled as failed instead
 * of rethrown, so the plan can continue without it.
 */
export async function performCall(
  deps: PipelineDeps,
  job: CallJob,
  options: {
    lastTry: boolean;
    signal?: AbortSignal;
    /**
     * Admits the call before anything is reserved or sent, given its worst-case tokens (input bound +
     * output limit); throws ThrottledCallError when the model's tokens-per-minute limit says wait.
     */
    admit?: (tokens: number) => Promise<void>;
    /**
     * Receives the query's decision state read in the same round trip as the settlement (the job's
     * `thenDecide` step uses it instead of reading it again). Not called when the call was not settled
     * by this job.
     */
    onDecisionState?: (state: DecisionState) => void;
  },
): Promise<CallObservation> {
  const { prisma, models } = deps;
  const query = await readPipelineQuery(prisma, job.queryId);
  if (!query) throw new RefusedJobError(`refused call job: query ${job.queryId} does not exist`);
  const plan = planCache.parse(query.id, query.plan);
  if (plan === null || !isPlannedCall(plan, job)) {
    throw new RefusedJobError(
      `refused call job: stage ${job.stage} ${job.role} slot ${job.slot} (${job.model}) is not a call of query ${job.queryId}'s plan`,
    );
  }
  if (query.status !== 'running') {
    // A finished query makes no more calls; a settled attempt of this key is still reported as is.
    const settled = await readAttemptByKey(prisma, job);
    if (settled && settled.outcome !== 'started') return attemptToObservation(settled);
    throw new RefusedJobError(`refused call job: query ${job.queryId} is ${query.status}, not running`);
  }

  let input: GatewayInput;
  let judgePrompt: JudgePromptUse | undefined;
  if (job.input.kind === 'query') {
    input = queryGatewayInput(query);
  } else {
    const { answer } = job.input;
    const judged = await readAttemptByKey(prisma, { queryId: job.queryId, ...answer });
    if (judged?.outcome !== 'succeeded' || judged.model !== answer.model || judged.output === null) {
      throw new RefusedJobError(
        `refused call job: stage ${answer.stage} ${answer.role} slot ${answer.slot} of query ${job.queryId} is not a settled answer of ${answer.model}`,
      );
    }
    deps.judgePrompts ??= loadJudgePrompts();
    const built = buildJudgeInput(deps.judgePrompts, plan, query, judged.output);
    input = built.input;
    judgePrompt = built.prompt;
  }

  let provider: string;
  let priced: GatewayPricing;
  try {
    provider = models.providerOf(job.model);
    priced = models.callPricing(job.model, input);
  } catch (error) {
    return recordUnstartedFailure(deps, job, 'unknown_model', (error as Error).message);
  }

  if (options.admit) {
    const outputTokens = priced.pricing.kind === 'tokens' ? priced.pricing.maxOutputTokens : 0;
    await options.admit((priced.inputTokenBound?.tokens ?? 0) + outputTokens);
  }

  const begun = await beginAttempt(
    prisma,
    { queryId: job.queryId, stage: job.stage, role: job.role, slot: job.slot },
    { model: job.model, provider, pricing: priced.pricing },
  );
  if (begun.kind !== 'proceed') return attemptToObservation(begun.attempt);
  const attemptTry = begun.try;
  const detailBase = {
    try: attemptTry.number,
    maxOutputTokens: attemptTry.maxOutputTokens,
    ...(priced.inputTokenBound === undefined ? {} : { inputTokenBound: priced.inputTokenBound }),
    ...(judgePrompt === undefined ? {} : { judgePrompt }),
  };

  let result: GatewayResult | undefined;
  let settled: Attempt | undefined;
  let state: DecisionState | undefined;
  const withState = options.onDecisionState !== undefined;
  try {
    result = await models.generate(job.model, input, {
      ...(attemptTry.maxOutputTokens === null ? {} : { maxOutputTokens: attemptTry.maxOutputTokens }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    const providerError = error as Partial<GatewayError> & { requestId?: string };
    const charge = {
      ...chargeForFailure(error, {
        reservedUsd: attemptTry.reservedUsd,
        inputWorstCaseUsd: priced.pricing.kind === 'tokens' ? priced.pricing.inputWorstCaseUsd : null,
      }),
      errorCode: providerError.kind ?? 'internal_error',
      providerRequestId: providerError.requestId ?? null,
    };
    const retryable = providerError.isRetryable === true;
    if (retryable && !options.lastTry) {
      await chargeAttemptTry(prisma, attemptTry.id, charge);
      throw new RetryableCallError(`${job.model}: ${(error as Error).message}`, providerError.retryAfterMs, {
        cause: error,
        ...(providerError.kind === undefined ? {} : { kind: providerError.kind }),
      });
    }
    ({ attempt: settled, state } = await settleAttemptAndRead(
      prisma,
      begun.attempt.id,
      {
        outcome: 'failed',
        try: { id: attemptTry.id, ...charge },
        errorCode: charge.errorCode,
        errorMessage: (error as Error).message,
        detail: toJson({
          ...detailBase,
          charge: charge.basis,
          ...(providerError.statusCode === undefined ? {} : { statusCode: providerError.statusCode }),
        }),
      },
      { withState },
    ));
  }
  if (result !== undefined) {
    const answered = result;
    // No usage: what the provider billed is unknown, so the try is charged its reservation, never $0.
    const chargedUsd = answered.costUsd ?? attemptTry.reservedUsd;
    const overReservation = Number(chargedUsd) > Number(attemptTry.reservedUsd);
    if (overReservation) {
      deps.logger.warn(
        { queryId: job.queryId, model: job.model, chargedUsd, reservedUsd: attemptTry.reservedUsd },
        'a provider reported more usage than the request allowed; charged as reported',
      );
    }
    const verdict = judgePrompt === undefined ? undefined : parseJudgeVerdict(answered.text);
    // The provider answered and charged. A failure from here on is the database's, and must not be
    // mistaken for the provider's: rethrown, the job would call (and pay) again on its next try.
    await settleAnswered(deps, job, async () => {
      ({ attempt: settled, state } = await settleAttemptAndRead(
        prisma,
        begun.attempt.id,
        {
          outcome: 'succeeded',
          try: {
            id: attemptTry.id,
            chargedUsd,
            basis: answered.costUsd === null ? 'reservation' : 'usage',
            providerRequestId: answered.providerRequestId,
          },
          inputTokens: answered.inputTokens,
          outputTokens: answered.outputTokens,
          latencyMs: answered.latencyMs,
          providerRequestId: answered.providerRequestId,
          output: answered.text,
          ...(verdict?.ok ? { score: verdictScore(verdict.verdict) } : {}),
          detail: toJson({
            ...detailBase,
            finishReason: answered.finishReason,
            finish: answered.finish,
            warnings: answered.warnings,
            simulated: answered.simulated,
            ...(answered.costUsd === null ? { costUnknown: true } : {}),
            ...(overReservation ? { overReservation: true } : {}),
            ...(verdict === undefined
              ? {}
              : verdict.ok
                ? { verdict: { verdict: verdict.verdict.verdict, confidence: verdict.verdict.confidence } }
                : { verdict: { malformed: verdict.reason } }),
          }),
        },
        { withState },
      ));
    });
  }
  if (settled === undefined) throw new Error(`attempt ${begun.attempt.id} was not settled`);
  if (state !== undefined) options.onDecisionState?.(state);
  return attemptToObservation(settled);
}

function toJson(value: object): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

/** How long a call that got its answer keeps trying to record it while the database is unreachable. */
const SETTLE_RETRY_MS = 60_000;

/**
 * Records an answered call, retrying while the database is away (a restart, a dropped connection):
 * the answer is in memory and paid for. Settling is idempotent, so a try whose commit went through
 * but whose reply was lost is harmless. Past SETTLE_RETRY_MS the error is rethrown and the job's
 * retry calls again: the try that answered is then charged its reservation (`interrupted`) and the
 * new request is charged too, so the ledger holds both requests the provider billed.
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
