import { type CategoryClassifier, classifyCategory } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { TrainingError } from '../errors.js';
import { seededRandom } from '../linear/train-sparse-linear.js';
import { trainCategoryClassifier } from './train-category-classifier.js';

const vocabulary: Record<string, string[]> = {
  math: ['solve', 'equation', 'integral', 'prime', 'sum', 'triangle', 'divisible', 'polynomial', 'root', 'fraction'],
  law: ['court', 'plaintiff', 'contract', 'statute', 'tort', 'defendant', 'appeal', 'jury', 'liability', 'negligence'],
  code: ['python', 'function', 'return', 'list', 'string', 'loop', 'assert', 'variable', 'class', 'recursion'],
};
const filler = ['the', 'a', 'of', 'what', 'is', 'which', 'and', 'please', 'answer', 'question'];

function makeExamples(count: number, seed: number): { prompt: string; category: string }[] {
  const random = seededRandom(seed);
  const pick = (words: readonly string[]) => words[Math.floor(random() * words.length)] as string;
  const categories = Object.keys(vocabulary);
  return Array.from({ length: count }, (_, index) => {
    const category = categories[index % categories.length] as string;
    const words = Array.from({ length: 12 }, () =>
      random() < 0.35 ? pick(vocabulary[category] as string[]) : pick(filler),
    );
    return { prompt: `${words.join(' ')}?`, category };
  });
}

describe('category classifier', () => {
  const train = makeExamples(150, 1);
  const test = makeExamples(60, 2);

  it('separates obviously separable classes on unseen prompts', () => {
    const classifier = trainCategoryClassifier(train);
    expect(classifier.categories).toEqual(['code', 'law', 'math']);
    expect(classifier.counts).toEqual({ code: 50, law: 50, math: 50 });
    for (const example of test) {
      const result = classifyCategory(classifier, example.prompt);
      expect(result.category).toBe(example.category);
      expect(result.confidence).toBeGreaterThan(1 / 3);
      expect(result.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('is plain JSON: the parsed copy classifies identically, and training is deterministic', () => {
    const classifier = trainCategoryClassifier(train);
    const json = JSON.stringify(classifier);
    const copy = JSON.parse(json) as CategoryClassifier;
    for (const example of test) {
      expect(classifyCategory(copy, example.prompt)).toEqual(classifyCategory(classifier, example.prompt));
    }
    expect(JSON.stringify(trainCategoryClassifier(train))).toBe(json);
    // Only non-zero weights are stored.
    for (const output of classifier.outputs) expect(output.weights.every((weight) => weight !== 0)).toBe(true);
  });

  it('gives the only category with certainty, and refuses no data or a foreign artifact', () => {
    const single = trainCategoryClassifier([{ prompt: 'anything at all', category: 'misc' }]);
    expect(classifyCategory(single, 'something else')).toEqual({ category: 'misc', confidence: 1 });
    expect(() => trainCategoryClassifier([])).toThrow(TrainingError);
    expect(() => classifyCategory({ ...single, version: 2 } as unknown as CategoryClassifier, 'x')).toThrow(
      /unsupported artifact/,
    );
  });
});
