import { randomUUID } from 'node:crypto';
import { callJsonBatch, poolStatementBatcher } from '../batching/batcher.js';
import { type PrismaClient, sqlPool } from '../client.js';
import type { Attempt } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { type DecisionState, type DecisionStateJson, decisionStateFromJson } from './pipeline-reads.js';

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
  | { kind: 'proceed'; attempt: Pick<Attempt, 'id' | 'tries'>; resumed: boolean; try: AttemptTryHandle }
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

/**
 * Reserves one try of a call before its provider request, in one transaction under the query's row
 * lock (then the API key's month row, always in that order): concurrent calls of one query, or of one
 * budgeted key, cannot both squeeze under the cap. The try's worst case is priced from what the query
 * (and key) may still commit — budget − charged − other reservations — so a `tokens`-priced request's
 * output limit is no larger than the budget can pay after its input; a try that does not fit is not
 * made and the attempt is settled failed. Idempotent on the attempt key: a settled attempt is reused.
 * A try still reserved when its attempt is resumed belongs to a job run that is gone (a crash, or an
 * answer it could not record): it is charged its reservation (`interrupted`) first.
 *
 * One round trip: the server-side function `switchyard_begin_try` (migration 20261129190000).
 */
export async function beginAttempt(
  prisma: PrismaClient,
  key: AttemptKey,
  call: { model: string; provider: string; pricing: CallPricing },
): Promise<BeginAttemptResult> {
  const pool = sqlPool(prisma);
  const pricing = call.pricing;
  const begin = poolStatementBatcher<BeginItem, BeginRow>(pool, 'beginAttempt', () => ({
    maxBatch: LEDGER_BATCH,
    async one(item) {
      const { rows } = await pool.query<BeginRow>({
        name: 'switchyard_begin_try',
        text: 'SELECT * FROM switchyard_begin_try($1, $2, $3::"AttemptRole", $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)',
        values: [
          item.query,
          item.stage,
          item.role,
          item.slot,
          item.model,
          item.provider,
          item.attempt,
          item.try,
          item.fixed,
          item.input,
          item.outputPerMTok,
          item.maxOutput,
          item.minOutput,
        ],
      });
      const row = rows[0];
      if (!row) throw new Error(`beginAttempt: no result for query ${item.query}`);
      return row;
    },
    many: (items) => callJsonBatch<BeginRow>(pool, 'switchyard_begin_tries', items),
  }));
  const row = await begin({
    query: key.queryId,
    stage: key.stage,
    role: key.role,
    slot: key.slot,
    model: call.model,
    provider: call.provider,
    attempt: randomUUID(),
    try: randomUUID(),
    fixed: pricing.kind === 'fixed' ? decimalText(pricing.worstCaseUsd) : null,
    input: pricing.kind === 'tokens' ? decimalText(pricing.inputWorstCaseUsd) : null,
    outputPerMTok: pricing.kind === 'tokens' ? decimalText(pricing.outputUsdPerMTok) : null,
    maxOutput: pricing.kind === 'tokens' ? pricing.maxOutputTokens : null,
    minOutput: pricing.kind === 'tokens' ? pricing.minOutputTokens : null,
  });
  if (row.kind === 'proceed') {
    if (row.try_id === null || row.try_number === null || row.reserved_usd === null) {
      throw new Error('beginAttempt: incomplete try');
    }
    return {
      kind: 'proceed',
      attempt: { id: row.attempt_id, tries: row.try_number },
      resumed: row.resumed,
      try: {
        id: row.try_id,
        number: row.try_number,
        maxOutputTokens: row.max_output_tokens,
        reservedUsd: row.reserved_usd,
      },
    };
  }
  const attempt = await readAttempt(prisma, row.attempt_id);
  if (attempt === null) throw new Error(`beginAttempt: attempt ${row.attempt_id} vanished`);
  return { kind: row.kind, attempt };
}

/** Most calls one ledger statement reserves or settles (the rest wait for the next batch). */
const LEDGER_BATCH = 64;

/** One reservation as `switchyard_begin_try` (and, in a JSON array, `switchyard_begin_tries`) takes it. */
interface BeginItem {
  query: string;
  stage: number;
  role: AttemptKey['role'];
  slot: number;
  model: string;
  provider: string;
  attempt: string;
  try: string;
  fixed: string | null;
  input: string | null;
  outputPerMTok: string | null;
  maxOutput: number | null;
  minOutput: number | null;
}

interface BeginRow {
  kind: 'completed' | 'proceed' | 'over-budget';
  attempt_id: string;
  resumed: boolean;
  try_id: string | null;
  try_number: number | null;
  max_output_tokens: number | null;
  reserved_usd: string | null;
}

