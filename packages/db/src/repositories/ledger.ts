import type { PrismaClient } from '../client.js';
import type { Attempt } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { CURRENT_BUDGET_MONTH } from './api-keys.js';

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
      {
        max_cost_usd: Prisma.Decimal | null;
        total_cost_usd: Prisma.Decimal;
        reserved_cost_usd: Prisma.Decimal;
        api_key_id: string | null;
      }[]
    >`SELECT max_cost_usd, total_cost_usd, reserved_cost_usd, api_key_id FROM queries WHERE id = ${key.queryId}::uuid FOR UPDATE`;
    const budget = budgetRows[0];
    if (!budget) throw new Error(`query ${key.queryId} does not exist`);

    const existing = await tx.attempt.findUnique({ where: { queryId_stage_role_slot: key } });
    if (existing) {
      if (existing.outcome !== 'started') return { kind: 'completed', attempt: existing };
      const resumed = await tx.attempt.update({ where: { id: existing.id }, data: { tries: { increment: 1 } } });
      return { kind: 'proceed', attempt: resumed, resumed: true };
    }

    const worstCase = new Prisma.Decimal(call.worstCaseUsd);
    const refuse = async (errorCode: string, errorMessage: string): Promise<BeginAttemptResult> => {
      const attempt = await tx.attempt.create({
        data: {
          ...key,
          model: call.model,
          provider: call.provider,
          outcome: 'failed',
          errorCode,
          errorMessage,
          costUsd: 0,
          completedAt: new Date(),
        },
      });
      return { kind: 'over-budget', attempt };
    };
    if (budget.max_cost_usd !== null) {
      const committed = new Prisma.Decimal(budget.total_cost_usd).plus(budget.reserved_cost_usd);
      if (committed.plus(worstCase).greaterThan(budget.max_cost_usd)) {
        return refuse(
          'budget_exceeded',
          `worst case $${worstCase.toFixed()} would exceed the budget $${new Prisma.Decimal(budget.max_cost_usd).toFixed()} (spent $${new Prisma.Decimal(budget.total_cost_usd).toFixed()}, reserved $${new Prisma.Decimal(budget.reserved_cost_usd).toFixed()})`,
        );
      }
    }
    const keyMonth = budget.api_key_id === null ? null : await reserveKeyBudget(tx, budget.api_key_id, worstCase);
    if (keyMonth !== null && keyMonth.kind === 'refused') return refuse('key_budget_exceeded', keyMonth.message);
    await tx.$executeRaw`UPDATE queries SET reserved_cost_usd = reserved_cost_usd + ${worstCase} WHERE id = ${key.queryId}::uuid`;
    const attempt = await tx.attempt.create({
      data: {
        ...key,
        model: call.model,
        provider: call.provider,
        reservedUsd: worstCase,
        keyBudgetMonth: keyMonth?.kind === 'reserved' ? keyMonth.month : null,
      },
    });
    return { kind: 'proceed', attempt, resumed: false };
  });
}

/**
 * The API key's share of a call's reservation. A key with a monthly budget has one usage row per UTC
 * month, locked here (after the query row: every ledger transaction takes the query first, then the
 * usage row, so they cannot deadlock); the call is refused when settled spend + the worst case of
 * every call of the key in flight + this one would exceed the budget. Keys without a budget take no
 * lock: their spend is summed from the ledger when listed.
 */
async function reserveKeyBudget(
  tx: Prisma.TransactionClient,
  apiKeyId: string,
  worstCase: Prisma.Decimal,
): Promise<{ kind: 'reserved'; month: Date } | { kind: 'refused'; message: string } | null> {
  const keys = await tx.$queryRaw<{ monthly_budget_usd: Prisma.Decimal | null }[]>`
    SELECT monthly_budget_usd FROM api_keys WHERE id = ${apiKeyId}::uuid`;
  const limit = keys[0]?.monthly_budget_usd ?? null;
  if (limit === null) return null;
  await tx.$executeRaw`
    INSERT INTO api_key_usage (api_key_id, month) VALUES (${apiKeyId}::uuid, ${CURRENT_BUDGET_MONTH})
    ON CONFLICT DO NOTHING`;
  const usage = await tx.$queryRaw<{ month: Date; spent_usd: Prisma.Decimal; reserved_usd: Prisma.Decimal }[]>`
    SELECT month, spent_usd, reserved_usd FROM api_key_usage
    WHERE api_key_id = ${apiKeyId}::uuid AND month = ${CURRENT_BUDGET_MONTH} FOR UPDATE`;
  const row = usage[0];
  if (!row) throw new Error(`api key usage row of ${apiKeyId} vanished`);
  const committed = new Prisma.Decimal(row.spent_usd).plus(row.reserved_usd);
  if (committed.plus(worstCase).greaterThan(limit)) {
    return {
      kind: 'refused',
      message: `worst case $${worstCase.toFixed()} would exceed the API key's monthly budget $${new Prisma.Decimal(limit).toFixed()} (spent $${new Prisma.Decimal(row.spent_usd).toFixed()}, reserved $${new Prisma.Decimal(row.reserved_usd).toFixed()})`,
    };
  }
  await tx.$executeRaw`
    UPDATE api_key_usage SET reserved_usd = reserved_usd + ${worstCase}
    WHERE api_key_id = ${apiKeyId}::uuid AND month = ${row.month}`;
  return { kind: 'reserved', month: row.month };
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
    const updated = await tx.$queryRaw<
      { query_id: string; reserved_usd: Prisma.Decimal | null; key_budget_month: Date | null }[]
    >`
      UPDATE attempts SET outcome = ${settlement.outcome}::"AttemptOutcome", completed_at = now()
      WHERE id = ${attemptId}::uuid AND outcome = 'started'
      RETURNING query_id, reserved_usd, key_budget_month`;
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
    if (row.key_budget_month !== null) {
      // The key's month moves the call from "in flight" to "spent" (locked after the query row, as in beginAttempt).
      await tx.$executeRaw`
        UPDATE api_key_usage SET
          reserved_usd = GREATEST(reserved_usd - ${row.reserved_usd ?? new Prisma.Decimal(0)}, 0),
          spent_usd = spent_usd + ${new Prisma.Decimal(settlement.costUsd ?? row.reserved_usd ?? 0)}
        WHERE api_key_id = (SELECT api_key_id FROM queries WHERE id = ${row.query_id}::uuid)
          AND month = ${row.key_budget_month}`;
    }
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
