import { describe, expect, it } from 'vitest';
import { planSchema } from '../cascade/plan.js';
import {
  accuracyPerUsdForQuality,
  chooseStages,
  createCalibratedRouter,
  escalationThresholds,
} from './calibrated-router.js';
import { measureCategoryStats } from './category-stats.js';
import { createFixedRouter } from './fixed-router.js';
import { selectParetoPool } from './select-pool.js';

const outcomes = [
  // cheap: good at math, bad at law; mid: dominated everywhere; top: strong and expensive.
  ...Array.from({ length: 20 }, (_, index) => [
    { category: 'math', model: 'cheap', correct: index < 18, costUsd: 0.001 },
    { category: 'math', model: 'mid', correct: index < 10, costUsd: 0.002 },
    { category: 'math', model: 'top', correct: index < 19, costUsd: 0.01 },
    { category: 'law', model: 'cheap', correct: index < 6, costUsd: 0.001 },
    { category: 'law', model: 'mid', correct: index < 5, costUsd: 0.002 },
    { category: 'law', model: 'top', correct: index < 16, costUsd: 0.01 },
  ]).flat(),
];

describe('routers', () => {
  it('keeps only models that beat every cheaper one', () => {
    expect(
      selectParetoPool([
        { model: 'b', accuracy: 0.5, costPerQueryUsd: 2 },
        { model: 'a', accuracy: 0.6, costPerQueryUsd: 1 },
        { model: 'c', accuracy: 0.9, costPerQueryUsd: 3 },
      ]),
    ).toEqual(['a', 'c']);
  });

  it('shrinks category accuracy toward the overall accuracy', () => {
    const stats = measureCategoryStats(outcomes, 10);
    expect(stats.overall.cheap?.accuracy).toBeCloseTo(24 / 40);
    expect(stats.byCategory.math?.cheap?.accuracy).toBeCloseTo((18 + 10 * 0.6) / 30);
  });

  it('prices escalation with the knob: 1 escalates whenever a later model is better, 0 almost never', () => {
    const stats = { a: { accuracy: 0.6, costUsd: 0.001, count: 1 }, b: { accuracy: 0.8, costUsd: 0.01, count: 1 } };
    expect(accuracyPerUsdForQuality(1)).toBe(0);
    expect(escalationThresholds(['a', 'b'], stats, 0)).toEqual([0.8, 0]);
    expect(escalationThresholds(['a', 'b'], stats, 10)[0]).toBeCloseTo(0.7);
    expect(escalationThresholds(['a', 'b'], stats, accuracyPerUsdForQuality(0))).toEqual([0, 0]);
  });

  it('chooses stages per category and a cheap first-stage reference', () => {
    const stats = measureCategoryStats(outcomes, 10);
    expect(chooseStages(['cheap', 'mid', 'top'], stats.overall)).toEqual({
      stages: ['cheap', 'top'],
      referenceModels: ['mid'],
    });
    const router = createCalibratedRouter({
      pool: ['cheap', 'mid', 'top'],
      perCategory: true,
      verifierId: 'v',
      stats,
      quality: 1,
    });
    const plan = router({ answerType: 'choice', category: 'law' });
    expect(planSchema.parse(plan)).toEqual(plan);
    expect(plan.stages.map((stage) => stage.model)).toEqual(['cheap', 'top']);
    expect(plan.stages[0]?.acceptThreshold).toBeCloseTo(stats.byCategory.law?.top?.accuracy ?? 0, 4);
    expect(plan.judges).toEqual([
      { kind: 'verifier', verifierId: 'v', referenceModels: ['mid'], previousStages: true },
    ]);
  });

  it('builds the fixed cascade over a subset with next-tier agreement', () => {
    const plan = createFixedRouter({ models: ['a', 'b', 'c'], subset: ['c', 'a'], quality: 0.5 })({
      answerType: 'number',
    });
    expect(plan.stages).toEqual([{ model: 'a' }, { model: 'c' }]);
    expect(plan.judges).toEqual([{ kind: 'agreement', referenceModels: [], nextStages: 2 }]);
    expect(() => createFixedRouter({ models: ['a'], subset: ['z'] })).toThrow(/not in the pool: z/);
  });
});
