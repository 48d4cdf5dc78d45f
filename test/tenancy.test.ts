import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from '../packages/db/src/client.js';
import { createApiKey } from '../packages/db/src/repositories/api-keys.js';
import { sendJson, startWireServer, type WireServer } from '../packages/providers/src/testing/wire-server.js';
import { type Stack, startStack } from './support/stack.js';

async function sql<T extends pg.QueryResultRow>(stack: Stack, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack.database.url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe('a key’s monthly budget under concurrent queries (sim pool, real workers)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ SWITCHYARD_CASCADE_CONCURRENCY: '32' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is never exceeded by 50 queries at once: the sum of the key’s attempts stays within it', async () => {
    const budget = '0.01';
    const prisma = createPrismaClient({ databaseUrl: stack.database.url, maxConnections: 1 });
    const { key, summary } = await createApiKey(prisma, { name: 'tight', monthlyBudgetUsd: budget }).finally(() =>
      prisma.$disconnect(),
    );
    const auth = { authorization: `Bearer ${key}` };
    // Unconstrained, these 50 queries cost about $0.03 on the sim pool (three times the budget).
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        stack.post(
          '/v1/queries',
          { prompt: `What is ${index + 11} + ${index * 3 + 5}?`, metadata: { answerType: 'number' } },
          auth,
        ),
      ),
    );
    const accepted = responses
      .filter((response) => response.status === 202)
      .map((response) => response.body.id as string);
    const refused = responses.filter((response) => response.status === 402);
    expect(accepted.length + refused.length).toBe(50);
    // Wait for every accepted query to end.
    for (const id of accepted) {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const body = (await (await fetch(`${stack.apiUrl}/v1/queries/${id}`, { headers: auth })).json()) as {
          status: string;
        };
        if (body.status === 'completed' || body.status === 'failed' || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    const [spent] = await sql<{ total: string; refused: string; started: string }>(
      stack,
      `SELECT COALESCE(SUM(a.cost_usd), 0)::text AS total,
              COUNT(*) FILTER (WHERE a.error_code = 'key_budget_exceeded')::text AS refused,
              COUNT(*) FILTER (WHERE a.outcome = 'started')::text AS started
       FROM attempts a JOIN queries q ON q.id = a.query_id WHERE q.api_key_id = $1`,
      [summary.id],
    );
    expect(Number(spent?.total)).toBeGreaterThan(0);
    expect(Number(spent?.total)).toBeLessThanOrEqual(Number(budget));
    expect(Number(spent?.started)).toBe(0);
    // The budget was what stopped them: calls were refused, or queries refused at the door.
    expect(Number(spent?.refused) + refused.length).toBeGreaterThan(0);
    const [usage] = await sql<{ spent: string; reserved: string }>(
      stack,
      'SELECT spent_usd::text AS spent, reserved_usd::text AS reserved FROM api_key_usage WHERE api_key_id = $1',
      [summary.id],
    );
    expect(Number(usage?.spent)).toBeCloseTo(Number(spent?.total), 12);
    expect(Number(usage?.reserved)).toBe(0);
    const unfinished = await sql(
      stack,
      "SELECT id FROM queries WHERE api_key_id = $1 AND status NOT IN ('completed','failed')",
      [summary.id],
    );
    expect(unfinished).toEqual([]);
  }, 180_000);
});

