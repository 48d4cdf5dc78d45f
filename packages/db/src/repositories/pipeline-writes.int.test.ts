import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPrismaClient, type PrismaClient, sqlPool } from '../client.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { createApiKey } from './api-keys.js';
import { beginAttempt, settleAttempt, settleAttemptAndRead } from './ledger.js';
import { readDecisionState, readPipelineQuery } from './pipeline-reads.js';
import { finalizeQueryRow, insertQuery, readQueryForRouting, storeQueryPlan } from './pipeline-writes.js';

let database: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_pipeline_writes' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 4 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

const fixed = (worstCaseUsd: string) => ({
  model: 'm',
  provider: 'sim',
  pricing: { kind: 'fixed' as const, worstCaseUsd },
});
const newQuery = (overrides: Partial<Parameters<typeof insertQuery>[1]> = {}) => ({
  prompt: 'p',
  system: null,
  options: {},
  maxCostUsd: '0.050000000000',
  callbackUrl: null,
  apiKeyId: null,
  idempotencyKey: null,
  requestHash: null,
  ...overrides,
});

describe('pipeline writes', () => {
  it('inserts a query once per idempotency key, returning the first one to a second insert', async () => {
    const first = await insertQuery(prisma, newQuery({ idempotencyKey: 'k:1', requestHash: 'h1' }));
    expect(first).toMatchObject({ existing: false, query: { status: 'queued', requestHash: 'h1' } });
    const again = await insertQuery(prisma, newQuery({ idempotencyKey: 'k:1', requestHash: 'h2' }));
    expect(again).toEqual({ existing: true, query: first.query });
    const other = await insertQuery(prisma, newQuery());
    expect(other.query.id).not.toBe(first.query.id);
  });

  it('reads an unplanned query for routing until it is planned or ended, and stores only the first plan', async () => {
    const { query } = await insertQuery(prisma, newQuery({ prompt: 'route me' }));
    const before = await prisma.query.findUniqueOrThrow({ where: { id: query.id } });
    const read = await readQueryForRouting(prisma, query.id);
    expect(read).toMatchObject({
      query: { id: query.id, prompt: 'route me', status: 'queued', plan: null, maxCostUsd: '0.050000000000' },
      keyRemainingUsd: null,
    });
    // Reading claims nothing: the row is as the API left it.
    const row = await prisma.query.findUniqueOrThrow({ where: { id: query.id } });
    expect([row.status, row.updatedAt.getTime()]).toEqual(['queued', before.updatedAt.getTime()]);
    expect(await storeQueryPlan(prisma, query.id, { stages: [] })).toBe(true);
    expect(await readQueryForRouting(prisma, query.id), 'planned: not routed again').toBeNull();
    expect(await storeQueryPlan(prisma, query.id, { stages: [1] }), 'planned already').toBe(false);
    expect((await readDecisionState(prisma, query.id))?.query).toMatchObject({
      status: 'running',
      plan: { stages: [] },
    });

    // A query that ended before its plan was stored (its batch cancelled) is neither read nor planned.
    const { query: cancelled } = await insertQuery(prisma, newQuery({ prompt: 'cancel me' }));
    await prisma.query.update({ where: { id: cancelled.id }, data: { status: 'failed' } });
    expect(await readQueryForRouting(prisma, cancelled.id)).toBeNull();
    expect(await storeQueryPlan(prisma, cancelled.id, { stages: [] })).toBe(false);
    // A row claimed by an earlier version (status routing) is still planned.
    const { query: claimed } = await insertQuery(prisma, newQuery({ prompt: 'claimed before' }));
    await prisma.query.update({ where: { id: claimed.id }, data: { status: 'routing' } });
    expect((await readQueryForRouting(prisma, claimed.id))?.query.status).toBe('routing');
    expect(await storeQueryPlan(prisma, claimed.id, { stages: [] })).toBe(true);
  });

  it('reads a decision state with what the decide step uses of each attempt, the finish reason out of its detail', async () => {
    const { query } = await insertQuery(prisma, newQuery());
    await prisma.query.update({ where: { id: query.id }, data: { status: 'running', plan: { stages: [] } } });
    const cut = await beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'answer', slot: 0 }, fixed('0.002'));
    if (cut.kind !== 'proceed') throw new Error('expected proceed');
    const settled = await settleAttemptAndRead(
      prisma,
      cut.attempt.id,
      {
        outcome: 'succeeded',
        try: { id: cut.try.id, chargedUsd: '0.0015', basis: 'usage' },
        output: 'The answer is',
        detail: { finish: 'length', warnings: ['cut at the output limit'], maxOutputTokens: 16 },
      },
      { withState: true },
    );
    const failed = await beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'judge', slot: 0 }, fixed('0.001'));
    if (failed.kind !== 'proceed') throw new Error('expected proceed');
    await settleAttempt(prisma, failed.attempt.id, {
      outcome: 'failed',
      try: { id: failed.try.id, chargedUsd: '0.0001', basis: 'usage' },
      errorCode: 'server_error',
      errorMessage: 'HTTP 500',
    });

    const expected = [
      {
        stage: 0,
        role: 'answer',
        slot: 0,
        model: 'm',
        outcome: 'succeeded',
        output: 'The answer is',
        errorCode: null,
        errorMessage: null,
        detail: { finish: 'length' },
      },
      {
        stage: 0,
        role: 'judge',
        slot: 0,
        model: 'm',
        outcome: 'failed',
        output: null,
        errorCode: 'server_error',
        errorMessage: 'HTTP 500',
        detail: null,
      },
    ];
    const state = await readDecisionState(prisma, query.id);
    expect(state?.attempts.map(({ costUsd: _, ...rest }) => rest)).toEqual(expected);
    expect(state?.attempts.map((attempt) => attempt.costUsd?.toFixed())).toEqual(['0.0015', '0.0001']);
    // The settlement's own state (read in the same round trip) has the same shape.
    expect(settled.state?.attempts.map(({ costUsd: _, ...rest }) => rest)).toEqual([expected[0]]);
  });

  it('ends a query once with its callback; a call left started is charged its reservation and settled failed', async () => {
    const { query } = await insertQuery(prisma, newQuery({ callbackUrl: 'https://example.com/hook' }));
    await prisma.query.update({ where: { id: query.id }, data: { status: 'running' } });
    const answered = await beginAttempt(
      prisma,
      { queryId: query.id, stage: 0, role: 'answer', slot: 0 },
      fixed('0.002'),
    );
    if (answered.kind !== 'proceed') throw new Error('expected proceed');
    await settleAttempt(prisma, answered.attempt.id, {
      outcome: 'succeeded',
      try: { id: answered.try.id, chargedUsd: '0.0015', basis: 'usage' },
      output: '42',
    });
    // A second call whose job died for good: begun (reserved) and never settled.
    const lost = await beginAttempt(prisma, { queryId: query.id, stage: 0, role: 'judge', slot: 0 }, fixed('0.003'));
    if (lost.kind !== 'proceed') throw new Error('expected proceed');

    const ending = {
      status: 'completed' as const,
      answer: '42',
      answerModel: 'm',
      outcome: { outcome: 'accepted' },
      event: 'query.completed',
    };
    const ended = await finalizeQueryRow(prisma, query.id, ending);
    expect(ended).toMatchObject({ ended: true, batch: null });
    expect(ended.deliveryId).not.toBeNull();

    const row = await prisma.query.findUniqueOrThrow({ where: { id: query.id } });
    expect([row.status, row.answer, row.answerModel]).toEqual(['completed', '42', 'm']);
    expect(row.totalCostUsd.toFixed()).toBe('0.0045');
    expect(row.reservedCostUsd.toFixed()).toBe('0');
    const attempt = await prisma.attempt.findUniqueOrThrow({
      where: { id: lost.attempt.id },
      include: { providerTries: true },
    });
    expect([attempt.outcome, attempt.errorCode, attempt.costUsd?.toFixed()]).toEqual([
      'failed',
      'interrupted',
      '0.003',
    ]);
    expect(attempt.providerTries.map((t) => [t.state, t.chargeBasis])).toEqual([['charged', 'interrupted']]);

    const delivery = await prisma.webhookDelivery.findUniqueOrThrow({ where: { id: ended.deliveryId as string } });
    expect(delivery.payload).toEqual({
      event: 'query.completed',
      query: { id: query.id, status: 'completed', answer: '42', model: 'm', costUsd: '0.0045', error: null },
    });
    // Only the first ending counts.
    const failed = { status: 'failed' as const, errorCode: 'x', errorMessage: 'y', outcome: {}, event: 'query.failed' };
    expect(await finalizeQueryRow(prisma, query.id, failed)).toEqual({ ended: false, deliveryId: null, batch: null });
    expect((await prisma.query.findUniqueOrThrow({ where: { id: query.id } })).status).toBe('completed');
  });

  it('reads queries asked for at once in one batch, each caller getting its own (null for a missing or malformed id)', async () => {
    const inserted = await Promise.all([
      insertQuery(prisma, newQuery({ prompt: 'a' })),
      insertQuery(prisma, newQuery({ prompt: 'b' })),
    ]);
    const [a, b] = inserted.map((row) => row.query.id) as [string, string];
    const read = await Promise.all([
      readPipelineQuery(prisma, a),
      readPipelineQuery(prisma, '00000000-0000-4000-8000-000000000000'),
      readPipelineQuery(prisma, 'not-a-uuid'),
      readPipelineQuery(prisma, b),
      readPipelineQuery(prisma, a),
    ]);
    expect(read.map((query) => query?.prompt ?? null)).toEqual(['a', null, null, 'b', 'a']);
    expect(read[0]).toMatchObject({ id: a, status: 'queued', maxCostUsd: '0.050000000000' });
  });

  it('claims, plans and ends many queries asked for at once in one statement each, as one by one would', async () => {
    const { summary } = await createApiKey(prisma, { name: 'batched-writes' });
    const file = await prisma.file.create({
      data: { apiKeyId: summary.id, purpose: 'batch', filename: 'in.jsonl', bytes: 1, lineCount: 12 },
    });
    const batch = await prisma.batch.create({
      data: {
        apiKeyId: summary.id,
        inputFileId: file.id,
        endpoint: '/v1/chat/completions',
        completionWindow: '24h',
        queryMaxCostUsd: '0.05',
        queryCount: 12,
        expansionDone: true,
        status: 'in_progress',
        expiresAt: new Date(Date.now() + 86_400_000),
      },
    });
    const ids: string[] = [];
    for (let index = 0; index < 12; index += 1) {
      const { query } = await insertQuery(prisma, newQuery({ prompt: `q${index}` }));
      await prisma.query.update({ where: { id: query.id }, data: { batchId: batch.id, batchIndex: index } });
      ids.push(query.id);
    }
    const missing = '00000000-0000-4000-8000-000000000000';

    // A duplicate read gets the query too (a retried route job), as two statements would.
    const reads = await Promise.all(
      [...ids, ids[0] as string, missing, 'nope'].map((id) => readQueryForRouting(prisma, id)),
    );
    expect(reads.map((read) => read?.query.prompt ?? null)).toEqual([
      ...ids.map((_, index) => `q${index}`),
      'q0',
      null,
      null,
    ]);
    // Only the first plan of a query is stored.
    const stored = await Promise.all(
      [...ids, ids[0] as string, missing, 'nope'].map((id, index) => storeQueryPlan(prisma, id, { stages: [index] })),
    );
    expect(stored).toEqual([...ids.map(() => true), false, false, false]);
    expect((await readDecisionState(prisma, ids[0] as string))?.query).toMatchObject({
      status: 'running',
      plan: { stages: [0] },
    });

    const ending = (answer: string) => ({
      status: 'completed' as const,
      answer,
      answerModel: 'm',
      outcome: {},
      event: 'query.completed',
    });
    const spy = vi.spyOn(sqlPool(prisma), 'query');
    const ended = await Promise.all(
      [...ids, ids[0] as string, missing].map((id, index) => finalizeQueryRow(prisma, id, ending(`a${index}`))),
    );
    const names = spy.mock.calls.map(([config]) => (config as { name?: string }).name);
    spy.mockRestore();
    expect(names).toEqual(['switchyard_finalize_queries']);
    expect(ended.map((result) => result.ended)).toEqual([...ids.map(() => true), false, false]);
    // Each query counted once on its batch, in order: the last ending saw all twelve.
    const counts = ended.slice(0, 12).map((result) => result.batch?.completedCount);
    expect([...counts].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(ids.map((_, index) => index + 1));
    const row = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
    expect([row.completedCount, row.failedCount]).toEqual([12, 0]);
    expect((await prisma.query.findUniqueOrThrow({ where: { id: ids[0] as string } })).answer).toBe('a0');
  });

  it('inserts queries sent at once in one statement; one idempotency key makes one query, the others get it back', async () => {
    const spy = vi.spyOn(sqlPool(prisma), 'query');
    const results = await Promise.all([
      insertQuery(prisma, newQuery({ prompt: 'x1', idempotencyKey: 'batch:1', requestHash: 'h' })),
      insertQuery(prisma, newQuery({ prompt: 'y' })),
      insertQuery(prisma, newQuery({ prompt: 'x2', idempotencyKey: 'batch:1', requestHash: 'h' })),
      insertQuery(prisma, newQuery({ prompt: 'z', idempotencyKey: 'batch:2' })),
      insertQuery(prisma, newQuery({ prompt: 'x3', idempotencyKey: 'batch:1', requestHash: 'h' })),
    ]);
    const names = spy.mock.calls.map(([config]) => (config as { name?: string }).name);
    spy.mockRestore();
    expect(names.filter((name) => name === 'switchyard_insert_queries')).toHaveLength(1);
    expect(names).not.toContain('switchyard_insert_query');
    expect(results.map((result) => result.existing)).toEqual([false, false, true, false, true]);
    expect(results[2]?.query).toEqual(results[0]?.query);
    expect(results[4]?.query).toEqual(results[0]?.query);
    const rows = await prisma.query.findMany({ where: { idempotencyKey: 'batch:1' } });
    expect(rows.map((row) => row.prompt)).toEqual(['x1']);
  });
});
