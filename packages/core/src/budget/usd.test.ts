import { describe, expect, it } from 'vitest';
import { CoreError } from '../errors.js';
import { formatUsd, parseUsd, sumUsd, usdFromNumber } from './usd.js';

describe('usd', () => {
  it('sums decimal amounts exactly where floats would not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumUsd(['0.1', '0.2'])).toBe('0.3');
    expect(sumUsd([4.7235e-5, '0.000000000001', 0])).toBe('0.000047235001');
  });
  it('round-trips through pico-dollars and accepts exponent notation', () => {
    expect(formatUsd(parseUsd('12.500'))).toBe('12.5');
    expect(parseUsd('1e-6')).toBe(1_000_000n);
    expect(usdFromNumber(0)).toBe('0');
  });
  it('rejects what is not an amount', () => {
    expect(() => parseUsd('abc')).toThrow(CoreError);
    expect(() => parseUsd(Number.NaN)).toThrow(CoreError);
    expect(() => parseUsd('.')).toThrow(CoreError);
  });
});
