import { planSchema } from '@switchyard/core';
import type { PrismaClient } from '@switchyard/db';
import type { LedgerQuery } from '@switchyard/training';

/** The columns of a query row (with its attempts and feedback) that labelling reads. */
export interface QueryRow {
  id: string;
  prompt: string;
  plan: unknown;
  options: unknown;
  outcome: unknown;
  answerModel: string | null;
  attempts: {
    stage: number;
    role: 'classify' | 'answer' | 'judge';
    slot: number;
    model: string;
    outcome: 'started' | 'succeeded' | 'failed';
    output: string | null;
    costUsd: { toFixed(): string } | null;
    inputTokens: number | null;
    outputTokens: number | null;
    errorCode: string | null;
  }[];
  feedback: { correct: boolean | null; score: number | null } | null;
}

/** What `include` reads for {@link ledgerQueryOf}. */
export const ledgerQueryInclude = {
  attempts: {
    select: {
      stage: true,
      role: true,
      slot: true,
      model: true,
      outcome: true,
      output: true,
      costUsd: true,
      inputTokens: true,
      outputTokens: true,
      errorCode: true,
    },
  },
  feedback: { select: { correct: true, score: true } },
} as const;

/** A query row as labelling's input; null when its plan is not a valid plan (never routed, or corrupt). */
export function ledgerQueryOf(row: QueryRow): LedgerQuery | null {
  const plan = planSchema.safeParse(row.plan);
  if (!plan.success) return null;
  const options = (row.options ?? {}) as {
    metadata?: { category?: unknown };
    record?: { reference?: unknown; id?: unknown };
  };
  const category = options.metadata?.category;
  const reference = options.record?.reference;
  const formatFailures: Record<number, string> = {};
  const verdicts = (row.outcome as { verdicts?: unknown } | null)?.verdicts;
  if (Array.isArray(verdicts)) {
    for (const verdict of verdicts as { stage?: unknown; format?: { failure?: unknown } }[]) {
      if (typeof verdict?.stage === 'number' && typeof verdict.format?.failure === 'string') {
        formatFailures[verdict.stage] = verdict.format.failure;
      }
    }
  }
  return {
    id: row.id,
    prompt: row.prompt,
    plan: plan.data,
    ...(typeof category === 'string' ? { category } : {}),
    reference: typeof reference === 'string' ? reference : null,
    ...(typeof options.record?.id === 'string' ? { recordId: options.record.id } : {}),
    answerModel: row.answerModel,
    formatFailures,
    attempts: row.attempts.map((attempt) => ({
      stage: attempt.stage,
      role: attempt.role,
      slot: attempt.slot,
      model: attempt.model,
      outcome: attempt.outcome,
      output: attempt.output,
      costUsd: attempt.costUsd === null ? null : attempt.costUsd.toFixed(),
      inputTokens: attempt.inputTokens,
      outputTokens: attempt.outputTokens,
      errorCode: attempt.errorCode,
    })),
    feedback: row.feedback,
  };
}

/** Resolves `--key <name|id>` to a key's id (keys that are not revoked), or throws naming the problem. */
export async function findKeyId(prisma: PrismaClient, nameOrId: string): Promise<string> {
  const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(nameOrId);
  const key = await prisma.apiKey.findFirst({
    where: { revokedAt: null, ...(isId ? { id: nameOrId } : { name: nameOrId }) },
    select: { id: true, expiresAt: true },
  });
  if (key === null) throw new Error(`no API key in use is named or has id "${nameOrId}" (see switchyard keys list)`);
  // An expired key is refused by the API; its queries must not be made here either.
  if (key.expiresAt !== null && key.expiresAt.getTime() <= Date.now()) {
    throw new Error(`no API key in use is named or has id "${nameOrId}": it expired ${key.expiresAt.toISOString()}`);
  }
  return key.id;
}
