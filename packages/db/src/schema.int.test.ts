import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from './client.js';
import { Prisma } from './generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from './testing/index.js';

let database: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_schema' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 4 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

describe('schema', () => {
  it('holds one attempt per (query, stage, role, slot)', async () => {
    const query = await prisma.query.create({ data: { prompt: 'What is 2+2?' } });
    const key = { queryId: query.id, stage: 0, role: 'answer' as const, slot: 0 };
    await prisma.attempt.create({ data: { ...key, model: 'm1', provider: 'sim' } });

    const duplicate = prisma.attempt.create({ data: { ...key, model: 'm1', provider: 'sim' } });
    await expect(duplicate).rejects.toMatchObject({ code: 'P2002' });

    // Same query and stage, other role or slot: distinct calls, both allowed.
    await prisma.attempt.create({ data: { ...key, role: 'judge', model: 'j', provider: 'sim' } });
    await prisma.attempt.create({ data: { ...key, slot: 1, model: 'm2', provider: 'sim' } });
    expect(await prisma.attempt.count({ where: { queryId: query.id } })).toBe(3);
  });

  it('stores costs as exact decimals and sums them in the database', async () => {
    const query = await prisma.query.create({ data: { prompt: 'sum' } });
    const costs = ['0.000000100000', '0.000000200000', '0.000123456789'];
    for (const [slot, costUsd] of costs.entries()) {
      await prisma.attempt.create({
        data: { queryId: query.id, stage: 0, role: 'answer', slot, model: 'm', provider: 'sim', costUsd },
      });
    }
    const total = await prisma.attempt.aggregate({ where: { queryId: query.id }, _sum: { costUsd: true } });
    expect(total._sum.costUsd?.toFixed(12)).toBe('0.000123756789');
    // 0.1 + 0.2 in binary floats is 0.30000000000000004; the ledger must not drift like that.
    expect(new Prisma.Decimal('0.1').plus('0.2').toString()).toBe('0.3');
  });

  it('rejects a second query with the same idempotency key', async () => {
    await prisma.query.create({ data: { prompt: 'a', idempotencyKey: 'anon:k1' } });
    await expect(prisma.query.create({ data: { prompt: 'b', idempotencyKey: 'anon:k1' } })).rejects.toMatchObject({
      code: 'P2002',
    });
  });
});
