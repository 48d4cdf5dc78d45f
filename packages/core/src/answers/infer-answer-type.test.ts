import { describe, expect, it } from 'vitest';
import type { CategoryClassifier } from '../routing/category-classifier.js';
import { guessAnswerType, inferAnswerType } from './infer-answer-type.js';

/** A classifier that says "code" for any prompt (a bias only). */
const alwaysCode: CategoryClassifier = {
  version: 1,
  kind: 'category-classifier',
  features: { version: 1, bits: 8, bigrams: false, tailChars: 0, numeric: false },
  categories: ['code', 'number'],
  outputs: [
    { bias: 2, indices: [], weights: [] },
    { bias: 0, indices: [], weights: [] },
  ],
  counts: { code: 2, number: 1 },
};

describe('answer type inference (the same in workers, eval and training)', () => {
  it('takes a valid metadata.answerType first, then the classifier, then the rule of thumb', () => {
    const prompt = 'What is 17 + 25?';
    expect(inferAnswerType(prompt, { metadata: { answerType: 'choice' }, classifier: alwaysCode })).toBe('choice');
    expect(inferAnswerType(prompt, { metadata: { answerType: 'nonsense' }, classifier: alwaysCode })).toBe('code');
    expect(inferAnswerType(prompt)).toBe('number');
  });

  it('guesses from the prompt: options, a request for code, a quantity, else literal', () => {
    expect(guessAnswerType('Which is right?\nA) one\nB) two\nAnswer:')).toBe('choice');
    expect(guessAnswerType('Options:\nA. x\nB. y\nC. z')).toBe('choice');
    expect(guessAnswerType('Write a python function to reverse a list.')).toBe('code');
    expect(guessAnswerType('How many eggs are left?')).toBe('number');
    expect(guessAnswerType('Name the capital of France.')).toBe('literal');
  });
});
