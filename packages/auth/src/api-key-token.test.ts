import { describe, expect, it } from 'vitest';
import { apiKeyLookupPrefix, generateApiKey, hashApiKey, isWellFormedApiKey, secretsEqual } from './api-key-token.js';

describe('API key tokens', () => {
  it('generates distinct, well-formed sy_ keys of 256 random bits', () => {
    const keys = new Set(Array.from({ length: 200 }, generateApiKey));
    expect(keys.size).toBe(200);
    for (const key of keys) {
      expect(key).toMatch(/^sy_[A-Za-z0-9_-]{43}$/);
      expect(isWellFormedApiKey(key)).toBe(true);
    }
  });

  it('rejects tokens that are not shaped like a key', () => {
    const key = generateApiKey();
    for (const bad of ['', 'sy_', key.slice(0, -1), `${key}x`, key.replace('sy_', 'sk_'), `${key.slice(0, -1)}!`]) {
      expect(isWellFormedApiKey(bad)).toBe(false);
    }
  });

  it('hashes with sha256 and keeps only the lookup prefix in clear', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key.slice(3, 11));
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(hashApiKey(key)).not.toBe(hashApiKey(generateApiKey()));
    expect(apiKeyLookupPrefix(key)).toBe(key.slice(0, 11));
  });

  it('compares secrets of any length', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abd')).toBe(false);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual('', 'abc')).toBe(false);
  });
});
