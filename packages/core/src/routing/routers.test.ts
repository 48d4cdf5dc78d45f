import { describe, expect, it } from 'vitest';
import { planSchema } from '../cascade/plan.js';
import { planFromPolicy } from './cascade-policy.js';
import { escalationThresholds } from './escalation.js';
import { createFixedRouter } from './fixed-router.js';
import { selectParetoPool } from './select-pool.js';
import { chooseTaxonomyModel } from './taxonomy-router.js';

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

  it('prices escalation: at price 0 escalate whenever a later model is better, at a high price almost never', () => {
    const stats = { a: { accuracy: 0.6, costUsd: 0.001, count: 1 }, b: { accuracy: 0.8, costUsd: 0.01, count: 1 } };
    expect(escalationThresholds(['a', 'b'], stats, 0)).toEqual([0.8, 0]);
    expect(escalationThresholds(['a', 'b'], stats, 10)[0]).toBeCloseTo(0.7);
    expect(escalationThresholds(['a', 'b'], stats, 10_000)).toEqual([0, 0]);
  });

  it('picks the taxonomy model by accuracy − price × cost, the cheaper one on a tie', () => {
    const stats = {
      cheap: { accuracy: 0.7, costUsd: 0.001, count: 10 },
      twin: { accuracy: 0.7, costUsd: 0.002, count: 10 },
      dear: { accuracy: 0.9, costUsd: 0.01, count: 10 },
    };
    expect(chooseTaxonomyModel(['twin', 'cheap', 'dear'], stats, 0)).toBe('dear');
    expect(chooseTaxonomyModel(['twin', 'cheap', 'dear'], stats, 100)).toBe('cheap');
    expect(() => chooseTaxonomyModel(['x'], stats, 0)).toThrow(/no pool model has statistics/);
  });

  it('plans a policy: one stage without judges, or a verifier cascade over its references', () => {
    const single = planFromPolicy(
      { stages: [{ model: 'a', acceptThreshold: 0 }], referenceModels: [] },
      { router: 'r', verifierId: 'v', answerType: 'choice', category: 'x' },
    );
    expect(single).toMatchObject({ stages: [{ model: 'a' }], judges: [], category: 'x' });
    const cascade = planFromPolicy(
      {
        stages: [
          { model: 'a', acceptThreshold: 0.8 },
          { model: 'c', acceptThreshold: 0 },
        ],
        referenceModels: ['b'],
      },
      { router: 'r', verifierId: 'v', answerType: 'choice', maxCostUsd: 1, label: 'l' },
    );
    expect(planSchema.parse(cascade)).toEqual(cascade);
    expect(cascade.judges).toEqual([
      { kind: 'verifier', verifierId: 'v', referenceModels: ['b'], previousStages: true },
    ]);
    expect(cascade).toMatchObject({ maxCostUsd: 1, setting: 'l' });
  });

  it('builds the fixed cascade over a subset with next-tier agreement, stricter as the knob rises', () => {
    const route = (quality: number) =>
      createFixedRouter({ models: ['a', 'b', 'c'], subset: ['c', 'a'], knob: { quality } })({
        answerType: 'number',
        prompt: 'p',
      });
    expect(route(1).stages).toEqual([{ model: 'a' }, { model: 'c' }]);
    expect(route(1).judges).toEqual([{ kind: 'agreement', referenceModels: [], nextStages: 3 }]);
    expect(route(2 / 3).judges).toEqual([{ kind: 'agreement', referenceModels: [], nextStages: 2 }]);
    // The cheapest setting leaves the dearest model out.
    expect(route(0).stages).toEqual([{ model: 'a' }]);
    expect(() => createFixedRouter({ models: ['a'], subset: ['z'] })).toThrow(/not in the pool: z/);
  });

  it('refuses a target cost for the fixed cascade: it has no measured cost curve', () => {
    expect(() => createFixedRouter({ models: ['a', 'b'], knob: { targetCostUsd: 0.01 } })).toThrow(
      /targetCostUsd needs a trained router/,
    );
  });
});
