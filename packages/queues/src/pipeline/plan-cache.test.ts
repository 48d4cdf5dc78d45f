import { describe, expect, it } from 'vitest';
import { createPlanCache } from './plan-cache.js';

const plan = (model: string) => ({
  version: 1,
  router: 'fixed',
  setting: 'match (quality=0.5)',
  answerType: 'number',
  stages: [{ model }, { model: 'sim-large' }],
  judges: [{ kind: 'agreement', nextStages: 1, referenceModels: [] }],
  aggregation: 'mean',
  acceptThreshold: 1,
  maxCostUsd: 1,
});

describe('plan cache', () => {
  it('parses a query plan once and hands the same frozen plan to every later step', () => {
    const cache = createPlanCache();
    const first = cache.parse('q1', plan('sim-small'));
    if (first === null) throw new Error('expected a valid plan');
    expect(first.stages.map((stage) => stage.model)).toEqual(['sim-small', 'sim-large']);
    // A stored plan never changes, so the second step gets the first parse, not a new one.
    expect(cache.parse('q1', plan('sim-medium'))).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.stages[0])).toBe(true);
    expect(() => {
      (first.stages as unknown as unknown[]).push({ model: 'x' });
    }).toThrow(/not extensible/);
    expect(cache.parse('q2', plan('sim-medium'))?.stages[0]?.model).toBe('sim-medium');
  });

  it('keeps no invalid plan, and forgets the oldest plans beyond its capacity', () => {
    const cache = createPlanCache(2);
    expect(cache.parse('bad', { stages: 'nope' })).toBeNull();
    expect(cache.size).toBe(0);
    expect(cache.parse('bad', plan('sim-small'))?.stages[0]?.model).toBe('sim-small');
    const a = cache.parse('a', plan('sim-small'));
    cache.parse('b', plan('sim-small'));
    expect(cache.size).toBe(2);
    // 'bad' (the oldest) went; 'a' is still the cached object.
    expect(cache.parse('a', plan('sim-medium'))).toBe(a);
    expect(cache.parse('bad', plan('sim-medium'))?.stages[0]?.model).toBe('sim-medium');
  });
});
