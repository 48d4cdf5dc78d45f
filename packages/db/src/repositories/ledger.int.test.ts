import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../client.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { beginAttempt, settleAttempt } from './ledger.js';

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

const call = { model: 'm', provider: 'sim' };

describe('ledger', () => {
  it('refuses a call whose worst case the remaining budget cannot cover, and records why', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: '0.010' } });
    const first = await beginAttempt(
      prisma,
      { queryId: query.id, stage: 0, role: 'answer', slot: 0 },
      { ...call, worstCaseUsd: '0.006' },
    );
    expect(first.kind).toBe('proceed');
    // 0.006 reserved + 0.006 > 0.010: refused before any provider call.
    const second = await beginAttempt(
      prisma,
      { queryId: query.id, stage: 0, role: 'judge', slot: 0 },
      { ...call, worstCaseUsd: '0.006' },
    );
    expect(second.kind).toBe('over-budget');
    expect(second.attempt).toMatchObject({ outcome: 'failed', errorCode: 'budget_exceeded' });

    // Settling at the actual cost releases the reservation, so a later call fits again.
    if (first.kind !== 'proceed') return;
    await settleAttempt(prisma, first.attempt.id, { outcome: 'succeeded', costUsd: '0.001' });
    const after = await prisma.query.findUniqueOrThrow({ where: { id: query.id } });
    expect(after.reservedCostUsd.toFixed()).toBe('0');
    expect(after.totalCostUsd.toFixed()).toBe('0.001');
    const third = await beginAttempt(
      prisma,
      { queryId: query.id, stage: 1, role: 'answer', slot: 0 },
      { ...call, worstCaseUsd: '0.006' },
    );
    expect(third.kind).toBe('proceed');
  });

  it('reuses a settled attempt instead of starting the call again, and settles only once', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p' } });
    const key = { queryId: query.id, stage: 0, role: 'answer' as const, slot: 0 };
    const begun = await beginAttempt(prisma, key, { ...call, worstCaseUsd: '0.01' });
    if (begun.kind !== 'proceed') throw new Error('expected proceed');
    expect(await settleAttempt(prisma, begun.attempt.id, { outcome: 'succeeded', costUsd: '0.002' })).toBe(true);
    expect(await settleAttempt(prisma, begun.attempt.id, { outcome: 'succeeded', costUsd: '0.002' })).toBe(false);
    const again = await beginAttempt(prisma, key, { ...call, worstCaseUsd: '0.01' });
    expect(again.kind).toBe('completed');
    const total = await prisma.query.findUniqueOrThrow({ where: { id: query.id } });
    expect(total.totalCostUsd.toFixed()).toBe('0.002');
  });

  it('keeps the query total equal to the sum of its attempts when many calls settle at once', async () => {
    const query = await prisma.query.create({ data: { prompt: 'p' } });
    const begun = await Promise.all(
      Array.from({ length: 12 }, (_, slot) =>
        beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'judge', slot }, { ...call, worstCaseUsd: '0.5' }),
      ),
    );
    await Promise.all(
      begun.map((result, index) =>
        settleAttempt(prisma, result.attempt.id, {
          outcome: 'succeeded',
          costUsd: `0.0000${String(index + 1).padStart(2, '0')}`,
        }),
      ),
    );
    const after = await prisma.query.findUniqueOrThrow({ where: { id: query.id } });
    // 1+2+…+12 = 78 micro-dollars.
    expect(after.totalCostUsd.toFixed()).toBe('0.000078');
    expect(after.reservedCostUsd.toFixed()).toBe('0');
  });
});
