import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createQueues, jobIds } from '@switchyard/queues';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsOf, type JudgeFakes, startJudgeFakes } from './support/judge-fakes.js';
import { picoUsd } from './support/ledger.js';
import { type Stack, startStack } from './support/stack.js';

// API and worker processes; the models are local fakes of the OpenAI and Anthropic wire protocols,
// called through the official SDKs. Two answer models (small: OpenAI-compatible, large: Anthropic)
// and a judge panel of two (gpt-4o-mini over the OpenAI protocol, a Claude model over Anthropic's).
const PRICES = {
  'small-model': { input: 1, output: 2 },
  'large-model': { input: 3, output: 15 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'judge-claude': { input: 0.8, output: 4 },
} as const;

let fakes: JudgeFakes;
let stack: Stack;

beforeAll(async () => {
  fakes = await startJudgeFakes();
  const folder = await mkdtemp(path.join(tmpdir(), 'sy-judges-'));
  const modelsFile = path.join(folder, 'models.json');
  const price = (model: keyof typeof PRICES) => ({
    inputUsdPerMTok: PRICES[model].input,
    outputUsdPerMTok: PRICES[model].output,
  });
  await writeFile(
    modelsFile,
    JSON.stringify({
      models: [
        {
          id: 'small',
          provider: 'openai',
          model: 'small-model',
          baseURL: `${fakes.openai.url}/v1`,
          ...price('small-model'),
          maxOutputTokens: 256,
          tier: 1,
        },
        {
          id: 'large',
          provider: 'anthropic',
          model: 'large-model',
          baseURL: fakes.anthropic.url,
          apiKeyEnv: 'FAKE_ANTHROPIC_KEY',
          ...price('large-model'),
          maxOutputTokens: 512,
          tier: 2,
        },
        {
          id: 'judge-gpt',
          provider: 'openai',
          model: 'gpt-4o-mini',
          baseURL: `${fakes.openai.url}/v1`,
          ...price('gpt-4o-mini'),
          roles: ['judge'],
        },
        {
          id: 'judge-claude',
          provider: 'anthropic',
          model: 'judge-claude',
          baseURL: fakes.anthropic.url,
          apiKeyEnv: 'FAKE_ANTHROPIC_KEY',
          ...price('judge-claude'),
          roles: ['judge'],
        },
      ],
    }),
  );
  stack = await startStack({ SWITCHYARD_MODELS: modelsFile, FAKE_ANTHROPIC_KEY: 'sk-ant-fake' });
});
afterAll(async () => {
  await stack?.stop();
  await fakes?.close();
});

interface LedgerAttempt {
  stage: number;
  role: string;
  slot: number;
  model: string;
  outcome: string;
  tries: number;
  cost_usd: string | null;
  provider_request_id: string | null;
  detail: Record<string, unknown> | null;
  error_code: string | null;
}

interface LedgerTry {
  stage: number;
  role: string;
  slot: number;
  number: number;
  reserved_usd: string;
  charged_usd: string | null;
  charge_basis: string | null;
  max_output_tokens: number | null;
  provider_request_id: string | null;
}

async function ledger(queryId: string) {
  const client = new pg.Client({ connectionString: stack.database.url });
  await client.connect();
  try {
    const attempts = await client.query<LedgerAttempt>(
      `SELECT stage, role::text, slot, model, outcome::text, tries, cost_usd::text, provider_request_id, detail, error_code
       FROM attempts WHERE query_id = $1 ORDER BY stage, role, slot`,
      [queryId],
    );
    const tries = await client.query<LedgerTry>(
      `SELECT a.stage, a.role::text, a.slot, t.number, t.reserved_usd::text, t.charged_usd::text, t.charge_basis,
              t.max_output_tokens, t.provider_request_id
       FROM attempt_tries t JOIN attempts a ON a.id = t.attempt_id WHERE t.query_id = $1
       ORDER BY a.stage, a.role, a.slot, t.number`,
      [queryId],
    );
    const query = await client.query<{ total_cost_usd: string; reserved_cost_usd: string; outcome: unknown }>(
      'SELECT total_cost_usd::text, reserved_cost_usd::text, outcome FROM queries WHERE id = $1',
      [queryId],
    );
    return { attempts: attempts.rows, tries: tries.rows, query: query.rows[0] };
  } finally {
    await client.end();
  }
}

/** The exact list-price cost, in pico-USD, of what a fake reported for a request. */
function billedPico(model: keyof typeof PRICES, inputTokens: number, outputTokens: number): bigint {
  const price = PRICES[model];
  return (BigInt(inputTokens) * picoUsd(price.input) + BigInt(outputTokens) * picoUsd(price.output)) / 1_000_000n;
}

async function ask(prompt: string, extra: Record<string, unknown> = {}) {
  const response = await stack.post('/v1/queries', { prompt, ...extra });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return stack.waitForQuery(response.body.id as string);
}

describe('LLM judges over the OpenAI and Anthropic wire protocols', () => {
  it('accepts the first answer on a unanimous pass, with both judge attempts recorded and priced', async () => {
    const prompt = 'Write a two-line poem about autumn leaves for a child.';
    const query = await ask(prompt);
    expect(query.status, JSON.stringify(query.error)).toBe('completed');
    expect(query).toMatchObject({ model: 'small', outcome: 'accepted' });
    expect(query.answer).toBe('Answer by small-model: a careful reply to the request.');

    const { attempts, tries, query: row } = await ledger(query.id);
    expect(attempts.map((attempt) => `${attempt.stage}/${attempt.role}/${attempt.slot}:${attempt.model}`)).toEqual([
      '0/answer/0:small',
      '0/judge/0:judge-gpt',
      '0/judge/1:judge-claude',
    ]);
    const calls = callsOf(
      fakes,
      attempts.map((attempt) => attempt.provider_request_id ?? ''),
    );
    expect(calls).toHaveLength(3);
    let sum = 0n;
    for (const attempt of attempts) {
      const call = calls.find((candidate) => candidate.requestId === attempt.provider_request_id);
      if (call === undefined) throw new Error(`no fake call for ${attempt.model}`);
      // Priced exactly from the usage the provider reported, at the registry's list price.
      expect(picoUsd(attempt.cost_usd), attempt.model).toBe(
        billedPico(call.model as keyof typeof PRICES, call.inputTokens, call.outputTokens),
      );
      expect(picoUsd(attempt.cost_usd)).toBeGreaterThan(0n);
      sum += picoUsd(attempt.cost_usd);
    }
    expect(picoUsd(row?.total_cost_usd ?? null)).toBe(sum);
    expect(picoUsd(query.costUsd)).toBe(sum);

    const judges = attempts.filter((attempt) => attempt.role === 'judge');
    for (const judge of judges) {
      expect(judge.detail).toMatchObject({
        judgePrompt: { version: 'v1', task: 'open-ended' },
        verdict: { verdict: 'pass', confidence: 0.97 },
      });
    }
    // Judge requests are capped at the judges' output limit; every request carried one.
    expect(tries.filter((attempt) => attempt.role === 'judge').map((attempt) => attempt.max_output_tokens)).toEqual([
      512, 512,
    ]);
    expect(calls.every((call) => call.limit !== null && call.limit > 0)).toBe(true);
    const view = query as unknown as { attempts: { role: string; verdict?: unknown }[] };
    expect(view.attempts.filter((attempt) => attempt.role === 'judge').map((attempt) => attempt.verdict)).toEqual([
      { verdict: 'pass', confidence: 0.97 },
      { verdict: 'pass', confidence: 0.97 },
    ]);

    // The judge jobs in Redis name the judged attempt; the prompt and the answer are not in them.
    const queues = createQueues({ redisUrl: stack.redisUrl, prefix: stack.prefix });
    try {
      const job = await queues
        .callQueue('judge-gpt')
        .getJob(jobIds.call({ queryId: query.id, stage: 0, role: 'judge', slot: 0 }));
      expect(job?.data).toEqual({
        queryId: query.id,
        stage: 0,
        role: 'judge',
        slot: 0,
        model: 'judge-gpt',
        input: { kind: 'judge', answer: { stage: 0, role: 'answer', slot: 0, model: 'small' } },
      });
      expect(JSON.stringify(job?.data)).not.toContain('autumn');
    } finally {
      await queues.close();
    }
  });

  it.each([
    ['a fail', '[judge:gpt-4o-mini=fail@small-model]', 'judge-gpt', { verdict: 'fail', confidence: 0.9 }],
    [
      'a malformed verdict',
      '[judge:judge-claude=malformed@small-model]',
      'judge-claude',
      { malformed: expect.any(String) },
    ],
    ['a judge error', '[judge:gpt-4o-mini=error@small-model]', 'judge-gpt', undefined],
  ])('escalates to the next model on %s', async (_, directive, judgeModel, recorded) => {
    const query = await ask(`Summarise the plot of Hamlet in one sentence. ${directive}`);
    expect(query.status, JSON.stringify(query.error)).toBe('completed');
    expect(query).toMatchObject({ model: 'large', outcome: 'accepted' });
    const { attempts } = await ledger(query.id);
    const stageZero = attempts.find((attempt) => attempt.stage === 0 && attempt.model === judgeModel);
    if (recorded === undefined) {
      // A 400 is not billed: the failed judge call costs nothing.
      expect(stageZero).toMatchObject({ outcome: 'failed', error_code: 'bad_request' });
      expect(picoUsd(stageZero?.cost_usd ?? null)).toBe(0n);
    } else {
      expect(stageZero?.outcome).toBe('succeeded');
      expect(stageZero?.detail?.verdict).toEqual(recorded);
    }
    // Stage 1's answer was judged by the whole panel and passed.
    expect(
      attempts.filter((attempt) => attempt.stage === 1 && attempt.role === 'judge').map((attempt) => attempt.outcome),
    ).toEqual(['succeeded', 'succeeded']);
    const view = query as unknown as { stages: { verdict: { decision: string } | null }[] };
    expect(view.stages.map((stage) => stage.verdict?.decision)).toEqual(['escalate', 'accept']);
  });

  it('charges both requests of a judge call retried after a 500: the input bound, then the usage', async () => {
    const query = await ask('Explain why the sky is blue in two sentences. [judge:gpt-4o-mini=flaky]');
    expect(query).toMatchObject({ status: 'completed', model: 'small' });
    const { attempts, tries } = await ledger(query.id);
    const judge = attempts.find((attempt) => attempt.model === 'judge-gpt');
    expect(judge).toMatchObject({ outcome: 'succeeded', tries: 2 });
    const own = tries.filter((row) => row.role === 'judge' && row.slot === 0);
    expect(own.map((row) => [row.number, row.charge_basis])).toEqual([
      [1, 'input'],
      [2, 'usage'],
    ]);
    const [first, second] = own;
    // The 500's charge: the input's upper bound (less than the try's whole reservation).
    expect(picoUsd(first?.charged_usd ?? null)).toBeGreaterThan(0n);
    expect(picoUsd(first?.charged_usd ?? null)).toBeLessThan(picoUsd(first?.reserved_usd ?? null));
    const call = fakes.calls.find((candidate) => candidate.requestId === second?.provider_request_id);
    expect(picoUsd(second?.charged_usd ?? null)).toBe(
      billedPico('gpt-4o-mini', call?.inputTokens ?? -1, call?.outputTokens ?? -1),
    );
    expect(picoUsd(judge?.cost_usd ?? null)).toBe(
      picoUsd(first?.charged_usd ?? null) + picoUsd(second?.charged_usd ?? null),
    );
  });

  it('never lets a query cost more than its budget, against models that always talk to their limit', async () => {
    for (const budget of ['0.0003', '0.0009', '0.002', '0.0061']) {
      const before = fakes.calls.length;
      const query = await ask(`Write a long essay on the history of tea. [talk-to-limit] budget ${budget}`, {
        maxCostUsd: Number(budget),
      });
      const { attempts, tries, query: row } = await ledger(query.id);
      expect(picoUsd(row?.total_cost_usd ?? null), `budget ${budget}`).toBeLessThanOrEqual(picoUsd(budget));
      expect(picoUsd(row?.reserved_cost_usd ?? null)).toBe(0n);
      // Every request the fakes received carried an output limit no larger than its try reserved for.
      const made = fakes.calls.slice(before);
      expect(made.length).toBeGreaterThan(0);
      for (const call of made) {
        const ledgerTry = tries.find((candidate) => candidate.provider_request_id === call.requestId);
        expect(call.limit, `${call.model} ${call.requestId}`).not.toBeNull();
        expect(call.limit).toBe(ledgerTry?.max_output_tokens);
      }
      // Truncated answers are never judged; the result says it was fused (or failed on the budget).
      expect(attempts.filter((attempt) => attempt.role === 'judge')).toEqual([]);
      if (query.status === 'completed') {
        expect((query as unknown as { fused?: boolean }).fused).toBe(true);
      } else {
        expect(query.error?.code).toBe('budget_exhausted');
      }
    }
  });
});
