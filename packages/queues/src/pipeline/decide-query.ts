import { type CallRequest, nextCascadeStep, type Plan, planSchema } from '@switchyard/core';
import { type DecisionAttempt, type DecisionState, markQueryRunning, readDecisionState } from '@switchyard/db';
import type { DecideJob } from '../catalog.js';
import { buildJudgeInput } from '../judges/judge-input.js';
import { loadJudgePrompts } from '../judges/judge-prompts.js';
import type { GatewayInput, PipelineDeps } from './deps.js';
import { completeQuery, failQuery } from './finalize-query.js';
import { settledObservations } from './observations.js';
import { planCache } from './plan-cache.js';

/**
 * One decide step: reads the plan and the settled ledger, asks the cascade policy for the next step,
 * and either enqueues the calls it wants (with the next decide step as their parent) or finalizes.
 * Everything is derived from the database, so a repeated or recovered decide job does the same thing.
 */
export async function decideQuery(
  deps: PipelineDeps,
  job: DecideJob,
  /** The decision state when the caller has just read it (routing, right after the plan was stored). */
  known?: DecisionState,
): Promise<string> {
  const { prisma } = deps;
  const state = known ?? (await readDecisionState(prisma, job.queryId));
  if (state === null) return 'missing';
  const { query, attempts, keyRemainingUsd } = state;
  if (query.status === 'completed' || query.status === 'failed') return 'already-final';
  if (query.plan === null) {
    await deps.queues.enqueueRoute(query.id, { replaceStale: job.recovery === true });
    return 'not-routed';
  }
  // An invalid plan throws the schema's error, as it always did; a valid one is parsed once per process.
  const plan = planCache.parse(query.id, query.plan) ?? planSchema.parse(query.plan);
  const observations = settledObservations(attempts);
  const input: GatewayInput = { prompt: query.prompt, ...(query.system ? { system: query.system } : {}) };
  const scoreVerifier = await deps.verifierFor?.(plan);
  // The API key's monthly budget (keyRemainingUsd) caps what this query may still spend: none of its
  // calls is in flight while its decide job runs, so the key's reservations are other queries'.
  const step = nextCascadeStep(plan, observations, {
    ...(scoreVerifier ? { scoreVerifier } : {}),
    ...(keyRemainingUsd === null ? {} : { remainingBudgetUsd: keyRemainingUsd }),
    // The least each call may cost and still be made: the ledger then gives it the output limit the
    // budget can pay, or refuses it; here it only keeps the policy from asking for hopeless calls.
    worstCaseCostUsd: (request: CallRequest) => {
      try {
        return deps.models.minimumCostUsd(request.model, inputOf(deps, plan, query, attempts, request, input));
      } catch {
        // An unknown model is refused when its call runs; it must not stop the policy here.
        return '0';
      }
    },
  });

  if (step.kind === 'calls') {
    const settledKeys = new Set(attempts.filter((a) => a.outcome !== 'started').map((a) => keyOf(a)));
    const pending = step.calls.filter((call) => !settledKeys.has(keyOf(call)));
    if (pending.length === 0) {
      // Every requested call is already settled (a recovered job): decide again at once.
      await deps.queues.enqueueDecide({ queryId: query.id, round: job.round + 1 });
      return 'redecide';
    }
    if (query.status !== 'running') await markQueryRunning(prisma, query.id);
    const enqueued = await deps.queues.enqueueCallsThenDecide(
      { queryId: query.id, round: job.round + 1 },
      pending.map((call) => ({ queryId: query.id, ...call })),
      // Only the reconciler's recovery job replaces call jobs that cannot run any more (failed for
      // good, or orphaned by a partial loss of Redis): a call that keeps failing is then tried again
      // once per stall period, not in a tight loop of decide rounds.
      {
        recovery: job.recovery === true,
        servedModel: (model) => deps.callModels?.some((served) => served.id === model) === true,
      },
    );
    // A recovery that found every requested call still queued or running under another decide job.
    if (enqueued === 0) return 'calls-in-flight';
    return `calls:${enqueued}`;
  }

  if (step.outcome === 'failed' || step.answerFrom === null || step.answer === null) {
    const reasons = attempts
      .filter((attempt) => attempt.outcome === 'failed')
      .map(
        (attempt) =>
          `${attempt.model}: ${attempt.errorCode}${attempt.errorMessage ? ` (${attempt.errorMessage})` : ''}`,
      );
    await failQuery(
      deps,
      query.id,
      step.outcome === 'budget' ? 'budget_exhausted' : 'no_answer',
      `${step.reason}${reasons.length > 0 ? `; ${reasons.join('; ')}` : ''}`,
      step.verdicts,
    );
    return 'failed';
  }
  await completeQuery(deps, query.id, {
    answer: step.answer,
    answerModel: step.answerFrom,
    outcome: step.outcome,
    reason: step.reason,
    extractedAnswer: step.extractedAnswer,
    fused: step.fused,
    stage: step.stage,
    verdicts: step.verdicts,
  });
  return step.outcome;
}

/** What a requested call will send, to price it: the query, or the judge request built around its answer. */
function inputOf(
  deps: PipelineDeps,
  plan: Plan,
  query: { prompt: string; system: string | null },
  attempts: DecisionAttempt[],
  request: CallRequest,
  queryInput: GatewayInput,
): GatewayInput {
  if (request.input.kind === 'query') return queryInput;
  const { answer } = request.input;
  const judged = attempts.find(
    (attempt) => attempt.stage === answer.stage && attempt.role === answer.role && attempt.slot === answer.slot,
  );
  deps.judgePrompts ??= loadJudgePrompts();
  return buildJudgeInput(deps.judgePrompts, plan, query, judged?.output ?? '').input;
}

function keyOf(call: { stage: number; role: string; slot: number }): string {
  return `${call.stage}/${call.role}/${call.slot}`;
}
