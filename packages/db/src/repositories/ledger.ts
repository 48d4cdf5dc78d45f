import type { PrismaClient } from '../client.js';
import type { Attempt } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';

/** The ledger key of one call: unique per query. */
export interface AttemptKey {
  queryId: string;
  stage: number;
  role: 'classify' | 'answer' | 'judge';
  slot: number;
}

export type BeginAttemptResult =
  /** A completed attempt exists (succeeded or failed): reuse it, never call again. */
  | { kind: 'completed'; attempt: Attempt }
  /** The call may go ahead: a new `started` row, or a row left `started` by a crashed or retried job. */
  | { kind: 'proceed'; attempt: Attempt; resumed: boolean }
  /** The query's budget cannot cover the call's worst case; a failed attempt was recorded, nothing reserved. */
  | { kind: 'over-budget'; attempt: Attempt };

/**
 * Writes the attempt as `started` before the provider is called, reserving `worstCaseUsd` against the
 * query's budget in the same transaction (row lock on the query, so concurrent calls of one query
 * cannot both squeeze under the cap). Idempotent on the attempt key.
 */
export async function beginAttempt(
  prisma: PrismaClient,
  key: AttemptKey,
  call: { model: string; provider: string; worstCaseUsd: string },
): Promise<BeginAttemptResult> {
  return prisma.$transaction(async (tx) => {
    const budgetRows = await tx.$queryRaw<
      { max_cost_usd: Prisma.Decimal | null; total_cost_usd: Prisma.Decimal; reserved_cost_usd: Prisma.Decimal }[]
    >`SELECT max_cost_usd, total_cost_usd, reserved_cost_usd FROM queries WHERE id = ${key.queryId}::uuid FOR UPDATE`;
    const budget = budgetRows[0];
    if (!budget) throw new Error(`query ${key.queryId} does not exist`);

    const existing = await tx.attempt.findUnique({ where: { queryId_stage_role_slot: key } });
    if (existing) {
      if (existing.outcome !== 'started') return { kind: 'completed', attempt: existing };
      const resumed = await tx.attempt.update({ where: { id: existing.id }, data: { tries: { increment: 1 } } });
      return { kind: 'proceed', attempt: resumed, resumed: true };
    }

    const worstCase = new Prisma.Decimal(call.worstCaseUsd);
    if (budget.max_cost_usd !== null) {
      const committed = new Prisma.Decimal(budget.total_cost_usd).plus(budget.reserved_cost_usd);
      if (committed.plus(worstCase).greaterThan(budget.max_cost_usd)) {
        const attempt = await tx.attempt.create({
          data: {
            ...key,
            model: call.model,
            provider: call.provider,
            outcome: 'failed',
            errorCode: 'budget_exceeded',
            errorMessage: `worst case $${worstCase.toFixed()} would exceed the budget $${new Prisma.Decimal(budget.max_cost_usd).toFixed()} (spent $${new Prisma.Decimal(budget.total_cost_usd).toFixed()}, reserved $${new Prisma.Decimal(budget.reserved_cost_usd).toFixed()})`,
            costUsd: 0,
            completedAt: new Date(),
          },
        });
        return { kind: 'over-budget', attempt };
      }
    }
    await tx.$executeRaw`UPDATE queries SET reserved_cost_usd = reserved_cost_usd + ${worstCase} WHERE id = ${key.queryId}::uuid`;
    const attempt = await tx.attempt.create({
      data: { ...key, model: call.model, provider: call.provider, reservedUsd: worstCase },
    });
    return { kind: 'proceed', attempt, resumed: false };
  });
}

export interface AttemptSettlement {
  outcome: 'succeeded' | 'failed';
  /** Actual cost, decimal string; null when unknown (flagged in `detail`). */
  costUsd: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
  latencyMs?: number | null;
  providerRequestId?: string | null;
  output?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  score?: number | null;
  detail?: Prisma.InputJsonValue;
}

/**
 * Completes a started attempt, releases its reservation and recomputes the query's total from the
 * ledger, in one transaction. A second settlement of the same attempt is a no-op (returns false).
 */
export async function settleAttempt(prisma: PrismaClient, attemptId: string, settlement: AttemptSettlement) {
  return prisma.$transaction(async (tx) => {
    // Settlements of one query are serialised on its row: the total below is a fresh SUM taken after
    // the lock, so two calls settling at once cannot each miss the other's cost.
    await tx.$queryRaw`SELECT 1 FROM queries WHERE id = (SELECT query_id FROM attempts WHERE id = ${attemptId}::uuid) FOR UPDATE`;
    const updated = await tx.$queryRaw<{ query_id: string; reserved_usd: Prisma.Decimal | null }[]>`
      UPDATE attempts SET outcome = ${settlement.outcome}::"AttemptOutcome", completed_at = now()
      WHERE id = ${attemptId}::uuid AND outcome = 'started'
      RETURNING query_id, reserved_usd`;
    const row = updated[0];
    if (!row) return false;
    await tx.attempt.update({
      where: { id: attemptId },
      data: {
        costUsd: settlement.costUsd,
        inputTokens: settlement.inputTokens ?? null,
        outputTokens: settlement.outputTokens ?? null,
        latencyMs: settlement.latencyMs ?? null,
        providerRequestId: settlement.providerRequestId ?? null,
        output: settlement.output ?? null,
        errorCode: settlement.errorCode ?? null,
        errorMessage: settlement.errorMessage ?? null,
        score: settlement.score ?? null,
        ...(settlement.detail === undefined ? {} : { detail: settlement.detail }),
      },
    });
    await tx.$executeRaw`
      UPDATE queries SET
        reserved_cost_usd = GREATEST(reserved_cost_usd - ${row.reserved_usd ?? new Prisma.Decimal(0)}, 0),
        total_cost_usd = (SELECT COALESCE(SUM(cost_usd), 0) FROM attempts WHERE query_id = ${row.query_id}::uuid),
        updated_at = now()
      WHERE id = ${row.query_id}::uuid`;
    return true;
  });
}

/** Every attempt of a query, in ledger order. */
export function listAttempts(prisma: PrismaClient, queryId: string): Promise<Attempt[]> {
  return prisma.attempt.findMany({
    where: { queryId },
    orderBy: [{ stage: 'asc' }, { role: 'asc' }, { slot: 'asc' }],
  });
}
