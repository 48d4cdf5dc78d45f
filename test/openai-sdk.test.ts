import OpenAI, { toFile } from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack.js';

// The official SDK with only baseURL and apiKey changed, against the API and a worker on the
// simulated pool.
let stack: Stack;
let client: OpenAI;
beforeAll(async () => {
  stack = await startStack({});
  client = new OpenAI({ baseURL: `${stack.apiUrl}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.stop();
});

function requestLine(customId: string, content: string, model = 'switchyard') {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content }], metadata: { answerType: 'number' } },
  });
}

async function waitForBatch(id: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (['completed', 'failed', 'cancelled', 'expired'].includes(batch.status)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: result lines are checked field by field below
function parseJsonl(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}

describe('the openai SDK against Switchyard', () => {
  it('uploads a JSONL file, runs a batch to completed and joins the results on custom_id', async () => {
    const good = Array.from({ length: 24 }, (_, index) => ({
      customId: `q-${index}`,
      prompt: `What is ${index + 10} + ${index * 2 + 3}?`,
    }));
    const lines = good.map((item) => requestLine(item.customId, item.prompt));
    // Bad lines at known positions (1-based line numbers after insertion).
    lines.splice(3, 0, '{"custom_id": "broken", "method": "POST"'); // line 4: invalid JSON
    lines.splice(7, 0, requestLine('q-0', 'What is 1 + 1?')); // line 8: duplicate custom_id
    lines.splice(10, 0, JSON.stringify({ custom_id: 'wrong-url', method: 'POST', url: '/v1/embeddings', body: {} })); // line 11
    lines.splice(
      12,
      0,
      JSON.stringify({ custom_id: 'no-messages', url: '/v1/chat/completions', body: { model: 'switchyard' } }),
    ); // line 13
    lines.splice(14, 0, ''); // line 15: blank, skipped
    // Lines 30 and 31: a text part without text, and a line nested 5,000 deep. Each used to throw out of
    // the line parser, so the expand job failed on every try and the whole batch stayed validating.
    lines.push(
      JSON.stringify({
        custom_id: 'no-text',
        url: '/v1/chat/completions',
        body: { model: 'switchyard', messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      }),
      `{"custom_id":"deep","url":"/v1/chat/completions","body":{"model":"switchyard","x":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
    );
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'input.jsonl'),
      purpose: 'batch',
    });
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'input.jsonl' });
    expect((await client.files.retrieve(file.id)).bytes).toBe(Buffer.byteLength(`${lines.join('\n')}\n`));

    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { project: 'sdk-test' },
    });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id });
    const batch = await waitForBatch(created.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 30, completed: 24, failed: 6 });
    expect(batch.metadata).toEqual({ project: 'sdk-test' });
    expect(batch.output_file_id).toBeTruthy();
    expect(batch.error_file_id).toBeTruthy();

    const output = parseJsonl(await (await client.files.content(batch.output_file_id as string)).text());
    const byCustomId = new Map(output.map((line) => [line.custom_id, line]));
    expect(byCustomId.size).toBe(24);
    for (const item of good) {
      const line = byCustomId.get(item.customId);
      expect(line?.error).toBeNull();
      expect(line?.response.status_code).toBe(200);
      const body = line?.response.body;
      expect(body.object).toBe('chat.completion');
      expect(body.choices[0].message.content.length).toBeGreaterThan(0);
      expect(body.usage.total_tokens).toBeGreaterThan(0);
      expect(Number(body.switchyard.cost_usd)).toBeGreaterThan(0);
      expect(body.switchyard.attempts.length).toBeGreaterThan(0);
      expect(body.model).toBe(body.switchyard.model);
    }

    const errors = parseJsonl(await (await client.files.content(batch.error_file_id as string)).text());
    expect(errors.map((line) => [line.error.line, line.error.code])).toEqual([
      [4, 'invalid_json'],
      [8, 'duplicate_custom_id'],
      [11, 'invalid_url'],
      [13, 'invalid_body'],
      [30, 'invalid_body'],
      [31, 'invalid_line'],
    ]);
    expect(errors[1]?.custom_id).toBe('q-0');
  });

  it('answers chat.completions.create, plain and streamed', async () => {
    const completion = await client.chat.completions.create({
      model: 'switchyard',
      messages: [
        { role: 'system', content: 'Answer with a number.' },
        { role: 'user', content: 'What is 40 + 2?' },
      ],
      max_tokens: 200,
      metadata: { answerType: 'number' },
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.role).toBe('assistant');
    const answer = completion.choices[0]?.message.content ?? '';
    expect(answer.length).toBeGreaterThan(0);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      model: 'switchyard/economy',
      messages: [{ role: 'user', content: 'What is 40 + 2?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('calls a pinned pool model directly, and refuses an unknown one with 404 model_not_found', async () => {
    const completion = await client.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'What is 2 + 2?' }],
    });
    expect(completion.model).toBe('sim-small');
    const switchyard = (completion as unknown as { switchyard: { attempts: { model: string }[] } }).switchyard;
    expect(switchyard.attempts.map((attempt) => attempt.model)).toEqual(['sim-small']);

    const unknown = await client.chat.completions
      .create({ model: 'gpt-nonexistent', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');

    const preset = await client.chat.completions
      .create({ model: 'switchyard/cheapest', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((error: unknown) => error);
    expect((preset as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    expect((preset as InstanceType<typeof OpenAI.APIError>).message).toContain('switchyard/economy');
  });

  it('lists and retrieves what `model` may name: switchyard, its presets and the pool the workers serve', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['switchyard', 'switchyard/match', 'sim-small', 'sim-frontier']));
    expect((await client.models.retrieve('switchyard/economy')).owned_by).toBe('switchyard');
    expect((await client.models.retrieve('sim-small')).object).toBe('model');
    const unknown = await client.models.retrieve('gpt-nonexistent').catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('pages through batches with the SDK’s cursor pagination', async () => {
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${requestLine('only', 'What is 1 + 2?')}\n`), 'one.jsonl'),
      purpose: 'batch',
    });
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const batch = await client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      ids.push(batch.id);
    }
    const listed: string[] = [];
    for await (const batch of client.batches.list({ limit: 2 })) listed.push(batch.id);
    // Newest first; the first test's batch is last.
    expect(listed.slice(0, 3)).toEqual([...ids].reverse());
    expect(listed).toHaveLength(4);
  });

  it('exposes per-model calls, cost, latency, verdicts, escalations and queue waits on /metrics, and batches on the ops view', async () => {
    const operator = { authorization: `Bearer ${stack.adminToken}` };
    const client = new pg.Client({ connectionString: stack.database.url });
    await client.connect();
    // The batches of the pagination test are still running: compare once every query has ended.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const { rows } = await client.query<{ open: string }>(
        "SELECT count(*)::text AS open FROM queries WHERE status NOT IN ('completed', 'failed')",
      );
      if (rows[0]?.open === '0') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Workers write queue waits to Redis once a second: read until the last second's are in.
    const queueWaitsIn = (text: string) =>
      ['route', 'call-sim-small', 'batch'].every((queue) =>
        new RegExp(`^switchyard_queue_wait_seconds_count\\{queue="${queue}"\\} [1-9]`, 'm').test(text),
      );
    let metrics = '';
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      metrics = await (await fetch(`${stack.apiUrl}/metrics`, { headers: operator })).text();
      if (queueWaitsIn(metrics)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const value = (pattern: RegExp) => [...metrics.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
    const [ledger] = (
      await client.query<{ calls: string; cost: string }>(
        "SELECT count(*)::text AS calls, sum(cost_usd)::text AS cost FROM attempts WHERE outcome <> 'started'",
      )
    ).rows;
    await client.end();
    // The series are the ledger's own totals.
    expect(value(/^switchyard_model_calls_total\{[^}]*\} (\S+)$/gm)).toBe(Number(ledger?.calls));
    expect(value(/^switchyard_model_cost_usd_total\{[^}]*\} (\S+)$/gm)).toBeCloseTo(Number(ledger?.cost), 9);
    expect(metrics).toMatch(
      /^switchyard_model_calls_total\{model="sim-small",role="answer",outcome="succeeded"\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^switchyard_model_call_latency_seconds_bucket\{model="sim-small",role="answer",outcome="succeeded",le="\+Inf"\} [1-9]/m,
    );
    expect(metrics).toMatch(/^switchyard_stage_verdicts_total\{model="[^"]+",decision="(accept|escalate)"\} [1-9]/m);
    expect(metrics).toMatch(
      /^switchyard_queries_finished_total\{status="completed",outcome="[a-z]+",escalated="(true|false)"\} [1-9]/m,
    );
    // Calls wait in their model's queue (decide jobs wait for their calls by design and are not counted).
    for (const queue of ['route', 'call-sim-small', 'batch']) {
      expect(metrics).toMatch(new RegExp(`^switchyard_queue_wait_seconds_count\\{queue="${queue}"\\} [1-9]`, 'm'));
    }

    const ops = await fetch(`${stack.apiUrl}/admin/batches`, { headers: operator });
    expect(ops.status).toBe(200);
    const view = (await ops.json()) as {
      data: {
        id: string;
        request_counts: { total: number };
        switchyard: { cost_usd: string; escalation_rate: number | null };
        api_key: string;
      }[];
    };
    const completed = view.data.find((batch) => batch.request_counts.total === 30);
    expect(completed?.api_key).toBe('e2e');
    expect(Number(completed?.switchyard.cost_usd)).toBeGreaterThan(0);
    // Written like a query's costUsd: no trailing zeros (was "0.000869500000").
    expect(completed?.switchyard.cost_usd).toMatch(/^\d+(\.\d*[1-9])?$/);
    expect(completed?.switchyard.escalation_rate).toBeGreaterThanOrEqual(0);
    // Tenants' keys do not open the operator surface.
    expect((await fetch(`${stack.apiUrl}/admin/batches`, { headers: stack.auth })).status).toBe(401);
  });
});
