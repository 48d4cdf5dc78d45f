import type { Attempt, PrismaClient, Query } from '@switchyard/db';
import type { AnsweredQuery, AttemptSummary, FailedQuery } from '@switchyard/openai-compat';

/** Ledger columns an OpenAI response shows (never `output`: answers of other stages stay out). */
export const ATTEMPT_SUMMARY_SELECT = {
  queryId: true,
  role: true,
  model: true,
  stage: true,
  slot: true,
  inputTokens: true,
  outputTokens: true,
  costUsd: true,
  latencyMs: true,
  outcome: true,
  errorCode: true,
  detail: true,
} as const;

export type AttemptRow = Pick<Attempt, keyof typeof ATTEMPT_SUMMARY_SELECT>;
type QueryRow = Pick<
  Query,
  'id' | 'createdAt' | 'answer' | 'answerModel' | 'totalCostUsd' | 'outcome' | 'options' | 'errorCode' | 'errorMessage'
>;

export const QUERY_VIEW_SELECT = {
  id: true,
  createdAt: true,
  answer: true,
  answerModel: true,
  totalCostUsd: true,
  outcome: true,
  options: true,
  errorCode: true,
  errorMessage: true,
} as const;

function summary(attempt: AttemptRow): AttemptSummary {
  return {
    role: attempt.role,
    model: attempt.model,
    stage: attempt.stage,
    slot: attempt.slot,
    inputTokens: attempt.inputTokens,
    outputTokens: attempt.outputTokens,
    costUsd: attempt.costUsd === null ? null : attempt.costUsd.toFixed(),
    latencyMs: attempt.latencyMs,
    outcome: attempt.outcome,
    errorCode: attempt.errorCode,
  };
}

function requestedModel(query: QueryRow): string {
  return (query.options as { openai?: { model?: string } } | null)?.openai?.model ?? 'switchyard';
}

/** A completed query and its ledger rows as a chat.completion sees them. */
export function answeredQueryOf(query: QueryRow, attempts: AttemptRow[]): AnsweredQuery {
  const outcome = query.outcome as { outcome?: string; stage?: number } | null;
  const answering = attempts.find(
    (attempt) =>
      attempt.role === 'answer' &&
      attempt.model === query.answerModel &&
      (outcome?.stage === undefined || attempt.stage === outcome.stage),
  );
  const finishReason = (answering?.detail as { finishReason?: unknown } | null)?.finishReason;
  return {
    queryId: query.id,
    createdAt: query.createdAt,
    answer: query.answer ?? '',
    answerModel: query.answerModel ?? 'unknown',
    requestedModel: requestedModel(query),
    costUsd: query.totalCostUsd.toFixed(),
    outcome: outcome?.outcome ?? null,
    finishReason: typeof finishReason === 'string' ? finishReason : null,
    attempts: attempts.map(summary),
  };
}

export function failedQueryOf(query: QueryRow, attempts: AttemptRow[]): FailedQuery {
  return {
    queryId: query.id,
    errorCode: query.errorCode,
    errorMessage: query.errorMessage,
    costUsd: query.totalCostUsd.toFixed(),
    attempts: attempts.map(summary),
    requestedModel: requestedModel(query),
  };
}

/** Ledger rows of some queries, grouped by query (one round trip). */
export async function attemptsByQuery(prisma: PrismaClient, queryIds: string[]): Promise<Map<string, AttemptRow[]>> {
  const grouped = new Map<string, AttemptRow[]>();
  if (queryIds.length === 0) return grouped;
  const attempts = await prisma.attempt.findMany({
    where: { queryId: { in: queryIds } },
    select: ATTEMPT_SUMMARY_SELECT,
    orderBy: [{ queryId: 'asc' }, { stage: 'asc' }, { role: 'asc' }, { slot: 'asc' }],
  });
  for (const attempt of attempts) {
    const list = grouped.get(attempt.queryId) ?? [];
    list.push(attempt);
    grouped.set(attempt.queryId, list);
  }
  return grouped;
}
