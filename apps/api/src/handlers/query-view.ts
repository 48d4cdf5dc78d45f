import type { Attempt, QueryViewRow } from '@switchyard/db';
import { feedbackView } from './query-feedback.js';

/** The public JSON of a query (GET /v1/queries/:id), with every attempt made for it. */
export function queryView(query: QueryViewRow, attempts: Attempt[]) {
  const plan = query.plan as { stages?: { model: string }[] } | null;
  const outcome = query.outcome as {
    outcome?: string;
    reason?: string;
    fused?: boolean;
    verdicts?: unknown[];
  } | null;
  return {
    id: query.id,
    status: query.status,
    ...(query.answer === null ? {} : { answer: query.answer }),
    ...(query.answerModel === null ? {} : { model: query.answerModel }),
    costUsd: query.totalCostUsd.toFixed(),
    ...(query.maxCostUsd === null ? {} : { maxCostUsd: query.maxCostUsd.toFixed() }),
    ...(plan === null ? {} : { plan }),
    stages: (plan?.stages ?? []).map((stage, index) => ({
      stage: index,
      model: stage.model,
      verdict: (outcome?.verdicts ?? []).find((verdict) => (verdict as { stage?: number }).stage === index) ?? null,
    })),
    ...(outcome === null ? {} : { outcome: outcome.outcome, reason: outcome.reason }),
    // True when no stage was accepted: the answer was chosen among every answer paid for.
    ...(outcome?.fused === true ? { fused: true } : {}),
    attempts: attempts.map((attempt) => ({
      role: attempt.role,
      model: attempt.model,
      provider: attempt.provider,
      stage: attempt.stage,
      slot: attempt.slot,
      inputTokens: attempt.inputTokens,
      outputTokens: attempt.outputTokens,
      costUsd: attempt.costUsd === null ? null : attempt.costUsd.toFixed(),
      latencyMs: attempt.latencyMs,
      outcome: attempt.outcome,
      ...(attempt.errorCode === null ? {} : { errorCode: attempt.errorCode }),
      ...(attempt.score === null ? {} : { score: attempt.score }),
      ...(verdictOf(attempt) === undefined ? {} : { verdict: verdictOf(attempt) }),
      tries: attempt.tries,
      ...(attempt.providerRequestId === null ? {} : { providerRequestId: attempt.providerRequestId }),
    })),
    ...(query.errorCode === null ? {} : { error: { code: query.errorCode, message: query.errorMessage } }),
    ...(query.callbackUrl === null ? {} : { callbackUrl: query.callbackUrl }),
    ...(query.feedback ? { feedback: feedbackView(query.feedback) } : {}),
    createdAt: query.createdAt.toISOString(),
    ...(query.completedAt === null ? {} : { completedAt: query.completedAt.toISOString() }),
  };
}

/** An LLM judge attempt's parsed verdict (`{verdict, confidence}`, or `{malformed}`), as recorded. */
function verdictOf(attempt: Attempt): unknown {
  if (attempt.role !== 'judge') return undefined;
  return (attempt.detail as { verdict?: unknown } | null)?.verdict;
}
