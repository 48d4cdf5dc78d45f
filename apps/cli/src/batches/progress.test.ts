import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress } from './progress.js';

describe('formatProgress', () => {
  it('shows done/total, failures, cost so far and an ETA from the rate so far', () => {
    expect(
      formatProgress({
        status: 'in_progress',
        total: 1000,
        completed: 240,
        failed: 10,
        costUsd: '0.012345',
        elapsedMs: 30_000,
      }),
    ).toBe('[######..................] 250/1000 (25.0%) · 10 failed · $0.0123 · ETA 1m30s · in_progress');
  });
  it('has no ETA before the first result or after the last', () => {
    expect(
      formatProgress({ status: 'validating', total: 10, completed: 0, failed: 0, costUsd: '0', elapsedMs: 1 }),
    ).toContain('ETA --');
    expect(
      formatProgress({ status: 'completed', total: 10, completed: 9, failed: 1, costUsd: '2.5', elapsedMs: 1 }),
    ).toContain('10/10 (100.0%) · 1 failed · $2.50 · ETA --');
  });
  it('formats durations', () => {
    expect([formatDuration(5_000), formatDuration(125_000), formatDuration(3_725_000)]).toEqual([
      '5s',
      '2m05s',
      '1h02m',
    ]);
  });
});