/** A decimal as the functions take it: plain notation, never exponent form. */
function decimalText(value: string): string {
  return /e/i.test(value) ? new Prisma.Decimal(value).toFixed() : value;
}

/**
 * Charges a try whose request failed with a retryable error while the attempt goes on (the job retries
 * it as a new try). Under the query's lock; the query total follows. Returns false if already charged.
 */
export async function chargeAttemptTry(prisma: PrismaClient, tryId: string, charge: TryCharge): Promise<boolean> {
  const { rows } = await sqlPool(prisma).query<{ done: boolean }>({
    name: 'switchyard_charge_attempt_try',
    text: 'SELECT switchyard_charge_attempt_try($1, $2, $3, $4, $5) AS done',
    values: [
      tryId,
      decimalText(charge.chargedUsd),
      charge.basis,
      charge.errorCode ?? null,
      charge.providerRequestId ?? null,
    ],
  });
  return rows[0]?.done === true;
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
 * its try did not have yet (money is never dropped); it returns false. One round trip
 * (`switchyard_settle_attempt`).
 */
export async function settleAttempt(
  prisma: PrismaClient,
  attemptId: string,
  settlement: AttemptSettlement,
): Promise<boolean> {
  const { rows } = await sqlPool(prisma).query<{ settled: boolean }>({
    name: 'switchyard_settle_attempt',
    text: `SELECT switchyard_settle_attempt(${SETTLE_PARAMETERS}) AS settled`,
    values: settleValues(attemptId, settlement),
  });
  return rows[0]?.settled === true;
}

/**
 * {@link settleAttempt}, returning the attempt as it stands after it (settled by this call or by an
 * earlier one) and, `withState`, its query's decision state after it: still one round trip
 * (`switchyard_settle_and_read`, migration 20261129230000).
 */
export async function settleAttemptAndRead(
  prisma: PrismaClient,
  attemptId: string,
  settlement: AttemptSettlement,
  options: { withState?: boolean } = {},
): Promise<{ settled: boolean; attempt: Attempt; state?: DecisionState }> {
  const pool = sqlPool(prisma);
  const settle = poolStatementBatcher<SettleItem, SettleResult>(pool, 'settleAttemptAndRead', () => ({
    maxBatch: LEDGER_BATCH,
    async one(item) {
      const { rows } = await pool.query<{ result: SettleResult }>({
        name: 'switchyard_settle_and_read',
        text: `SELECT switchyard_settle_and_read(${SETTLE_PARAMETERS}, $18) AS result`,
        values: [...settleValues(item.attemptId, item.settlement), item.withState],
      });
      return rows[0]?.result ?? { settled: false, attempt: null };
    },
    many: async (items) =>
      (
        await callJsonBatch<{ result: SettleResult }>(pool, 'switchyard_settle_and_read_many', items.map(settleJson))
      ).map((row) => row.result),
  }));
  const result = await settle({ attemptId, settlement, withState: options.withState === true });
  if (result?.attempt == null) throw new Error(`settleAttemptAndRead: attempt ${attemptId} does not exist`);
  return {
    settled: result.settled,
    attempt: attemptFromJson(result.attempt),
    ...(result.state == null ? {} : { state: decisionStateFromJson(result.state) }),
  };
}

interface SettleItem {
  attemptId: string;
  settlement: AttemptSettlement;
  withState: boolean;
}

type SettleResult = { settled: boolean; attempt: AttemptJson | null; state?: DecisionStateJson | null };

const SETTLE_PARAMETERS =
  '$1, $2::"AttemptOutcome", $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17';

/** A settlement as the settle functions take it: by name in a batch's JSON, in this order as parameters. */
function settleJson({ attemptId, settlement, withState }: SettleItem) {
  const charge = settlement.try;
  return {
    attempt: attemptId,
    outcome: settlement.outcome,
    try: charge?.id ?? null,
    charged: charge === undefined ? null : decimalText(charge.chargedUsd),
    basis: charge?.basis ?? null,
    tryErrorCode: charge?.errorCode ?? null,
    tryRequestId: charge?.providerRequestId ?? null,
    inputTokens: settlement.inputTokens ?? null,
    outputTokens: settlement.outputTokens ?? null,
    latencyMs: settlement.latencyMs ?? null,
    providerRequestId: settlement.providerRequestId ?? null,
    output: settlement.output ?? null,
    errorCode: settlement.errorCode ?? null,
    errorMessage: settlement.errorMessage ?? null,
    score: settlement.score ?? null,
    detail: settlement.detail ?? null,
    setDetail: settlement.detail !== undefined,
    withState,
  };
}

/** The parameters $1-$17 of `switchyard_settle_attempt` (and $1-$17 of `switchyard_settle_and_read`). */
function settleValues(attemptId: string, settlement: AttemptSettlement): unknown[] {
  const p = settleJson({ attemptId, settlement, withState: false });
  return [
    p.attempt,
    p.outcome,
    p.try,
    p.charged,
    p.basis,
    p.tryErrorCode,
    p.tryRequestId,
    p.inputTokens,
    p.outputTokens,
    p.latencyMs,
    p.providerRequestId,
    p.output,
    p.errorCode,
    p.errorMessage,
    p.score,
    p.detail === null ? null : JSON.stringify(p.detail),
    p.setDetail,
  ];
}

/** The columns of an attempt as {@link attemptFromRow} reads them (money as text: exact). */
const ATTEMPT_COLUMNS = `id, query_id, stage, role::text AS role, slot, model, provider, provider_request_id,
  input_tokens, output_tokens, cost_usd::text AS cost_usd, reserved_usd::text AS reserved_usd, latency_ms,
  outcome::text AS outcome, error_code, error_message, score, output, detail,
  key_budget_month::text AS key_budget_month, tries, started_at, completed_at`;

interface AttemptRow {
  id: string;
  query_id: string;
  stage: number;
  role: Attempt['role'];
  slot: number;
  model: string;
  provider: string;
  provider_request_id: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: string | null;
  reserved_usd: string | null;
  latency_ms: number | null;
  outcome: Attempt['outcome'];
  error_code: string | null;
  error_message: string | null;
  score: number | null;
  output: string | null;
  detail: Prisma.JsonValue | null;
  key_budget_month: string | null;
  tries: number;
  started_at: Date;
  completed_at: Date | null;
}

function attemptFromRow(row: AttemptRow): Attempt {
  return {
    id: row.id,
    queryId: row.query_id,
    stage: row.stage,
    role: row.role,
    slot: row.slot,
    model: row.model,
    provider: row.provider,
    providerRequestId: row.provider_request_id,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd === null ? null : new Prisma.Decimal(row.cost_usd),
    reservedUsd: row.reserved_usd === null ? null : new Prisma.Decimal(row.reserved_usd),
    latencyMs: row.latency_ms,
    outcome: row.outcome,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    score: row.score,
    output: row.output,
    detail: row.detail,
    keyBudgetMonth: row.key_budget_month === null ? null : new Date(`${row.key_budget_month}T00:00:00.000Z`),
    tries: row.tries,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

/** An attempt as `switchyard_attempt_json` writes it: the row's columns, timestamps as ISO text. */
export type AttemptJson = Omit<AttemptRow, 'started_at' | 'completed_at'> & {
  started_at: string;
  completed_at: string | null;
};

export function attemptFromJson(json: AttemptJson): Attempt {
  return attemptFromRow({
    ...json,
    started_at: new Date(json.started_at),
    completed_at: json.completed_at === null ? null : new Date(json.completed_at),
  });
}

/** One attempt by id (null if there is none). */
export async function readAttempt(prisma: PrismaClient, attemptId: string): Promise<Attempt | null> {
  const { rows } = await sqlPool(prisma).query<AttemptRow>({
    name: 'switchyard_read_attempt',
    text: `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE id = $1`,
    values: [attemptId],
  });
  return rows[0] === undefined ? null : attemptFromRow(rows[0]);
}

/** The attempt of a ledger key (null if there is none). */
export async function readAttemptByKey(prisma: PrismaClient, key: AttemptKey): Promise<Attempt | null> {
  const { rows } = await sqlPool(prisma).query<AttemptRow>({
    name: 'switchyard_read_attempt_by_key',
    text: `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE query_id = $1 AND stage = $2 AND role = $3::"AttemptRole" AND slot = $4`,
    values: [key.queryId, key.stage, key.role, key.slot],
  });
  return rows[0] === undefined ? null : attemptFromRow(rows[0]);
}

/** The tries of an attempt, oldest first. */
export function listAttemptTries(prisma: PrismaClient, attemptId: string) {
  return prisma.attemptTry.findMany({ where: { attemptId }, orderBy: { number: 'asc' } });
}

/** Every attempt of a query, in ledger order (stage, role, slot). */
export async function listAttempts(prisma: PrismaClient, queryId: string): Promise<Attempt[]> {
  const { rows } = await sqlPool(prisma).query<AttemptRow>({
    name: 'switchyard_list_attempts',
    text: `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE query_id = $1 ORDER BY stage, role, slot`,
    values: [queryId],
  });
  return rows.map(attemptFromRow);
}
