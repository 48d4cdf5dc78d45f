import { describe, expect, it } from 'vitest';
import { ApiKeyError, checkApiKeyName, looksLikeKeyId } from './api-keys.js';

describe('checkApiKeyName', () => {
  it('keeps printable names, trimmed, in any script', () => {
    expect(checkApiKeyName('  team-a ')).toBe('team-a');
    expect(checkApiKeyName('Équipe données 🚀')).toBe('Équipe données 🚀');
    expect(checkApiKeyName('a b')).toBe('a b');
  });

  it.each([
    ['a newline', 'evil\nname  id', 'U+000A', 5],
    ['an ANSI escape', 'x\u001b[31mred', 'U+001B', 2],
    ['a tab', 'a\tb', 'U+0009', 2],
    ['DEL', 'a\u007f', 'U+007F', 2],
    ['a C1 control (CSI)', 'a\u009b31m', 'U+009B', 2],
    ['a bidi override', 'abc\u202edcba', 'U+202E', 4],
    ['a zero-width space', 'ad\u200bmin', 'U+200B', 3],
    ['a line separator', 'a\u2028b', 'U+2028', 2],
    ['a lone surrogate', 'a\ud800', 'U+D800', 2],
    ['a trailing newline', 'team\n', 'U+000A', 5],
  ])('refuses %s, naming its code point and position but not printing it', (_, name, codePoint, position) => {
    let error: unknown;
    try {
      checkApiKeyName(name);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiKeyError);
    const message = (error as Error).message;
    expect(message).toContain(codePoint);
    expect(message).toContain(`character ${position} `);
    expect(message).toMatch(/printable/);
    expect(message).not.toMatch(/[\p{C}\p{Zl}\p{Zp}]/u);
  });

  it('refuses a name shaped like a key id, in either case', () => {
    expect(() => checkApiKeyName('123e4567-e89b-12d3-a456-426614174000')).toThrow(/must not look like a key id/);
    expect(() => checkApiKeyName(' 123E4567-E89B-12D3-A456-426614174000 ')).toThrow(/must not look like a key id/);
    expect(checkApiKeyName('key 123e4567-e89b-12d3-a456-426614174000')).toBe(
      'key 123e4567-e89b-12d3-a456-426614174000',
    );
  });

  it('refuses empty and overlong names', () => {
    expect(() => checkApiKeyName('   ')).toThrow(/1 to 100/);
    expect(() => checkApiKeyName('x'.repeat(101))).toThrow(/1 to 100/);
  });
});

describe('looksLikeKeyId', () => {
  it('is true for UUIDs only', () => {
    expect(looksLikeKeyId('123e4567-e89b-12d3-a456-426614174000')).toBe(true);
    expect(looksLikeKeyId('123e4567-e89b-12d3-a456-42661417400')).toBe(false);
    expect(looksLikeKeyId('team-a')).toBe(false);
  });
});
