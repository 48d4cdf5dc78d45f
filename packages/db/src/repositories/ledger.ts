import { formatUsd, outputTokenLimit, parseUsd } from '@switchyard/core';
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

/**
 * How a call's worst case is priced when its try is reserved. `fixed`: the cost is known before the
 * call (replay serves recorded costs) or there is no token pricing. `tokens`: the input's upper-bound
 * cost plus an output-token limit computed here, under the query's lock, from what the budget still
 * allows (`outputTokenLimit`): the request then carries that limit.
 */
export type CallPricing =
  | { kind: 'fixed'; worstCaseUsd: string }
  | {
      kind: 'tokens';
      /** Input token upper bound × input price, decimal USD. */
      inputWorstCaseUsd: string;
      outputUsdPerMTok: string;
      /** The model's own output cap. */
      maxOutputTokens: number;
      /** A try that cannot afford this many output tokens is not made. */
      minOutputTokens: number;
    };

/** The try a caller makes: its id (to charge it afterwards) and the output limit its request must carry. */
export interface AttemptTryHandle {
  id: string;
  number: number;
  /** The request's output-token limit; null for `fixed` pricing. */
  maxOutputTokens: number | null;
  reservedUsd: string;
}

export type BeginAttemptResult =
  /** A completed attempt exists (succeeded or failed): reuse it, never call again. */
  | { kind: 'completed'; attempt: Attempt }
  /**
   * Make the request of `try` now: a new `started` attempt, or one left `started` by a retried or
   * crashed job (`resumed`; a try of it left reserved by a crash was charged its reservation).
   */
  | { kind: 'proceed'; attempt: Attempt; resumed: boolean; try: AttemptTryHandle }
  /** The budget cannot pay this try; the attempt is settled failed (cost: its earlier tries), nothing reserved. */
  | { kind: 'over-budget'; attempt: Attempt };

/** How a try's charge was determined (attempt_tries.charge_basis). */
export type ChargeBasis =
  /** The provider's reported usage at list price (or replay's recorded cost). */
  | 'usage'
  /** Unknown what the provider billed (no usage, timeout, dropped connection): its reservation, an upper bound. */
  | 'reservation'
  /** The provider failed after reading the request (5xx): its input's upper bound. */
  | 'input'
  /** Rejected before any work (429, auth and validation 4xx, never sent): 0. */
  | 'not-billed'
  /** Left reserved by a worker that died or could not record it: its reservation. */
  | 'interrupted';

/** A try's charge. */
export interface TryCharge {
  chargedUsd: string;
  basis: ChargeBasis;
  errorCode?: string | null;
  providerRequestId?: string | null;
}

interface QueryBudgetRow {
  max_cost_usd: Prisma.Decimal | null;
  api_key_id: string | null;
  total_cost_usd: Prisma.Decimal;
  reserved_cost_usd: Prisma.Decimal;
}

/**
 * Reserves one try of a call before its provider request, in one transaction under the query's row
 * lock (then the API key's month row, always in that order): concurrent calls of one query, or of one
 * budgeted key, cannot both squeeze under the cap. The try's worst case is priced from what the query
 * (and key) may still commit — budget − charged − other reservations — so a `tokens`-priced request's
 * output limit is no larger than the budget can pay after its input; a try that does not fit is not
 * made and the attempt is settled failed. Idempotent on the attempt key: a settled attempt is reused.
 */
