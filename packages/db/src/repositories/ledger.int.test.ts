import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../client.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { type BeginAttemptResult, beginAttempt, type CallPricing, chargeAttemptTry, settleAttempt } from './ledger.js';

let database: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_ledger' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 8 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

const fixed = (worstCaseUsd: string): { model: string; provider: string; pricing: CallPricing } => ({
  model: 'm',
  provider: 'sim',
  pricing: { kind: 'fixed', worstCaseUsd },
});
/** Input worst case $0.001, output $10 per 1M tokens (1e-5 per token), cap 4096, floor 16. */
const tokens = (overrides: Partial<Extract<CallPricing, { kind: 'tokens' }>> = {}) => ({
  model: 'm',
  provider: 'openai',
  pricing: {
    kind: 'tokens' as const,
    inputWorstCaseUsd: '0.001',
    outputUsdPerMTok: '10',
    maxOutputTokens: 4096,
    minOutputTokens: 16,
    ...overrides,
  },
});

function proceeded(result: BeginAttemptResult) {
  if (result.kind !== 'proceed') throw new Error(`expected proceed, got ${result.kind}`);
  return result;
}

/** The attempt of a result that made no new try (completed or over budget). */
function settledOf(result: BeginAttemptResult) {
  if (result.kind === 'proceed') throw new Error('expected no new try');
  return result.attempt;
}

async function money(queryId: string) {
  const query = await prisma.query.findUniqueOrThrow({ where: { id: queryId } });
  return { total: query.totalCostUsd.toFixed(), reserved: query.reservedCostUsd.toFixed() };
}

