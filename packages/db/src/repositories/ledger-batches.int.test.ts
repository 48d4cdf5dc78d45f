import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPrismaClient, type PrismaClient, sqlPool } from '../client.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { createApiKey } from './api-keys.js';
import { type BeginAttemptResult, beginAttempt, type CallPricing, settleAttemptAndRead } from './ledger.js';

// The ledger's group commit: calls begun or settled in the same turn of the event loop go to
// Postgres as one statement (switchyard_begin_tries / switchyard_settle_and_read_many).

let database: TestDatabase;
let prisma: PrismaClient;
let other: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_ledger_batches' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 4 });
  // A second worker process: its own pool, its own batches.
  other = createPrismaClient({ databaseUrl: database.url, maxConnections: 4 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await other?.$disconnect();
  await database?.drop();
});

const fixed = (worstCaseUsd: string): { model: string; provider: string; pricing: CallPricing } => ({
  model: 'm',
  provider: 'sim',
  pricing: { kind: 'fixed', worstCaseUsd },
});

function proceeded(result: BeginAttemptResult) {
  if (result.kind !== 'proceed') throw new Error(`expected proceed, got ${result.kind}`);
  return result;
}

/** The statements a client's pool was sent, by prepared-statement name. */
function countStatements(client: PrismaClient) {
  const pool = sqlPool(client);
  const spy = vi.spyOn(pool, 'query');
  return {
    count: (name: string) =>
      spy.mock.calls.filter(([config]) => (config as { name?: string } | undefined)?.name === name).length,
    restore: () => spy.mockRestore(),
  };
}

async function budgetedQueries(count: number, keyBudgetUsd: string, queryBudgetUsd: string | null) {
  const { summary } = await createApiKey(prisma, { name: `key-${Math.random()}`, monthlyBudgetUsd: keyBudgetUsd });
  const queries = await Promise.all(
    Array.from({ length: count }, () =>
      prisma.query.create({ data: { prompt: 'p', apiKeyId: summary.id, maxCostUsd: queryBudgetUsd } }),
    ),
  );
  return { keyId: summary.id, queryIds: queries.map((query) => query.id) };
}

async function keyUsage(keyId: string) {
  const usage = await prisma.apiKeyUsage.findFirstOrThrow({ where: { apiKeyId: keyId } });
  return { spent: usage.spentUsd.toFixed(), reserved: usage.reservedUsd.toFixed() };
}