export async function beginAttempt(
  prisma: PrismaClient,
  key: AttemptKey,
  call: { model: string; provider: string; pricing: CallPricing },
): Promise<BeginAttemptResult> {
  return prisma.$transaction(async (tx) => {
    const budgetRows = await tx.$queryRaw<QueryBudgetRow[]>`
      SELECT max_cost_usd, api_key_id, total_cost_usd, reserved_cost_usd FROM queries WHERE id = ${key.queryId}::uuid FOR UPDATE`;
    const budget = budgetRows[0];
    if (!budget) throw new Error(`query ${key.queryId} does not exist`);

    const existing = await tx.attempt.findUnique({ where: { queryId_stage_role_slot: key } });
    if (existing && existing.outcome !== 'started') return { kind: 'completed', attempt: existing };
    // Every transaction that changes a try refreshes these columns under this lock, so they are exact.
    let totals = {
      charged: new Prisma.Decimal(budget.total_cost_usd),
      reserved: new Prisma.Decimal(budget.reserved_cost_usd),
    };
    if (existing) {
      // A try still reserved belongs to a job run that is gone (a crash, or an answer it could not
      // record): the provider may have billed it, so it is charged its reservation.
      const interrupted = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM attempt_tries WHERE attempt_id = ${existing.id}::uuid AND state = 'reserved'`;
      for (const row of interrupted) {
        await chargeTry(tx, row.id, { chargedUsd: 'reservation', basis: 'interrupted', errorCode: 'interrupted' });
      }
      if (interrupted.length > 0) {
        await refreshCosts(tx, key.queryId, null);
        totals = await queryTotals(tx, key.queryId);
      }
    }
    const queryRemaining =
      budget.max_cost_usd === null
        ? null
        : new Prisma.Decimal(budget.max_cost_usd).minus(totals.charged).minus(totals.reserved);
    const keyMonth = budget.api_key_id === null ? null : await lockKeyMonth(tx, budget.api_key_id);
    const remaining = smallest(queryRemaining, keyMonth?.remaining ?? null);

    const priced = priceTry(call.pricing, remaining);
    if (!priced.ok) {
      const keyShort = keyMonth !== null && (queryRemaining === null || keyMonth.remaining.lessThan(queryRemaining));
      const errorCode = keyShort ? 'key_budget_exceeded' : 'budget_exceeded';
      const errorMessage = `${priced.reason} (${keyShort ? `API key's monthly budget $${keyMonth.limit.toFixed()}` : `budget $${new Prisma.Decimal(budget.max_cost_usd ?? 0).toFixed()}, charged $${totals.charged.toFixed()}, reserved $${totals.reserved.toFixed()}`})`;
      let attempt: Attempt;
      if (existing) {
        await tx.attempt.update({
          where: { id: existing.id },
          data: { outcome: 'failed', errorCode, errorMessage, completedAt: new Date() },
        });
        await refreshCosts(tx, key.queryId, existing.id);
        attempt = await tx.attempt.findUniqueOrThrow({ where: { id: existing.id } });
      } else {
        attempt = await tx.attempt.create({
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
      }
      return { kind: 'over-budget', attempt };
    }

    const reservation = priced.reservationUsd;
    if (keyMonth !== null) {
      await tx.$executeRaw`
        UPDATE api_key_usage SET reserved_usd = reserved_usd + ${reservation}
        WHERE api_key_id = ${budget.api_key_id}::uuid AND month = ${keyMonth.month}`;
    }
    const attempt = existing
      ? await tx.attempt.update({
          where: { id: existing.id },
          data: { tries: { increment: 1 }, reservedUsd: reservation },
        })
      : await tx.attempt.create({
          data: {
            ...key,
            model: call.model,
            provider: call.provider,
            reservedUsd: reservation,
            keyBudgetMonth: keyMonth?.month ?? null,
          },
        });
    // `tries` counts the job runs that started this call: 1 for a new attempt, +1 on every resume.
    const created = await tx.attemptTry.create({
      data: {
        attemptId: attempt.id,
        queryId: key.queryId,
        number: attempt.tries,
        reservedUsd: reservation,
        maxOutputTokens: priced.maxOutputTokens,
        keyBudgetMonth: keyMonth?.month ?? null,
      },
    });
    await tx.$executeRaw`
      UPDATE queries SET reserved_cost_usd = reserved_cost_usd + ${reservation}, updated_at = now()
      WHERE id = ${key.queryId}::uuid`;
    return {
      kind: 'proceed',
      attempt,
      resumed: existing !== null,
      try: {
        id: created.id,
        number: created.number,
        maxOutputTokens: priced.maxOutputTokens,
        reservedUsd: reservation.toFixed(),
      },
    };
  }, LEDGER_TRANSACTION);
}

/**
 * Ledger transactions of one query (and of one budgeted key) queue on its row lock; under load a
 * caller may wait well past Prisma's 2 s default for a connection and its turn. Waiting is correct:
 * the lock is what keeps concurrent calls within the budget.
 */
const LEDGER_TRANSACTION = { maxWait: 15_000, timeout: 30_000 };

type PricedTry =
  | { ok: true; reservationUsd: Prisma.Decimal; maxOutputTokens: number | null }
  | { ok: false; reason: string };

function priceTry(pricing: CallPricing, remaining: Prisma.Decimal | null): PricedTry {
  if (pricing.kind === 'fixed') {
    const worstCase = new Prisma.Decimal(pricing.worstCaseUsd);
    if (remaining !== null && worstCase.greaterThan(remaining)) {
      return { ok: false, reason: `worst case $${worstCase.toFixed()} exceeds the $${remaining.toFixed()} left` };
    }
    return { ok: true, reservationUsd: worstCase, maxOutputTokens: null };
  }
  const limit = outputTokenLimit({
    remainingPicoUsd: remaining === null ? null : parseUsd(remaining.toFixed(12)),
    inputWorstCasePicoUsd: parseUsd(pricing.inputWorstCaseUsd),
    outputUsdPerMTok: pricing.outputUsdPerMTok,
    maxOutputTokens: pricing.maxOutputTokens,
    minOutputTokens: pricing.minOutputTokens,
  });
  if (!limit.ok) return { ok: false, reason: limit.reason };
  return {
    ok: true,
    reservationUsd: new Prisma.Decimal(formatUsd(limit.reservationPicoUsd)),
    maxOutputTokens: limit.maxOutputTokens,
  };
}

function smallest(a: Prisma.Decimal | null, b: Prisma.Decimal | null): Prisma.Decimal | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.lessThan(b) ? a : b;
}

/** Charged and reserved money of a query, summed by the database from its tries. */
async function queryTotals(
  tx: Prisma.TransactionClient,
  queryId: string,
): Promise<{ charged: Prisma.Decimal; reserved: Prisma.Decimal }> {
  const rows = await tx.$queryRaw<{ charged: Prisma.Decimal; reserved: Prisma.Decimal }[]>`
    SELECT COALESCE(SUM(charged_usd), 0) AS charged,
           COALESCE(SUM(reserved_usd) FILTER (WHERE state = 'reserved'), 0) AS reserved
    FROM attempt_tries WHERE query_id = ${queryId}::uuid`;
  const row = rows[0];
  return { charged: new Prisma.Decimal(row?.charged ?? 0), reserved: new Prisma.Decimal(row?.reserved ?? 0) };
}

/**
 * Recomputes from the tries: the query's total (every charge) and open reservation, and the cost of a
 * settled attempt (its tries' charges). Called in every transaction that reserves or charges a try.
 */
async function refreshCosts(tx: Prisma.TransactionClient, queryId: string, attemptId: string | null): Promise<void> {
  if (attemptId !== null) {
    await tx.$executeRaw`
      UPDATE attempts SET cost_usd = (SELECT COALESCE(SUM(charged_usd), 0) FROM attempt_tries WHERE attempt_id = ${attemptId}::uuid)
      WHERE id = ${attemptId}::uuid AND outcome <> 'started'`;
  }
  await tx.$executeRaw`
    UPDATE queries SET
      total_cost_usd = (SELECT COALESCE(SUM(charged_usd), 0) FROM attempt_tries WHERE query_id = ${queryId}::uuid),
      reserved_cost_usd = (SELECT COALESCE(SUM(reserved_usd), 0) FROM attempt_tries WHERE query_id = ${queryId}::uuid AND state = 'reserved'),
      updated_at = now()
    WHERE id = ${queryId}::uuid`;
}

/**
 * Charges a reserved try (`chargedUsd: 'reservation'` = its reservation) and moves a budgeted key's
 * share from reserved to spent. A try already charged keeps its charge (returns false).
 */
async function chargeTry(
  tx: Prisma.TransactionClient,
  tryId: string,
  charge: Omit<TryCharge, 'chargedUsd'> & { chargedUsd: string | 'reservation' },
): Promise<boolean> {
  const charged = charge.chargedUsd === 'reservation' ? null : new Prisma.Decimal(charge.chargedUsd);
  const updated = await tx.$queryRaw<
    { query_id: string; reserved_usd: Prisma.Decimal; charged_usd: Prisma.Decimal; key_budget_month: Date | null }[]
  >`
    UPDATE attempt_tries SET
      state = 'charged',
      charged_usd = COALESCE(${charged}::numeric, reserved_usd),
      charge_basis = ${charge.basis},
      error_code = ${charge.errorCode ?? null},
      provider_request_id = ${charge.providerRequestId ?? null},
      charged_at = now()
    WHERE id = ${tryId}::uuid AND state = 'reserved'
    RETURNING query_id, reserved_usd, charged_usd, key_budget_month`;
  const row = updated[0];
  if (!row) return false;
  if (row.key_budget_month !== null) {
    await tx.$executeRaw`
      UPDATE api_key_usage SET
        reserved_usd = GREATEST(reserved_usd - ${row.reserved_usd}, 0),
        spent_usd = spent_usd + ${row.charged_usd}
      WHERE api_key_id = (SELECT api_key_id FROM queries WHERE id = ${row.query_id}::uuid)
        AND month = ${row.key_budget_month}`;
  }
  return true;
}

/**
 * Locks a budgeted API key's row of the current month (after the query row: every ledger transaction
 * takes the query first, then the usage row, so they cannot deadlock) and says what it may still
 * commit. Keys without a budget take no lock: their spend is summed from the ledger when listed.
 */
async function lockKeyMonth(
  tx: Prisma.TransactionClient,
  apiKeyId: string,
): Promise<{ month: Date; limit: Prisma.Decimal; remaining: Prisma.Decimal } | null> {
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
  const total = new Prisma.Decimal(limit);
  return { month: row.month, limit: total, remaining: total.minus(row.spent_usd).minus(row.reserved_usd) };
}

/**
 * Charges a try whose request failed with a retryable error while the attempt goes on (the job retries
 * it as a new try). Under the query's lock; the query total follows. Returns false if already charged.
 */
export async function chargeAttemptTry(prisma: PrismaClient, tryId: string, charge: TryCharge): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ query_id: string; attempt_id: string }[]>`
      SELECT query_id, attempt_id FROM attempt_tries WHERE id = ${tryId}::uuid`;
    const row = rows[0];
    if (!row) throw new Error(`attempt try ${tryId} does not exist`);
    await tx.$queryRaw`SELECT 1 FROM queries WHERE id = ${row.query_id}::uuid FOR UPDATE`;
    const done = await chargeTry(tx, tryId, charge);
    await refreshCosts(tx, row.query_id, row.attempt_id);
    return done;
  }, LEDGER_TRANSACTION);
}

export interface AttemptSettlement {
  outcome: 'succeeded' | 'failed';
  /** The charge of the attempt's last try (the one this job made), if it made one. */
  try?: { id: string } & TryCharge;
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
 * Completes a started attempt: charges its last try, sets its cost to the sum of its tries' charges
 * and recomputes the query's total and reservation from the tries, in one transaction under the
 * query's lock. A second settlement of the same attempt changes nothing but still records a charge
 * its try did not have yet (money is never dropped); it returns false.
 */
export async function settleAttempt(prisma: PrismaClient, attemptId: string, settlement: AttemptSettlement) {
  return prisma.$transaction(async (tx) => {
    // Settlements of one query are serialised on its row: the totals below are fresh SUMs taken after
    // the lock, so two calls settling at once cannot each miss the other's cost.
    const owners = await tx.$queryRaw<{ query_id: string }[]>`
      SELECT id::text AS query_id FROM queries WHERE id = (SELECT query_id FROM attempts WHERE id = ${attemptId}::uuid) FOR UPDATE`;
    const queryId = owners[0]?.query_id;
    if (queryId === undefined) throw new Error(`attempt ${attemptId} does not exist`);
    if (settlement.try !== undefined) await chargeTry(tx, settlement.try.id, settlement.try);
    const updated = await tx.$queryRaw<{ id: string }[]>`
      UPDATE attempts SET outcome = ${settlement.outcome}::"AttemptOutcome", completed_at = now()
      WHERE id = ${attemptId}::uuid AND outcome = 'started'
      RETURNING id`;
    if (updated.length === 1) {
      await tx.attempt.update({
        where: { id: attemptId },
        data: {
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
    }
    await refreshCosts(tx, queryId, attemptId);
    return updated.length === 1;
  }, LEDGER_TRANSACTION);
}

/** The tries of an attempt, oldest first. */
export function listAttemptTries(prisma: PrismaClient, attemptId: string) {
  return prisma.attemptTry.findMany({ where: { attemptId }, orderBy: { number: 'asc' } });
}

/** Every attempt of a query, in ledger order. */
export function listAttempts(prisma: PrismaClient, queryId: string): Promise<Attempt[]> {
  return prisma.attempt.findMany({
    where: { queryId },
    orderBy: [{ stage: 'asc' }, { role: 'asc' }, { slot: 'asc' }],
  });
}