describe('ledger', () => {
  it('refuses a call whose worst case the remaining budget cannot cover, and records why', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: '0.010' } });
    const first = proceeded(
      await beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'answer', slot: 0 }, fixed('0.006')),
    );
    // 0.006 reserved + 0.006 > 0.010: refused before any provider call.
    const second = await beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'judge', slot: 0 }, fixed('0.006'));
    expect(second.kind).toBe('over-budget');
    expect(second.attempt).toMatchObject({ outcome: 'failed', errorCode: 'budget_exceeded' });

    // Settling at the actual cost releases the reservation, so a later call fits again.
    await settleAttempt(prisma, first.attempt.id, {
      outcome: 'succeeded',
      try: { id: first.try.id, chargedUsd: '0.001', basis: 'usage' },
    });
    expect(await money(query.id)).toEqual({ total: '0.001', reserved: '0' });
    const third = await beginAttempt(prisma, { queryId: query.id, stage: 1, role: 'answer', slot: 0 }, fixed('0.006'));
    expect(third.kind).toBe('proceed');
  });

  it('reuses a settled attempt instead of starting the call again, and settles only once', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p' } });
    const key = { queryId: query.id, stage: 0, role: 'answer' as const, slot: 0 };
    const begun = proceeded(await beginAttempt(prisma, key, fixed('0.01')));
    const charge = { id: begun.try.id, chargedUsd: '0.002', basis: 'usage' as const };
    expect(await settleAttempt(prisma, begun.attempt.id, { outcome: 'succeeded', try: charge })).toBe(true);
    expect(await settleAttempt(prisma, begun.attempt.id, { outcome: 'succeeded', try: charge })).toBe(false);
    const again = await beginAttempt(prisma, key, fixed('0.01'));
    expect(again.kind).toBe('completed');
    expect(await money(query.id)).toEqual({ total: '0.002', reserved: '0' });
  });

  it('keeps the query total equal to the sum of its attempts when many calls settle at once', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p' } });
    const begun = await Promise.all(
      Array.from({ length: 12 }, (_, slot) =>
        beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'judge', slot }, fixed('0.5')),
      ),
    );
    await Promise.all(
      begun.map((result, index) =>
        settleAttempt(prisma, result.attempt.id, {
          outcome: 'succeeded',
          try: {
            id: proceeded(result).try.id,
            chargedUsd: `0.0000${String(index + 1).padStart(2, '0')}`,
            basis: 'usage',
          },
        }),
      ),
    );
    // 1+2+…+12 = 78 micro-dollars.
    expect(await money(query.id)).toEqual({ total: '0.000078', reserved: '0' });
  });

  it('gives a token-priced try the output limit the remaining budget can pay after its input', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: '0.005' } });
    // $0.005 left − $0.001 input = $0.004 = 400 tokens at $10/M.
    const first = proceeded(
      await beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'answer', slot: 0 }, tokens()),
    );
    expect(first.try).toMatchObject({ number: 1, maxOutputTokens: 400, reservedUsd: '0.005' });
    // Nothing left for a second call while the first is reserved: not made.
    const second = await beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'judge', slot: 0 }, tokens());
    expect(second.kind).toBe('over-budget');
    expect(settledOf(second).errorMessage).toMatch(/the input alone may cost \$0\.001, more than the \$0 left/);
    // The model's own cap wins when the budget allows more; below the floor the call is refused.
    const roomy = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: '1' } });
    const capped = proceeded(
      await beginAttempt(
        prisma,
        { queryId: roomy.id, stage: 0, role: 'answer', slot: 0 },
        tokens({ maxOutputTokens: 700 }),
      ),
    );
    expect(capped.try.maxOutputTokens).toBe(700);
    const tight = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: '0.00115' } });
    const refused = await beginAttempt(prisma, { queryId: tight.id, stage: 0, role: 'answer', slot: 0 }, tokens());
    expect(settledOf(refused).errorMessage).toMatch(/15 output tokens after the input, fewer than the 16/);
  });

  it('charges every try: a retried call costs the sum of its tries, each reserved before its request', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: '0.03' } });
    const key = { queryId: query.id, stage: 0, role: 'answer' as const, slot: 0 };
    // Try 1 times out after the request was sent: charged its reservation (an upper bound).
    const one = proceeded(await beginAttempt(prisma, key, fixed('0.01')));
    await chargeAttemptTry(prisma, one.try.id, {
      chargedUsd: one.try.reservedUsd,
      basis: 'reservation',
      errorCode: 'timeout',
    });
    expect(await money(query.id)).toEqual({ total: '0.01', reserved: '0' });
    // Try 2 is rate limited: not billed.
    const two = proceeded(await beginAttempt(prisma, key, fixed('0.01')));
    expect(two).toMatchObject({ resumed: true, try: { number: 2 } });
    await chargeAttemptTry(prisma, two.try.id, { chargedUsd: '0', basis: 'not-billed', errorCode: 'rate_limit' });
    // Try 3 answers.
    const three = proceeded(await beginAttempt(prisma, key, fixed('0.01')));
    await settleAttempt(prisma, three.attempt.id, {
      outcome: 'succeeded',
      try: { id: three.try.id, chargedUsd: '0.004', basis: 'usage' },
    });
    const attempt = await prisma.attempt.findUniqueOrThrow({
      where: { id: one.attempt.id },
      include: { providerTries: true },
    });
    expect(attempt.costUsd?.toFixed()).toBe('0.014');
    expect(attempt.tries).toBe(3);
    expect(attempt.providerTries.map((row) => [row.number, row.chargedUsd?.toFixed(), row.chargeBasis])).toEqual([
      [1, '0.01', 'reservation'],
      [2, '0', 'not-billed'],
      [3, '0.004', 'usage'],
    ]);
    expect(await money(query.id)).toEqual({ total: '0.014', reserved: '0' });
  });

  it('charges a try left reserved by a crashed worker its reservation, and refuses a try the budget no longer covers', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: '0.015' } });
    const key = { queryId: query.id, stage: 0, role: 'answer' as const, slot: 0 };
    const crashed = proceeded(await beginAttempt(prisma, key, fixed('0.01')));
    // The worker died mid-request: the next job run finds try 1 still reserved.
    const refused = await beginAttempt(prisma, key, fixed('0.01'));
    expect(refused.kind).toBe('over-budget');
    expect(refused.attempt).toMatchObject({ outcome: 'failed', errorCode: 'budget_exceeded' });
    expect(settledOf(refused).costUsd?.toFixed()).toBe('0.01');
    const tries = await prisma.attemptTry.findMany({ where: { attemptId: crashed.attempt.id } });
    expect(tries.map((row) => [row.state, row.chargeBasis, row.chargedUsd?.toFixed()])).toEqual([
      ['charged', 'interrupted', '0.01'],
    ]);
    expect(await money(query.id)).toEqual({ total: '0.01', reserved: '0' });
  });

  it('resumes a call whose worker died: the lost try is charged, the new try reserved, the totals exact', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: '0.05' } });
    const key = { queryId: query.id, stage: 0, role: 'answer' as const, slot: 0 };
    proceeded(await beginAttempt(prisma, key, fixed('0.01')));
    const resumed = proceeded(await beginAttempt(prisma, key, fixed('0.01')));
    expect(resumed).toMatchObject({ resumed: true, try: { number: 2 } });
    expect(await money(query.id)).toEqual({ total: '0.01', reserved: '0.01' });
    await settleAttempt(prisma, resumed.attempt.id, {
      outcome: 'succeeded',
      try: { id: resumed.try.id, chargedUsd: '0.003', basis: 'usage' },
    });
    expect(await money(query.id)).toEqual({ total: '0.013', reserved: '0' });
    const attempt = await prisma.attempt.findUniqueOrThrow({ where: { id: resumed.attempt.id } });
    expect(attempt).toMatchObject({ tries: 2, outcome: 'succeeded' });
    expect(attempt.costUsd?.toFixed()).toBe('0.013');
  });

  it('never commits more than the budget while many token-priced tries of one query reserve at once', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: '0.02' } });
    const begun = await Promise.all(
      Array.from({ length: 16 }, (_, slot) =>
        beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'judge', slot }, tokens({ maxOutputTokens: 300 })),
      ),
    );
    // Each try: $0.001 input + 300 × $0.00001 = $0.004 → 5 fit in $0.02.
    const made = begun.flatMap((result) => (result.kind === 'proceed' ? [result] : []));
    expect(made).toHaveLength(5);
    expect(await money(query.id)).toEqual({ total: '0', reserved: '0.02' });
    // Every one talks to its limit and bills its full worst case: still within budget.
    await Promise.all(
      made.map((result) =>
        settleAttempt(prisma, result.attempt.id, {
          outcome: 'succeeded',
          try: { id: result.try.id, chargedUsd: result.try.reservedUsd, basis: 'usage' },
        }),
      ),
    );
    expect(await money(query.id)).toEqual({ total: '0.02', reserved: '0' });
  });
});
