import { describe, expect, it } from 'vitest';
import { FRONTIER_BUDGETS, frontierArea, hullAccuracyAt } from './frontier-area.js';

describe('frontier area', () => {
  const singles = [
    { costUsd: 0.001, accuracy: 0.5 },
    { costUsd: 0.1, accuracy: 0.8 },
  ];

  it('reads the hull: 0 below its first point, linear between points (mixing), flat after the last', () => {
    const hull = [
      { costUsd: 0.001, accuracy: 0.5 },
      { costUsd: 0.003, accuracy: 0.7 },
    ];
    expect(hullAccuracyAt(hull, 0.0005)).toBe(0);
    expect(hullAccuracyAt(hull, 0.002)).toBeCloseTo(0.6, 12);
    expect(hullAccuracyAt(hull, 1)).toBe(0.7);
  });

  it('averages the hull of the kind and the single models over log-spaced budgets', () => {
    // Singles alone: the segment from (0.001, 0.5) to (0.1, 0.8), read at 200 log-spaced budgets.
    let expected = 0;
    for (let index = 0; index < FRONTIER_BUDGETS; index += 1) {
      const budget = 0.001 * 100 ** (index / (FRONTIER_BUDGETS - 1));
      expected += 0.5 + ((budget - 0.001) / 0.099) * 0.3;
    }
    expect(frontierArea([], singles)).toBeCloseTo(expected / FRONTIER_BUDGETS, 12);
    // A cheap, accurate point lifts the hull almost everywhere; a dominated one changes nothing.
    expect(frontierArea([{ costUsd: 0.002, accuracy: 0.8 }], singles)).toBeGreaterThan(frontierArea([], singles) + 0.1);
    expect(frontierArea([{ costUsd: 0.05, accuracy: 0.5 }], singles)).toBeCloseTo(frontierArea([], singles), 12);
  });
});
