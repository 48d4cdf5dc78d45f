import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outputTokenLimit, tokenCostPicoUsd } from './output-limit.js';
import { parseUsd } from './usd.js';

/** A price as people write them: up to 4 integer digits and 6 decimals, USD per 1M tokens. */
const price = fc
  .tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([whole, micro]) => `${whole}.${String(micro).padStart(6, '0')}`);

describe('outputTokenLimit', () => {
  it('gives the most output tokens the budget pays after the input, capped by the model', () => {
    // $0.01 left, input worst case $0.004, output $10/M → 600 tokens fit; cap 4096.
    const limit = outputTokenLimit({
      remainingPicoUsd: parseUsd('0.01'),
      inputWorstCasePicoUsd: parseUsd('0.004'),
      outputUsdPerMTok: '10',
      maxOutputTokens: 4096,
      minOutputTokens: 16,
    });
    expect(limit).toEqual({ ok: true, maxOutputTokens: 600, reservationPicoUsd: parseUsd('0.01') });
    const capped = outputTokenLimit({
      remainingPicoUsd: null,
      inputWorstCasePicoUsd: 0n,
      outputUsdPerMTok: '10',
      maxOutputTokens: 512,
      minOutputTokens: 16,
    });
    expect(capped).toMatchObject({ ok: true, maxOutputTokens: 512 });
  });

  it('refuses a call whose input alone, or input plus the floor, the budget cannot pay', () => {
    const input = { outputUsdPerMTok: '10', maxOutputTokens: 4096, minOutputTokens: 16 };
    expect(
      outputTokenLimit({ ...input, remainingPicoUsd: parseUsd('0.001'), inputWorstCasePicoUsd: parseUsd('0.002') }),
    ).toMatchObject({ ok: false, affordableOutputTokens: 0 });
    expect(
      outputTokenLimit({ ...input, remainingPicoUsd: parseUsd('0.00015'), inputWorstCasePicoUsd: 0n }),
    ).toMatchObject({ ok: false, affordableOutputTokens: 15 });
  });

  it('never lets a sequence of calls that each use their whole limit cost more than the budget (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50_000_000_000 }), // budget up to $0.05, in pico-USD
        fc.array(
          fc.record({
            inputUsdPerMTok: price,
            outputUsdPerMTok: price,
            inputTokens: fc.integer({ min: 0, max: 20_000 }),
            maxOutputTokens: fc.integer({ min: 1, max: 16_384 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.integer({ min: 1, max: 64 }),
        (budget, calls, minOutputTokens) => {
          let spent = 0n;
          for (const call of calls) {
            const inputWorstCasePicoUsd = tokenCostPicoUsd(call.inputTokens, call.inputUsdPerMTok);
            const limit = outputTokenLimit({
              remainingPicoUsd: BigInt(budget) - spent,
              inputWorstCasePicoUsd,
              outputUsdPerMTok: call.outputUsdPerMTok,
              maxOutputTokens: call.maxOutputTokens,
              minOutputTokens,
            });
            if (!limit.ok) continue;
            expect(limit.maxOutputTokens).toBeGreaterThanOrEqual(minOutputTokens);
            expect(limit.maxOutputTokens).toBeLessThanOrEqual(call.maxOutputTokens);
            // The provider bills its input and talks to the limit: the exact cost, in pico-USD ×1e6.
            const exactTimesMillion =
              BigInt(call.inputTokens) * parseUsd(call.inputUsdPerMTok) +
              BigInt(limit.maxOutputTokens) * parseUsd(call.outputUsdPerMTok);
            expect(exactTimesMillion).toBeLessThanOrEqual(limit.reservationPicoUsd * 1_000_000n);
            spent += limit.reservationPicoUsd;
          }
          expect(spent).toBeLessThanOrEqual(BigInt(budget));
        },
      ),
      { numRuns: 500 },
    );
  });
});
