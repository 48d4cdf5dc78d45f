import { formatUsd, outputTokenLimit, parseUsd } from '@switchyard/core';
import { countTokens, type LanguageModel, parseModelRegistry } from '@switchyard/providers';
import { MockLanguageModel } from '@switchyard/providers/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createModelGateway, DEFAULT_CALL_LIMITS } from './model-gateway.js';

/** A price as people write them: USD per 1M tokens with up to 6 decimals. */
const price = fc
  .tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([whole, micro]) => `${whole}.${String(micro).padStart(6, '0')}`);

/**
 * A provider that bills the most an honest provider could: for an OpenAI-family model its exact
 * o200k count with OpenAI's framing (3 tokens per message, 3 per request), for any other model one
 * token per UTF-8 byte; and it always talks up to the output limit it was given.
 */
function worstHonestModel(openaiFamily: boolean): LanguageModel {
  return new MockLanguageModel({
    steps: [
      (options) => {
        const texts = [
          options.system ?? '',
          ...(options.messages ?? [{ content: options.prompt ?? '' }]).map((m) => m.content),
        ];
        const inputTokens = openaiFamily
          ? texts.reduce((sum, text) => sum + 3 + countTokens(text, 'o200k_base'), 3)
          : texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
        const outputTokens = options.maxOutputTokens ?? Number.NaN;
        return {
          text: 'x'.repeat(outputTokens),
          usage: { inputTokens, outputTokens, raw: null },
          finishReason: { unified: 'length', raw: 'length' },
        };
      },
    ],
  });
}

describe('model gateway under a hard budget (property)', () => {
  it('never lets calls that bill their whole input bound and output limit cost more than the budget', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ input: price, output: price, cap: fc.integer({ min: 16, max: 8_192 }) }), {
          minLength: 2,
          maxLength: 2,
        }),
        fc.array(
          fc.tuple(fc.string({ unit: 'grapheme', maxLength: 2_000, size: 'max' }), fc.integer({ min: 0, max: 1 })),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.integer({ min: 0, max: 20_000_000_000 }), // up to $0.02, pico-USD
        async (prices, calls, budgetPico) => {
          const registry = parseModelRegistry(
            {
              models: prices.map((entry, index) => ({
                id: index === 0 ? 'gpt' : 'other',
                provider: 'openai',
                model: index === 0 ? 'gpt-4o-mini' : 'llama3.1:8b',
                baseURL: 'http://127.0.0.1:9/v1',
                inputUsdPerMTok: entry.input,
                outputUsdPerMTok: entry.output,
                maxOutputTokens: entry.cap,
              })),
            },
            {},
          );
          const models = new Map([
            ['gpt', worstHonestModel(true)],
            ['other', worstHonestModel(false)],
          ]);
          const gateway = createModelGateway(registry, models, { callTimeoutMs: 5_000, limits: DEFAULT_CALL_LIMITS });
          let spent = 0n;
          for (const [prompt, which] of calls) {
            const modelId = which === 0 ? 'gpt' : 'other';
            const input = { prompt, system: 'Answer briefly.' };
            const { pricing } = gateway.callPricing(modelId, input);
            if (pricing.kind !== 'tokens') throw new Error('expected token pricing');
            // What the ledger does under the query's lock.
            const limit = outputTokenLimit({
              remainingPicoUsd: BigInt(budgetPico) - spent,
              inputWorstCasePicoUsd: parseUsd(pricing.inputWorstCaseUsd),
              outputUsdPerMTok: pricing.outputUsdPerMTok,
              maxOutputTokens: pricing.maxOutputTokens,
              minOutputTokens: pricing.minOutputTokens,
            });
            if (!limit.ok) continue;
            const result = await gateway.generate(modelId, input, { maxOutputTokens: limit.maxOutputTokens });
            expect(result.outputTokens).toBe(limit.maxOutputTokens);
            const charged = parseUsd(result.costUsd ?? 'NaN');
            expect(
              charged,
              `${modelId}: charged ${formatUsd(charged)} > reserved ${formatUsd(limit.reservationPicoUsd)}`,
            ).toBeLessThanOrEqual(limit.reservationPicoUsd);
            spent += charged;
          }
          expect(spent).toBeLessThanOrEqual(BigInt(budgetPico));
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});
