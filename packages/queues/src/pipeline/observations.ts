import type { CallObservation } from '@switchyard/core';
import type { DecisionAttempt } from '@switchyard/db';

/**
 * What the cascade policy observes of an attempt: a decision state's attempt, or a whole ledger row
 * (whose `detail` is any JSON; only its finish reason is read).
 */
export type ObservedAttempt = Omit<DecisionAttempt, 'detail'> & { detail: unknown };

/** A settled ledger row as the cascade policy sees it. */
export function attemptToObservation(attempt: ObservedAttempt): CallObservation {
  if (attempt.role === 'classify') throw new Error('classification attempts are not cascade observations');
  return {
    stage: attempt.stage,
    role: attempt.role,
    slot: attempt.slot,
    model: attempt.model,
    ok: attempt.outcome === 'succeeded',
    ...(attempt.output === null ? {} : { text: attempt.output }),
    ...(finishOf(attempt) === undefined ? {} : { finishReason: finishOf(attempt) }),
    costUsd: attempt.costUsd === null ? '0' : attempt.costUsd.toFixed(),
    ...(attempt.errorCode === null ? {} : { errorCode: attempt.errorCode }),
    ...(attempt.errorMessage === null ? {} : { errorMessage: attempt.errorMessage }),
  };
}

/** Every settled answer/judge attempt of a query, as observations. */
export function settledObservations(attempts: ObservedAttempt[]): CallObservation[] {
  return attempts
    .filter((attempt) => attempt.outcome !== 'started' && attempt.role !== 'classify')
    .map(attemptToObservation);
}

/** The unified finish reason recorded with an answered attempt (`detail.finish`), if any. */
function finishOf(attempt: ObservedAttempt): string | undefined {
  const finish = (attempt.detail as { finish?: unknown } | null)?.finish;
  return typeof finish === 'string' ? finish : undefined;
}
