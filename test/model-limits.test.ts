import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sendJson, startWireServer, type WireServer } from '@switchyard/providers/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack.js';

// Per-model limits hold across worker processes: two workers share one model whose registry entry
// allows 2 calls in flight, behind a local server speaking the OpenAI protocol that counts what it
// has in flight; a 429 with retry-after pauses that model for every worker, not only the job that got it.
let stack: Stack;
let server: WireServer;
let inFlight = 0;
let maxInFlight = 0;
let answered = 0;
const arrivals: number[] = [];
let throttleNext = false;
let throttledAt: number | null = null;
let throttledIndex = -1;

function reply(body: { model: string }, id: string) {
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: 1_741_569_952,
    model: body.model,
    choices: [
      { index: 0, message: { role: 'assistant', content: 'The answer is 42.', refusal: null }, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
  };
}

beforeAll(async () => {
  server = await startWireServer(async (request, response) => {
    arrivals.push(Date.now());
    if (throttleNext) {
      throttleNext = false;
      throttledAt = Date.now();
      throttledIndex = arrivals.length - 1;
      sendJson(
        response,
        429,
        { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: null } },
        {
          'retry-after': '2',
        },
      );
      return;
    }
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 150));
    inFlight -= 1;
    answered += 1;
    sendJson(response, 200, reply(request.body as { model: string }, String(answered)));
  });
  const folder = await mkdtemp(path.join(tmpdir(), 'sy-limits-'));
  const modelsFile = path.join(folder, 'models.json');
  await writeFile(
    modelsFile,
    JSON.stringify({
      models: [
        {
          id: 'limited',
          provider: 'openai',
          model: 'limited-model',
          baseURL: `${server.url}/v1`,
          inputUsdPerMTok: 1,
          outputUsdPerMTok: 2,
          maxOutputTokens: 64,
          concurrency: 2,
        },
      ],
    }),
  );
  // The queue prefix is a Redis Cluster hash tag, as the README tells cluster deployments to use.
  stack = await startStack(
    { SWITCHYARD_MODELS: modelsFile, SWITCHYARD_CALL_BACKOFF_MS: '100' },
    { hashTagPrefix: true },
  );
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.stop();
  await server?.close();
});

async function submit(count: number, tag: string) {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await stack.post('/v1/queries', {
      prompt: `What is ${index} times 7? (${tag})`,
      metadata: { answerType: 'number' },
    });
    expect(response.status).toBe(202);
    ids.push(response.body.id as string);
  }
  return Promise.all(ids.map((id) => stack.waitForQuery(id)));
}

describe('per-model limits across worker processes', () => {
  it("keeps a model's calls in flight at its configured concurrency, summed over every worker", async () => {
    const queries = await submit(12, 'concurrency');
    expect(queries.every((query) => query.status === 'completed')).toBe(true);
    expect(answered).toBeGreaterThanOrEqual(12);
    // Two workers, each allowed hundreds of calls: only the model's limit explains a maximum of 2.
    expect(maxInFlight).toBe(2);
  });

  it('pauses the model for every worker when the provider answers 429 with retry-after', async () => {
    throttleNext = true;
    throttledAt = null;
    const before = arrivals.length;
    const queries = await submit(6, 'throttled');
    expect(queries.every((query) => query.status === 'completed')).toBe(true);
    expect(throttledAt).not.toBeNull();
    const at = throttledAt as unknown as number;
    // The throttled call is this test's first arrival; counted by position, not by time, because the
    // other call in flight can arrive in the same millisecond (calls of jobs run in one turn go together).
    expect(throttledIndex).toBe(before);
    const after = arrivals.slice(throttledIndex + 1);
    expect(after.length).toBeGreaterThanOrEqual(6);
    // In the 2 s the provider asked for, at most the one other call already in flight when the 429 came
    // (the model allows 2) reaches it, from any worker; without the shared pause the other queries'
    // calls (150 ms each, 2 at a time) would all arrive in that window.
    expect(after.filter((arrival) => arrival - at < 1_950).length).toBeLessThanOrEqual(1);
    // The throttled call was retried and charged once: its attempt has 2 tries.
    const tries = queries.flatMap((query) => query.attempts.map((attempt) => (attempt as { tries?: number }).tries));
    expect(tries.filter((count) => count === 2)).toHaveLength(1);
  });
});
