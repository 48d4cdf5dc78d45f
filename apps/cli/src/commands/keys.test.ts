import { ApiKeyError } from '@switchyard/db';
import { describe, expect, it } from 'vitest';
import { escapeNonPrintable, MAX_BUDGET_USD, parseBudgetUsd, toTerminalJson } from './keys.js';

describe('parseBudgetUsd', () => {
  it('keeps amounts the column holds, as written', () => {
    expect(parseBudgetUsd('25')).toBe('25');
    expect(parseBudgetUsd('0.000000000001')).toBe('0.000000000001');
    expect(parseBudgetUsd(MAX_BUDGET_USD)).toBe('99999999.999999999999');
    expect(parseBudgetUsd('0099999999')).toBe('0099999999');
  });

  it.each(['100000000', '100000000.5', '123456789012', '1e8'])(
    'refuses %s with a message naming the maximum',
    (value) => {
      expect(() => parseBudgetUsd(value)).toThrow(ApiKeyError);
      if (value !== '1e8')
        expect(() => parseBudgetUsd(value)).toThrow(/less than 100000000 USD \(at most 99999999\.999999999999\)/);
    },
  );

  it('still refuses zero, negatives and too many decimals', () => {
    for (const value of ['0', '-1', '1.0000000000001', 'abc'])
      expect(() => parseBudgetUsd(value)).toThrow(/positive amount/);
  });
});

describe('escapeNonPrintable', () => {
  it('turns controls, bidi overrides and separators into \\uXXXX, leaving printable text alone', () => {
    expect(escapeNonPrintable('evil\n\u001b[31mRED')).toBe('evil\\u000a\\u001b[31mRED');
    expect(escapeNonPrintable('a\u009bb\u202ec\u2028d\u007f')).toBe('a\\u009bb\\u202ec\\u2028d\\u007f');
    expect(escapeNonPrintable('Équipe 🚀 team-a')).toBe('Équipe 🚀 team-a');
    expect(escapeNonPrintable('a\udb80\udc00')).toBe('a\\udb80\\udc00');
  });
});

describe('toTerminalJson', () => {
  it('is the same JSON value with no non-printable character left but the indentation newlines', () => {
    const value = [{ name: 'x\n\u001b]0;title\u0007\u009b2J\u202e\u2029', id: 'k' }];
    const json = toTerminalJson(value);
    expect(JSON.parse(json)).toEqual(value);
    expect(json.replaceAll('\n', '')).not.toMatch(/[\p{C}\p{Zl}\p{Zp}]/u);
    expect(json).toContain('\\u009b2J\\u202e\\u2029');
  });
});
