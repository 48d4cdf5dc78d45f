import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateText } from '../call/generate-text.js';
import { createModelPricing } from '../pricing/model-pricing.js';
import type { GenerateOptions } from '../spec/language-model.js';
import { ProviderError } from '../spec/provider-error.js';
import { createMockModelEntry } from '../testing/mock-language-model.js';
import { sendJson, startWireServer, type WireServer } from '../testing/wire-server.js';
import { createAnthropicLanguageModel } from './anthropic-language-model.js';

const API_KEY = 'sk-ant-api03-test-0123456789';
const entry = createMockModelEntry({
  id: 'claude-3-5-haiku',
  provider: 'anthropic',
  pricing: createModelPricing({ inputUsdPerMTok: '0.8', outputUsdPerMTok: '4' }),
  maxOutputTokens: 1024,
});

/** A Messages API response as api.anthropic.com sends it (2025). */
const message = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-3-5-haiku-20241022',
  content: [{ type: 'text', text: '17 + 25 = 42. The answer is 42.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: {
    input_tokens: 21,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 17,
    service_tier: 'standard',
  },
};

function apiError(type: string, errorMessage: string) {
  return { type: 'error', error: { type, message: errorMessage }, request_id: 'req_011CErr' };
}

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer((_, response) => sendJson(response, 200, message));
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

function call(options: Partial<GenerateOptions> = {}) {
  const model = createAnthropicLanguageModel({
    modelId: 'claude-3-5-haiku-20241022',
    apiKey: API_KEY,
    baseURL: server.url,
    defaultMaxOutputTokens: 1024,
  });
  return generateText({
    model,
    entry: { ...entry, maxOutputTokens: null },
    options: { system: 'Answer briefly.', prompt: 'What is 17 + 25?', ...options },
  });
}

