import { describe, expect, it } from 'vitest';
import { computeCostUsd, maxCostUsd } from './cost.js';
import { addDecimals, compareDecimals, formatDecimal, parseDecimal, sumDecimalStrings } from './decimal.js';
import { createModelPricing } from './model-pricing.js';

describe('decimal arithmetic', () => {
  it('adds 0.1 and 0.2 to exactly 0.3, where binary floats drift', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumDecimalStrings(['0.1', '0.2'])).toBe('0.3');
    expect(formatDecimal(addDecimals(parseDecimal(0.1), parseDecimal(0.2)))).toBe('0.3');
  });

  it('reads numbers in exponent form and prints them without exponent', () => {
    expect(formatDecimal(parseDecimal(1.5e-7))).toBe('0.00000015');
    expect(formatDecimal(parseDecimal('2.50e3'))).toBe('2500');
    expect(formatDecimal(parseDecimal('-0.0100'))).toBe('-0.01');
    expect(formatDecimal(parseDecimal('0'))).toBe('0');
  });

  it('refuses text that is not a decimal number', () => {
    expect(() => parseDecimal('1,5')).toThrow(/not a decimal number/);
    expect(() => parseDecimal('')).toThrow(/not a decimal number/);
    expect(() => parseDecimal(Number.NaN)).toThrow(/not a finite number/);
  });

  it('keeps a sum of ten thousand tiny costs exact', () => {
    const total = sumDecimalStrings(Array.from({ length: 10_000 }, () => '0.0000001'));
    expect(total).toBe('0.001');
    let float = 0;
    for (let index = 0; index < 10_000; index += 1) float += 0.0000001;
    expect(float).not.toBe(0.001);
  });

  it('compares decimals of different scales', () => {
    expect(compareDecimals(parseDecimal('0.30'), parseDecimal('0.3'))).toBe(0);
    expect(compareDecimals(parseDecimal('0.29999'), parseDecimal('0.3'))).toBe(-1);
    expect(compareDecimals(parseDecimal('1'), parseDecimal('0.999999999999999999999'))).toBe(1);
  });
});

describe('computeCostUsd', () => {
  const pricing = createModelPricing({ inputUsdPerMTok: 0.1, outputUsdPerMTok: 0.2 });

  it('prices 3 input tokens at $0.1/M plus 3 output tokens at $0.2/M as exactly $0.0000009', () => {
    expect(computeCostUsd(pricing, 3, 3)).toBe('0.0000009');
    expect((3 * 0.1) / 1e6 + (3 * 0.2) / 1e6).not.toBe(0.0000009);
  });

  it('prices per million tokens', () => {
    const gpt4o = createModelPricing({ inputUsdPerMTok: 5, outputUsdPerMTok: 15 });
    expect(computeCostUsd(gpt4o, 1_000_000, 0)).toBe('5');
    expect(computeCostUsd(gpt4o, 127, 202)).toBe('0.003665');
    expect(computeCostUsd(gpt4o, 0, 0)).toBe('0');
  });

  it('refuses negative or fractional token counts', () => {
    expect(() => computeCostUsd(pricing, -1, 0)).toThrow(/inputTokens/);
    expect(() => computeCostUsd(pricing, 1, 0.5)).toThrow(/outputTokens/);
  });

  it('reserves the worst case of prompt plus maximum output', () => {
    const entry = { pricing: createModelPricing({ inputUsdPerMTok: '2.5', outputUsdPerMTok: '10' }) };
    expect(maxCostUsd(entry, 1000, 4096)).toBe('0.04346');
  });
});