// The first test starts the workers the second one uses.
describe('forged jobs and webhook secrets (OpenAI-protocol fake, real workers)', () => {
  let stack: Stack;
  let fake: WireServer;
  beforeAll(async () => {
    fake = await startWireServer((request, response) => {
      sendJson(response, 200, {
        id: `chatcmpl-${fake.requests.length}`,
        object: 'chat.completion',
        created: 1_741_569_952,
        model: (request.body as { model?: string }).model ?? 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'The answer is 4.' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
      });
    });
    const directory = await mkdtemp(path.join(tmpdir(), 'sy-tenancy-'));
    const modelsFile = path.join(directory, 'models.json');
    const model = (id: string, tier: number, price: number) => ({
      id,
      provider: 'openai',
      model: id,
      baseURL: `${fake.url}/v1`,
      apiKeyEnv: 'FAKE_OPENAI_KEY',
      inputUsdPerMTok: price,
      outputUsdPerMTok: price * 4,
      maxOutputTokens: 256,
      tier,
    });
    await writeFile(modelsFile, JSON.stringify({ models: [model('fake-small', 1, 0.1), model('fake-large', 2, 5)] }));
    stack = await startStack(
      { SWITCHYARD_MODELS: modelsFile, FAKE_OPENAI_KEY: 'sk-fake-0123456789' },
      { worker: false },
    );
  });
  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
  });

  it('refuses a second callback-sending worker without a secret, and one with a different secret', async () => {
    await stack.startWorker({ SWITCHYARD_WEBHOOK_SECRET: '' });
    await expect(stack.startWorker({ SWITCHYARD_WEBHOOK_SECRET: '' })).rejects.toThrow(
      /exited with 2[\s\S]*SWITCHYARD_WEBHOOK_SECRET is not set/,
    );
    await expect(stack.startWorker({ SWITCHYARD_WEBHOOK_SECRET: 'another-secret-0123456789' })).rejects.toThrow(
      /exited with 2[\s\S]*signs callbacks with a random secret/,
    );
    // A worker that sends no callbacks does not sign, so it may join.
    await stack.startWorker({ SWITCHYARD_WORKER_ROLES: 'router,cascade', SWITCHYARD_WEBHOOK_SECRET: '' });
  }, 90_000);

  it('a call job added straight to the queue makes no provider call and writes nothing', async () => {
    const submitted = await stack.post('/v1/queries', { prompt: 'What is 2 + 2?', metadata: { answerType: 'number' } });
    const done = await stack.waitForQuery(submitted.body.id as string);
    expect(done.status).toBe('completed');
    const requestsBefore = fake.requests.length;
    const attemptsBefore = await sql(stack, 'SELECT id FROM attempts');

    // A running query of someone else's, with a plan, as the pipeline would have stored it.
    const [running] = await sql<{ id: string }>(
      stack,
      `INSERT INTO queries (id, prompt, status, plan, updated_at) VALUES (gen_random_uuid(), 'victim prompt', 'running', $1, now()) RETURNING id`,
      [
        JSON.stringify({
          version: 1,
          router: 'fixed',
          answerType: 'number',
          stages: [{ model: 'fake-small' }, { model: 'fake-large' }],
          judges: [{ kind: 'agreement', referenceModels: [], nextStages: 1 }],
          acceptThreshold: 0.5,
        }),
      ],
    );
    const queue = new Queue('cascade', { connection: { url: stack.redisUrl }, prefix: stack.prefix });
    const forged = [
      // The expensive model again on a completed query.
      { queryId: done.id, stage: 1, role: 'answer', slot: 0, model: 'fake-large', input: { kind: 'query' } },
      // A stage the plan does not have.
      { queryId: running?.id, stage: 7, role: 'answer', slot: 0, model: 'fake-large', input: { kind: 'query' } },
      // The right key with the wrong model.
      { queryId: running?.id, stage: 0, role: 'answer', slot: 0, model: 'fake-large', input: { kind: 'query' } },
      // A planned answer call turned into an LLM judge call (the plan has no judge panel).
      {
        queryId: running?.id,
        stage: 0,
        role: 'answer',
        slot: 0,
        model: 'fake-small',
        input: { kind: 'judge', answer: { stage: 0, role: 'answer', slot: 0, model: 'fake-small' } },
      },
      // A planned call carrying text of the attacker's choosing: call jobs have no field for text.
      {
        queryId: running?.id,
        stage: 0,
        role: 'answer',
        slot: 0,
        model: 'fake-small',
        input: { kind: 'messages', messages: [{ role: 'user', content: 'write me a novel' }] },
      },
    ];
    const jobs = await Promise.all(forged.map((data, index) => queue.add('call', data, { jobId: `forged_${index}` })));
    const deadline = Date.now() + 30_000;
    const states: string[] = [];
    for (const job of jobs) {
      for (;;) {
        const state = await queue.getJobState(job.id as string);
        if (state === 'failed' || state === 'completed' || Date.now() > deadline) {
          states.push(state);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(states).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    const reasons = await Promise.all(jobs.map(async (job) => (await queue.getJob(job.id as string))?.failedReason));
    for (const reason of reasons.slice(0, 4)) expect(reason).toMatch(/^refused call job/);
    expect(reasons[4]).toMatch(/^invalid call job data/);
    // The dashboard shows failed jobs' stack traces: no file paths of the deployment in them.
    const failedJob = await queue.getJob(jobs[1]?.id as string);
    expect((failedJob?.stacktrace ?? []).join('\n')).not.toMatch(/\.ts:\d+|node_modules|\/work\/|at /);
    await queue.close();
    expect(fake.requests.length).toBe(requestsBefore);
    expect(await sql(stack, 'SELECT id FROM attempts')).toEqual(attemptsBefore);
  }, 60_000);
});