async function callError(options: Partial<GenerateOptions> = {}): Promise<ProviderError> {
  const error = await call(options).catch((caught: unknown) => caught);
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('anthropic provider over the wire', () => {
  it('returns text, usage, request id, finish reason and exact cost', async () => {
    server.handle((_, response) => sendJson(response, 200, message, { 'request-id': 'req_011CV4xyz' }));
    const { result, costUsd } = await call();
    expect(result.text).toBe('17 + 25 = 42. The answer is 42.');
    expect(result.usage).toMatchObject({ inputTokens: 21, outputTokens: 17 });
    expect(result.providerRequestId).toBe('req_011CV4xyz');
    expect(result.servedModelId).toBe('claude-3-5-haiku-20241022');
    expect(result.finishReason).toEqual({ unified: 'stop', raw: 'end_turn' });
    expect(costUsd).toBe('0.0000848');
  });

  it('sends one Messages request with a top-level system and max_tokens even when nothing sets one', async () => {
    server.handle((_, response) => sendJson(response, 200, message));
    await call({ stop: ['\n\n'] });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/messages' });
    // SDK 1.x sends the key as a bearer token; older releases used x-api-key.
    expect(request?.headers.authorization ?? request?.headers['x-api-key']).toMatch(
      new RegExp(`^(Bearer )?${API_KEY}$`),
    );
    expect(request?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(request?.body).toEqual({
      model: 'claude-3-5-haiku-20241022',
      // generateText's DEFAULT_MAX_OUTPUT_TOKENS: neither the call nor the registry entry set one.
      max_tokens: 4096,
      system: 'Answer briefly.',
      messages: [{ role: 'user', content: 'What is 17 + 25?' }],
      stop_sequences: ['\n\n'],
      stream: false,
    });
  });

  it('maps stop_reason max_tokens to unified length', async () => {
    server.handle((_, response) => sendJson(response, 200, { ...message, stop_reason: 'max_tokens' }));
    expect((await call()).result.finishReason).toEqual({ unified: 'length', raw: 'max_tokens' });
  });

  it('turns a 429 with retry-after into a retryable rate_limit error, without retrying itself', async () => {
    server.handle((_, response) =>
      sendJson(
        response,
        429,
        apiError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'),
        {
          'retry-after': '30',
          'request-id': 'req_011C429',
        },
      ),
    );
    const error = await callError();
    expect(error).toMatchObject({
      kind: 'rate_limit',
      statusCode: 429,
      isRetryable: true,
      retryAfterMs: 30_000,
      requestId: 'req_011C429',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('reads an HTTP-date retry-after', async () => {
    const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
    server.handle((_, response) =>
      sendJson(response, 429, apiError('rate_limit_error', 'rate limited'), { 'retry-after': inFiveSeconds }),
    );
    const { retryAfterMs } = await callError();
    expect(retryAfterMs).toBeGreaterThan(3_000);
    expect(retryAfterMs).toBeLessThanOrEqual(5_000);
  });

  it('turns 529 overloaded_error into a retryable overloaded error and 500 into server', async () => {
    server.handle((_, response) => sendJson(response, 529, apiError('overloaded_error', 'Overloaded')));
    expect(await callError()).toMatchObject({ kind: 'overloaded', statusCode: 529, isRetryable: true });
    server.handle((_, response) => sendJson(response, 500, apiError('api_error', 'Internal server error')));
    expect(await callError()).toMatchObject({ kind: 'server', statusCode: 500, isRetryable: true });
  });

  it('recognises a prompt that is too long as context_length_exceeded', async () => {
    server.handle((_, response) =>
      sendJson(response, 400, apiError('invalid_request_error', 'prompt is too long: 215432 tokens > 200000 maximum')),
    );
    const error = await callError();
    expect(error).toMatchObject({ kind: 'context_length_exceeded', statusCode: 400, isRetryable: false });
    expect(error.message).toBe(
      'anthropic/claude-3-5-haiku-20241022: 400 invalid_request_error: prompt is too long: 215432 tokens > 200000 maximum',
    );
  });

  it('turns other 400s into bad_request and 401 into authentication', async () => {
    server.handle((_, response) =>
      sendJson(response, 400, apiError('invalid_request_error', 'max_tokens: must be positive')),
    );
    expect(await callError()).toMatchObject({ kind: 'bad_request', isRetryable: false });
    server.handle((_, response) => sendJson(response, 401, apiError('authentication_error', 'invalid x-api-key')));
    expect(await callError()).toMatchObject({ kind: 'authentication', statusCode: 401, isRetryable: false });
  });

  it('turns a malformed JSON body into invalid_response', async () => {
    server.handle((_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id":"msg_1","type":"message","content":[{');
    });
    expect(await callError()).toMatchObject({ kind: 'invalid_response', isRetryable: false });
  });

  it('turns a connection reset into a retryable network error', async () => {
    server.handle((_, response) => {
      response.socket?.destroy();
    });
    expect(await callError()).toMatchObject({ kind: 'network', isRetryable: true });
  });

  it('turns a response slower than the timeout into a retryable timeout error', async () => {
    server.handle((_, response) => {
      const timer = setTimeout(() => sendJson(response, 200, message), 2_000);
      response.on('close', () => clearTimeout(timer));
    });
    expect(await callError({ timeoutMs: 100 })).toMatchObject({ kind: 'timeout', isRetryable: true });
  });

  it('asks for structured output as a forced tool call and returns the tool input as the text', async () => {
    const verdict = { verdict: 'pass', confidence: 0.97, reason: 'correct' };
    server.handle((_, response) =>
      sendJson(response, 200, {
        ...message,
        content: [{ type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'verdict', input: verdict }],
        stop_reason: 'tool_use',
      }),
    );
    const schema = { type: 'object', properties: { verdict: { type: 'string' } }, required: ['verdict'] };
    const { result } = await call({
      responseFormat: { type: 'json', schema, name: 'verdict', description: 'Your verdict.' },
      maxOutputTokens: 300,
    });
    expect(server.requests[0]?.body).toMatchObject({
      max_tokens: 300,
      tools: [{ name: 'verdict', description: 'Your verdict.', input_schema: schema }],
      tool_choice: { type: 'tool', name: 'verdict' },
    });
    expect(JSON.parse(result.text)).toEqual(verdict);
  });

  it('keeps the text and warns when a forced tool call is missing from the response', async () => {
    server.handle((_, response) => sendJson(response, 200, message));
    const { result } = await call({ responseFormat: { type: 'json', schema: { type: 'object' }, name: 'verdict' } });
    expect(result.text).toBe('17 + 25 = 42. The answer is 42.');
    expect(result.warnings).toContainEqual(expect.stringMatching(/no verdict tool call/));
  });
});