describe('ledger batches', () => {
  it('reserves and settles the calls of many queries in one statement each, with the budgets of one by one', async () => {
    const { keyId, queryIds } = await budgetedQueries(20, '1', '0.010');
    const statements = countStatements(prisma);
    try {
      // Two calls per query at $0.006 each against a $0.010 query budget: the second of each query
      // is refused, in the same statement as the first was reserved.
      const begun = await Promise.all(
        queryIds.flatMap((queryId) =>
          [0, 1].map((slot) => beginAttempt(prisma, { queryId, stage: 0, role: 'answer', slot }, fixed('0.006'))),
        ),
      );
      expect(begun.map((result) => result.kind)).toEqual(queryIds.flatMap(() => ['proceed', 'over-budget']));
      expect(statements.count('switchyard_begin_tries')).toBe(1);
      expect(statements.count('switchyard_begin_try')).toBe(0);
      expect(await keyUsage(keyId)).toEqual({ spent: '0', reserved: '0.12' });

      const settled = await Promise.all(
        begun
          .filter((result) => result.kind === 'proceed')
          .map((result) => {
            const { attempt, try: attemptTry } = proceeded(result);
            return settleAttemptAndRead(
              prisma,
              attempt.id,
              { outcome: 'succeeded', output: 'a', try: { id: attemptTry.id, chargedUsd: '0.001', basis: 'usage' } },
              { withState: true },
            );
          }),
      );
      expect(statements.count('switchyard_settle_and_read_many')).toBe(1);
      expect(statements.count('switchyard_settle_and_read')).toBe(0);
      for (const [index, result] of settled.entries()) {
        expect(result.settled).toBe(true);
        expect(result.attempt).toMatchObject({ queryId: queryIds[index], outcome: 'succeeded', output: 'a' });
        expect(result.attempt.costUsd?.toFixed()).toBe('0.001');
        expect(result.state?.query.id).toBe(queryIds[index]);
        expect(result.state?.attempts.map((attempt) => attempt.outcome)).toEqual(['succeeded', 'failed']);
      }
      expect(await keyUsage(keyId)).toEqual({ spent: '0.02', reserved: '0' });
      const totals = await prisma.query.findMany({ where: { id: { in: queryIds } } });
      expect(totals.map((query) => [query.totalCostUsd.toFixed(), query.reservedCostUsd.toFixed()])).toEqual(
        queryIds.map(() => ['0.001', '0']),
      );
    } finally {
      statements.restore();
    }
  });

  it('fails only the item that fails: a batch with a missing query runs again one by one', async () => {
    const { queryIds } = await budgetedQueries(3, '1', null);
    const missing = '00000000-0000-4000-8000-000000000000';
    const results = await Promise.allSettled(
      [queryIds[0], missing, queryIds[1], 'not-a-uuid', queryIds[2]].map((queryId) =>
        beginAttempt(prisma, { queryId: queryId as string, stage: 0, role: 'answer', slot: 0 }, fixed('0.001')),
      ),
    );
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/does not exist/);
    const settled = await Promise.allSettled(
      [results[0], results[2], results[4]]
        .map((result) => proceeded((result as PromiseFulfilledResult<BeginAttemptResult>).value))
        .map((begun) => ({ id: begun.attempt.id, tryId: begun.try.id }))
        .concat([{ id: missing, tryId: missing }])
        .map(({ id, tryId }) =>
          settleAttemptAndRead(prisma, id, {
            outcome: 'succeeded',
            try: { id: tryId, chargedUsd: '0.0005', basis: 'usage' },
          }),
        ),
    );
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
  });

  /**
   * Both workers' batches start, one after the other, while a third session holds `held` (a query or a
   * key's month row), so each has taken what it could before either goes on: were rows taken in the
   * order of the items, the first would then wait for a row the second holds while the second waits
   * for `held`, now the first's; the server would break the deadlock after a second, and the batch it
   * failed would run again one statement per call.
   */
  async function raceTwoWorkers(plans: [PrismaClient, string[], number][], held: { sql: string; id: string }) {
    const holder = await sqlPool(prisma).connect();
    const statements = [countStatements(prisma), countStatements(other)];
    try {
      await holder.query('BEGIN');
      await holder.query(held.sql, [held.id]);
      // Worker one's batch starts first and waits first; worker two's starts while it waits.
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const started: Promise<BeginAttemptResult[]>[] = [];
      for (const [client, queryIds, slot] of plans) {
        started.push(
          Promise.all(
            queryIds.map((queryId) =>
              beginAttempt(client, { queryId, stage: 0, role: 'answer', slot }, fixed('0.001')),
            ),
          ),
        );
        await pause(150);
      }
      const begun = Promise.all(started);
      await holder.query('COMMIT');
      const results = await begun;
      expect(results.flat().every((result) => result.kind === 'proceed')).toBe(true);
      for (const counter of statements) {
        expect(counter.count('switchyard_begin_tries')).toBe(1);
        expect(counter.count('switchyard_begin_try')).toBe(0);
      }
    } finally {
      holder.release();
      for (const counter of statements) counter.restore();
    }
  }

  it('never deadlocks: two workers batch the same queries in opposite orders', async () => {
    const queries = await Promise.all(Array.from({ length: 30 }, () => prisma.query.create({ data: { prompt: 'p' } })));
    const ids = queries.map((query) => query.id).sort();
    await raceTwoWorkers(
      [
        [prisma, ids, 0],
        [other, [...ids].reverse(), 1],
      ],
      { sql: 'SELECT 1 FROM queries WHERE id = $1 FOR UPDATE', id: ids[15] as string },
    );
  });

  it('never deadlocks: two workers batch other queries of the same two budgeted keys, in opposite key orders', async () => {
    const keyA = await budgetedQueries(8, '10', null);
    const keyB = await budgetedQueries(8, '10', null);
    for (const keyId of [keyA.keyId, keyB.keyId]) {
      await prisma.$executeRaw`INSERT INTO api_key_usage (api_key_id, month)
        VALUES (${keyId}::uuid, date_trunc('month', now() AT TIME ZONE 'UTC')::date)`;
    }
    const alternate = (first: string[], second: string[]) =>
      first.flatMap((id, index) => [id, second[index] as string]);
    await raceTwoWorkers(
      [
        [prisma, alternate(keyA.queryIds.slice(0, 4), keyB.queryIds.slice(0, 4)), 0],
        [other, alternate(keyB.queryIds.slice(4), keyA.queryIds.slice(4)), 0],
      ],
      { sql: 'SELECT 1 FROM api_key_usage WHERE api_key_id = $1 FOR UPDATE', id: keyA.keyId },
    );
    expect(await keyUsage(keyA.keyId)).toEqual({ spent: '0', reserved: '0.008' });
    expect(await keyUsage(keyB.keyId)).toEqual({ spent: '0', reserved: '0.008' });
  });
});
