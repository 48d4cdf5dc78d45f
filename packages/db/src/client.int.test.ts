import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from './client.js';
import { createTestDatabase, type TestDatabase } from './testing/index.js';

let database: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_client' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 2 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

/** Terminates every other connection to the test database, as a server restart does. */
async function dropConnections(): Promise<number> {
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    const result = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return result.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('createPrismaClient', () => {
  it('gets its pool back after transactions whose connections died (no leaked connections)', async () => {
    // Fill the whole pool (2) with open transactions, then cut their connections under them.
    let entered = 0;
    let release: () => void = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transactions = Array.from({ length: 2 }, () =>
      prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT 1`;
        entered += 1;
        await hold;
        await tx.$executeRaw`SELECT 2`;
      }),
    );
    while (entered < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await dropConnections()).toBeGreaterThanOrEqual(2);
    release();
    const outcomes = await Promise.allSettled(transactions);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);

    // Both pooled connections were in failed transactions; the pool must hand out fresh ones.
    const answer = await Promise.race([
      prisma.$queryRaw<{ one: number }[]>`SELECT 1 AS one`,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the pool is stuck: leaked connections')), 5_000)),
    ]);
    expect(answer).toEqual([{ one: 1 }]);
    // And again, with both slots: nothing is still held.
    const both = await Promise.all([prisma.$queryRaw`SELECT 1`, prisma.$queryRaw`SELECT 2`]);
    expect(both).toHaveLength(2);
  }, 30_000);
});
