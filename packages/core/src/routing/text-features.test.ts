import { describe, expect, it } from 'vitest';
import { fnv1a32, hashTextFeatures, resolveTextFeatures, tokenizePrompt } from './text-features.js';

describe('text features', () => {
  it('hashes with FNV-1a (32 bit)', () => {
    // Published FNV-1a test vectors.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('tokenises lowercase words, short numbers, a shape token for long ones, and symbols', () => {
    expect(tokenizePrompt('Solve x^2 = 1024, then DEF f(): return 42!')).toEqual([
      'solve',
      'x',
      '^',
      '2',
      '=',
      '<num>',
      ',',
      'then',
      'def',
      'f',
      '(',
      ')',
      ':',
      'return',
      '42',
      '!',
    ]);
    expect(tokenizePrompt('Ça coûte 3€')).toEqual(['ça', 'coûte', '3', '€']);
  });

  it('gives a sorted, distinct, bounded sparse vector with unit-norm token blocks', () => {
    const config = resolveTextFeatures({ bits: 10, bigrams: true, tailChars: 0, numeric: false });
    const vector = hashTextFeatures('the cat sat on the mat, the end', config);
    expect(vector.indices.length).toBe(vector.values.length);
    expect([...vector.indices].sort((a, b) => a - b)).toEqual(vector.indices);
    expect(new Set(vector.indices).size).toBe(vector.indices.length);
    for (const index of vector.indices) expect(index).toBeLessThan(1 << 10);
    const norm = Math.sqrt(vector.values.reduce((sum, value) => sum + value * value, 0));
    expect(norm).toBeCloseTo(1, 10);
  });

  it('depends on the words and on their order only through bigrams', () => {
    const unigrams = resolveTextFeatures({ bigrams: false, tailChars: 0, numeric: false });
    const bigrams = resolveTextFeatures({ bigrams: true, tailChars: 0, numeric: false });
    expect(hashTextFeatures('dog bites man', unigrams)).toEqual(hashTextFeatures('man bites dog', unigrams));
    expect(hashTextFeatures('dog bites man', bigrams)).not.toEqual(hashTextFeatures('man bites dog', bigrams));
    expect(hashTextFeatures('Dog  bites\nMAN', bigrams)).toEqual(hashTextFeatures('dog bites man', bigrams));
  });

  it('is deterministic and cheap', () => {
    const prompts = Array.from({ length: 2000 }, (_, index) =>
      `Question ${index}: what is ${index} * ${index + 7}? Think step by step, then write the answer as \\boxed{}. `.repeat(
        5,
      ),
    );
    const started = performance.now();
    const first = prompts.map((prompt) => hashTextFeatures(prompt));
    const elapsed = performance.now() - started;
    expect(prompts.map((prompt) => hashTextFeatures(prompt))).toEqual(first);
    expect(elapsed).toBeLessThan(2000);
  });

  it('rejects impossible options', () => {
    expect(() => resolveTextFeatures({ bits: 40 })).toThrow(/invalid options/);
  });
});
