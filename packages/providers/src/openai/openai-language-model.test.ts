import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateText } from '../call/generate-text.js';
import { createModelPricing } from '../pricing/model-pricing.js';
import { ProviderError } from '../spec/provider-error.js';
import { createMockModelEntry } from '../testing/mock-language-model.js';
import { sendJson, startWireServer, type WireServer } from '../testing/wire-server.js';
import { createOpenAILanguageModel } from './openai-language-model.js';

const API_KEY = 'sk-test-0123456789abcdef';
const entry = createMockModelEntry({
  id: 'gpt-4o-mini',
  provider: 'openai',
  pricing: createModelPricing({ inputUsdPerMTok: '0.15', outputUsdPerMTok: '0.6' }),
  maxOutputTokens: 512,
});

/** A Chat Completions response as api.openai.com sends it (2025). */
const completion = {
  id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
  object: 'chat.completion',
  created: 1_741_569_952,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: '17 + 25 = 42. The answer is 42.', refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 19,
    completion_tokens: 13,
    total_tokens: 32,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_06737a9306',
};

function apiError(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer((_, response) => sendJson(response, 200, completion));
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

function call(options: { timeoutMs?: number; responseFormat?: { type: 'json' } } = {}) {
  const model = createOpenAILanguageModel({ modelId: 'gpt-4o-mini', apiKey: API_KEY, baseURL: `${server.url}/v1` });
  return generateText({
    model,
    entry,
    options: { system: 'Answer briefly.', prompt: 'What is 17 + 25?', temperature: 0, ...options },
  });
}

async function callError(options: { timeoutMs?: number } = {}): Promise<ProviderError> {
  const error = await call(options).catch((caught: unknown) => caught);
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('openai provider over the wire', () => {
  it('returns text, usage, request id, finish reason and exact cost', async () => {
    server.handle((_, response) => sendJson(response, 200, completion, { 'x-request-id': 'req_7c1f0e2b9a' }));
    const { result, costUsd } = await call({ responseFormat: { type: 'json' } });
    expect(result.text).toBe('17 + 25 = 42. The answer is 42.');
    expect(result.usage).toMatchObject({ inputTokens: 19, outputTokens: 13 });
    expect(result.providerRequestId).toBe('req_7c1f0e2b9a');
    expect(result.servedModelId).toBe('gpt-4o-mini-2024-07-18');
    expect(result.finishReason).toEqual({ unified: 'stop', raw: 'stop' });
    expect(costUsd).toBe('0.00001065');
  });

  it('sends a Chat Completions request once, with the system turn, limits and JSON mode', async () => {
    server.handle((_, response) => sendJson(response, 200, completion));
    await call({ responseFormat: { type: 'json' } });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'What is 17 + 25?' },
      ],
      max_tokens: 512,
      temperature: 0,
      response_format: { type: 'json_object' },
      stream: false,
    });
  });

  it('always sends an output limit, in the field the registry names, and strict json_schema', async () => {
    server.handle((_, response) => sendJson(response, 200, completion));
    const bare = createOpenAILanguageModel({ modelId: 'o3-mini', apiKey: API_KEY, baseURL: `${server.url}/v1` });
    await bare.doGenerate({ prompt: 'hi' });
    expect(server.requests[0]?.body).toMatchObject({ max_tokens: 4096 });
    const configured = createOpenAILanguageModel({
      modelId: 'o3-mini',
      apiKey: API_KEY,
      baseURL: `${server.url}/v1`,
      maxTokensField: 'max_completion_tokens',
      defaultMaxOutputTokens: 900,
    });
    const schema = { type: 'object', properties: {}, additionalProperties: false };
    await configured.doGenerate({
      prompt: 'hi',
      responseFormat: { type: 'json', schema, name: 'verdict', strict: true },
    });
    expect(server.requests[1]?.body).toMatchObject({
      max_completion_tokens: 900,
      response_format: { type: 'json_schema', json_schema: { name: 'verdict', schema, strict: true } },
    });
    expect(server.requests[1]?.body).not.toHaveProperty('max_tokens');
  });

  it('maps finish_reason length to unified length, keeping the raw value', async () => {
    const truncated = { ...completion, choices: [{ ...completion.choices[0], finish_reason: 'length' }] };
    server.handle((_, response) => sendJson(response, 200, truncated));
    expect((await call()).result.finishReason).toEqual({ unified: 'length', raw: 'length' });
  });

  it('turns a 429 with retry-after into a retryable rate_limit error, without retrying itself', async () => {
    server.handle((_, response) =>
      sendJson(
        response,
        429,
        apiError(
          'Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit 200000.',
          'tokens',
          'rate_limit_exceeded',
        ),
        { 'retry-after': '2', 'x-request-id': 'req_429' },
      ),
    );
    const error = await callError();
    expect(error).toMatchObject({
      kind: 'rate_limit',
      statusCode: 429,
      isRetryable: true,
      retryAfterMs: 2000,
      requestId: 'req_429',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('prefers retry-after-ms when present', async () => {
    server.handle((_, response) =>
      sendJson(response, 429, apiError('Rate limit reached', 'requests', 'rate_limit_exceeded'), {
        'retry-after-ms': '350',
        'retry-after': '1',
      }),
    );
    expect((await callError()).retryAfterMs).toBe(350);
  });

  it('treats an exhausted quota 429 as non-retryable', async () => {
    server.handle((_, response) =>
      sendJson(response, 429, apiError('You exceeded your current quota.', 'insufficient_quota', 'insufficient_quota')),
    );
    expect(await callError()).toMatchObject({ kind: 'permission', isRetryable: false });
  });

  it('turns 500 into a retryable server error and 503 into overloaded', async () => {
    server.handle((_, response) =>
      sendJson(response, 500, apiError('The server had an error while processing your request.', 'server_error', null)),
    );
    expect(await callError()).toMatchObject({ kind: 'server', statusCode: 500, isRetryable: true });
    server.handle((_, response) =>
      sendJson(
        response,
        503,
        apiError('The engine is currently overloaded, please try again later', 'server_error', null),
      ),
    );
    expect(await callError()).toMatchObject({ kind: 'overloaded', statusCode: 503, isRetryable: true });
    expect(server.requests).toHaveLength(2);
  });

  it('recognises context_length_exceeded as non-retryable', async () => {
    server.handle((_, response) =>
      sendJson(
        response,
        400,
        apiError(
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens.",
          'invalid_request_error',
          'context_length_exceeded',
          'messages',
        ),
      ),
    );
    expect(await callError()).toMatchObject({ kind: 'context_length_exceeded', statusCode: 400, isRetryable: false });
  });

  it('turns 401 into authentication and keeps the key out of the message', async () => {
    server.handle((_, response) =>
      sendJson(
        response,
        401,
        apiError(`Incorrect API key provided: ${API_KEY}.`, 'invalid_request_error', 'invalid_api_key'),
      ),
    );
    const error = await callError();
    expect(error).toMatchObject({ kind: 'authentication', statusCode: 401, isRetryable: false });
    expect(error.message).toContain('Incorrect API key provided: [redacted]');
    expect(error.message).not.toContain(API_KEY);
  });

  it('turns a malformed JSON body into invalid_response', async () => {
    server.handle((_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id":"chatcmpl-1","choices":[');
    });
    expect(await callError()).toMatchObject({ kind: 'invalid_response', isRetryable: false });
  });

  it('turns valid JSON of the wrong shape into invalid_response naming the field', async () => {
    server.handle((_, response) =>
      sendJson(response, 200, { id: 'chatcmpl-1', choices: [] }, { 'x-request-id': 'req_bad' }),
    );
    const error = await callError();
    expect(error).toMatchObject({ kind: 'invalid_response', requestId: 'req_bad' });
    expect(error.message).toMatch(/at choices/);
  });

  it('turns a connection reset into a retryable network error', async () => {
    server.handle((_, response) => {
      response.socket?.destroy();
    });
    const error = await callError();
    expect(error).toMatchObject({ kind: 'network', isRetryable: true });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('turns a response slower than the timeout into a retryable timeout error', async () => {
    server.handle((_, response) => {
      const timer = setTimeout(() => sendJson(response, 200, completion), 2_000);
      response.on('close', () => clearTimeout(timer));
    });
    const started = Date.now();
    const error = await callError({ timeoutMs: 100 });
    expect(error).toMatchObject({ kind: 'timeout', isRetryable: true });
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
