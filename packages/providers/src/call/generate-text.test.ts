import { describe, expect, it } from 'vitest';
import { ProviderError } from '../spec/provider-error.js';
import { createMockModelEntry, MockLanguageModel } from '../testing/mock-language-model.js';
import { generateText } from './generate-text.js';

const entry = createMockModelEntry({ maxOutputTokens: 256 });

describe('generateText', () => {
  it('computes the exact cost from usage and list prices and measures latency', async () => {
    const model = new MockLanguageModel({ steps: [{ usage: { inputTokens: 1234, outputTokens: 567, raw: null } }] });
    const response = await generateText({ model, entry, options: { prompt: 'hi' } });
    expect(response.costUsd).toBe('0.002368');
    expect(response.pricing).toBe(entry.pricing);
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('charges a provider-reported cost as is', async () => {
    const model = new MockLanguageModel({
      steps: [{ usage: { inputTokens: null, outputTokens: null, costUsd: '0.000123456789', raw: null } }],
    });
    expect((await generateText({ model, entry, options: { prompt: 'hi' } })).costUsd).toBe('0.000123456789');
  });

  it('flags a result without token counts instead of charging $0', async () => {
    const model = new MockLanguageModel({ steps: [{ usage: { inputTokens: null, outputTokens: null, raw: null } }] });
    const response = await generateText({ model, entry, options: { prompt: 'hi' } });
    expect(response.costUsd).toBeNull();
    expect(response.result.warnings).toContainEqual(expect.stringMatching(/^usage-missing/));
  });

  it('passes the registry output limit and an abort signal to the model', async () => {
    const model = new MockLanguageModel();
    await generateText({ model, entry, options: { prompt: 'hi' } });
    expect(model.calls[0]?.maxOutputTokens).toBe(256);
    expect(model.calls[0]?.abortSignal).toBeInstanceOf(AbortSignal);
    await generateText({ model, entry, options: { prompt: 'hi', maxOutputTokens: 8 } });
    expect(model.calls[1]?.maxOutputTokens).toBe(8);
  });

  it('turns a slow model into a retryable timeout error', async () => {
    const model = new MockLanguageModel({
      steps: [
        (options) =>
          new Promise((_, reject) =>
            options.abortSignal?.addEventListener('abort', () => reject(options.abortSignal?.reason)),
          ),
      ],
    });
    const error = await generateText({ model, entry, options: { prompt: 'hi', timeoutMs: 20 } }).catch(
      (caught) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      kind: 'timeout',
      isRetryable: true,
      message: 'mock/mock-model: no response within 20 ms',
    });
    expect((error as Error).cause).toBeInstanceOf(DOMException);
  });

  it("reports the caller's abort as a non-retryable aborted error", async () => {
    const controller = new AbortController();
    const model = new MockLanguageModel({
      steps: [
        (options) => {
          controller.abort();
          return Promise.reject(options.abortSignal?.reason);
        },
      ],
    });
    await expect(
      generateText({ model, entry, options: { prompt: 'hi', abortSignal: controller.signal } }),
    ).rejects.toMatchObject({ kind: 'aborted', isRetryable: false });
  });

  it('keeps a ProviderError and wraps anything else with its cause', async () => {
    const typed = new ProviderError({ kind: 'rate_limit', message: 'slow down', statusCode: 429 });
    const model = new MockLanguageModel({ steps: [typed, new TypeError('boom')] });
    await expect(generateText({ model, entry, options: { prompt: 'hi' } })).rejects.toBe(typed);
    const error = await generateText({ model, entry, options: { prompt: 'hi' } }).catch((caught) => caught);
    expect(error).toMatchObject({ name: 'ProviderError', kind: 'unknown', isRetryable: false });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });
});
