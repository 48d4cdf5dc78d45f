import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack.js';

// The built-in simulated pool (no SWITCHYARD_REPLAY/SWITCHYARD_MODELS): its prompt directives make
// a model fail on purpose, deterministically.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({});
});
afterAll(async () => {
  await stack?.stop();
});

async function ledgerRows(queryId: string) {
  const client = new pg.Client({ connectionString: stack.database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ model: string; tries: number; outcome: string; cost_usd: string }>(
      'SELECT model, tries, outcome, cost_usd::text FROM attempts WHERE query_id = $1 ORDER BY stage, role, slot',
      [queryId],
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('provider failures in the pipeline', () => {
  it('retries a call that got a retryable 429 and charges it once', async () => {
    const response = await stack.post('/v1/queries', {
      prompt: 'What is 17 + 25? [[sim:error=429,times=1,model=sim-small]]',
      metadata: { answerType: 'number' },
    });
    const query = await stack.waitForQuery(response.body.id as string);
    expect(query.status).toBe('completed');
    const rows = await ledgerRows(query.id);
    const small = rows.filter((row) => row.model === 'sim-small');
    expect(small).toHaveLength(1);
    expect(small[0]).toMatchObject({ tries: 2, outcome: 'succeeded' });
    expect(Number(small[0]?.cost_usd)).toBeGreaterThan(0);
    const total = rows.reduce((sum, row) => sum + Number(row.cost_usd), 0);
    expect(Number(query.costUsd)).toBeCloseTo(total, 12);
  });

  it('fails the query with the reason when every model returns a non-retryable error', async () => {
    const response = await stack.post('/v1/queries', {
      prompt: 'What is 2 + 2? [[sim:error=400]]',
      metadata: { answerType: 'number' },
    });
    const query = await stack.waitForQuery(response.body.id as string);
    expect(query.status).toBe('failed');
    expect(query.error?.code).toBe('no_answer');
    expect(query.error?.message).toMatch(/bad_request/);
    const rows = await ledgerRows(query.id);
    expect(rows.length).toBeGreaterThan(0);
    // Not retried: a 400 is final on its first try, and a failed call costs nothing.
    expect(rows.every((row) => row.tries === 1 && row.outcome === 'failed' && Number(row.cost_usd) === 0)).toBe(true);
  });

  it('lets the plan continue past one model that fails for good', async () => {
    const response = await stack.post('/v1/queries', {
      prompt: 'What is 6 + 7? [[sim:error=401,model=sim-small]]',
      metadata: { answerType: 'number' },
    });
    const query = await stack.waitForQuery(response.body.id as string);
    expect(query.status).toBe('completed');
    expect(query.model).not.toBe('sim-small');
    const failed = query.attempts.find((attempt) => attempt.model === 'sim-small');
    expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'authentication' });
  });
});
