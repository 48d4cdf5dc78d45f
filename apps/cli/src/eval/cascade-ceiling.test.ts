import type { BenchRecord } from '@switchyard/datasets';
import { describe, expect, it } from 'vitest';
import { cascadeCeiling, ceilingAccuracyAt, ceilingCostFor } from './cascade-ceiling.js';

const COST = { a: 1, b: 2, c: 10 };

function record(id: string, category: string, answers: Record<'a' | 'b' | 'c', [string, boolean]>): BenchRecord {
  const responses: BenchRecord['responses'] = {};
  for (const model of ['a', 'b', 'c'] as const) {
    const [text, correct] = answers[model];
    responses[model] = { text, answer: text, correct, inputTokens: null, outputTokens: null, costUsd: COST[model] };
  }
  return { id, benchmark: 'test', category, prompt: id, reference: '', answerType: 'choice', responses };
}

// Category x: a is right once, b twice, c always; a and b agree on r1 (right) and on r3 (both wrong).
const records = [
  record('r1', 'x', { a: ['A', true], b: ['A', true], c: ['A', true] }),
  record('r2', 'x', { a: ['B', false], b: ['C', true], c: ['C', true] }),
  record('r3', 'x', { a: ['D', false], b: ['D', false], c: ['A', true] }),
  // Category y: the cheapest model is right; nothing dearer helps.
  record('r4', 'y', { a: ['B', true], b: ['C', false], c: ['D', false] }),
];

describe('cascade ceiling', () => {
  it('combines per-category hulls by accuracy per dollar, mixing policies within a category', () => {
    const ceiling = cascadeCeiling(records, ['a', 'b', 'c']);
    // x's policies (total cost, correct): a (3, 1), b (6, 2), c (30, 3); a+b agree else c (19, 2);
    // a+c else b (37, 2); b+c else a (37, 2). Its hull: a → b → c. y's hull: a (1, 1).
    // Start: a everywhere (4 USD, 2 correct); then x buys b (+3 USD, +1), then c (+24 USD, +1).
    expect(ceiling.points).toEqual([
      { costUsd: 1, accuracy: 0.5 },
      { costUsd: 7 / 4, accuracy: 0.75 },
      { costUsd: 31 / 4, accuracy: 1 },
    ]);
    expect(ceiling.policies).toBe(6);
    // Between points, a mixture: half of x's queries on b and half on c costs (6 + 30) / 2 per x.
    expect(ceilingAccuracyAt(ceiling, (3 + 1 + (6 + 30) / 2 - 3) / 4)).toBeCloseTo(0.875, 12);
    expect(ceilingAccuracyAt(ceiling, 0.5)).toBe(0);
    expect(ceilingCostFor(ceiling, 0.75)).toBeCloseTo(7 / 4, 12);
    expect(ceilingCostFor(ceiling, 0.875)).toBeCloseTo(19 / 4, 12);
    expect(ceilingCostFor(ceiling, 1.01)).toBeNull();
  });

  it('takes an agreement policy when it is on the hull, and never falls below a single model', () => {
    // With at most two models agreeing, every single model is still under the ceiling at its own cost.
    const ceiling = cascadeCeiling(records, ['a', 'b', 'c'], 2);
    for (const model of ['a', 'b', 'c'] as const) {
      const correct = records.filter((item) => item.responses[model]?.correct).length / records.length;
      const cost = records.reduce((sum, item) => sum + (item.responses[model]?.costUsd ?? 0), 0) / records.length;
      expect(ceilingAccuracyAt(ceiling, cost)).toBeGreaterThanOrEqual(correct - 1e-12);
    }
    const agreeing = [
      record('s1', 'z', { a: ['A', true], b: ['A', true], c: ['A', true] }),
      record('s2', 'z', { a: ['A', true], b: ['A', true], c: ['A', true] }),
      record('s3', 'z', { a: ['B', false], b: ['C', false], c: ['A', true] }),
    ];
    // z: a+b agree on s1, s2 (right), else c: 3 correct for 3 × 3 + 10 = 19, vs c alone 3 for 30.
    const z = cascadeCeiling(agreeing, ['a', 'b', 'c']);
    expect(ceilingCostFor(z, 1)).toBeCloseTo(19 / 3, 12);
  });
});
