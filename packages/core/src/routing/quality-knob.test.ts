import { describe, expect, it } from 'vitest';
import {
  calibrateKnob,
  costForQuality,
  type KnobPoint,
  pickSetting,
  qualityForCost,
  resolveKnob,
  uncalibratedKnob,
  upperConcaveHull,
} from './quality-knob.js';

// Settings 0…4: 2 is dominated (dearer than 1, less accurate), 3 is under the segment 1 → 4.
const points: KnobPoint[] = [
  { setting: 0, costUsd: 0.0001, accuracy: 0.6 },
  { setting: 1, costUsd: 0.001, accuracy: 0.8 },
  { setting: 2, costUsd: 0.002, accuracy: 0.75 },
  { setting: 3, costUsd: 0.005, accuracy: 0.81 },
  { setting: 4, costUsd: 0.01, accuracy: 0.9 },
];
const best = { model: 'top', accuracy: 0.85, costUsd: 0.01 };

describe('the quality knob', () => {
  it('keeps the upper concave hull: what mixing two settings can reach', () => {
    expect(upperConcaveHull(points).map((point) => point.setting)).toEqual([0, 1, 4]);
    expect(
      upperConcaveHull([
        { costUsd: 1, accuracy: 0.5 },
        { costUsd: 1, accuracy: 0.7 },
      ]),
    ).toEqual([{ costUsd: 1, accuracy: 0.7 }]);
  });

  it('maps quality to cost log-linearly between the cheapest and the most accurate hull setting', () => {
    const calibration = calibrateKnob(points, best);
    expect(costForQuality(calibration, 0)).toBeCloseTo(0.0001, 12);
    expect(costForQuality(calibration, 1)).toBeCloseTo(0.01, 12);
    expect(costForQuality(calibration, 0.5)).toBeCloseTo(0.001, 12);
    expect(qualityForCost(calibration, 0.001)).toBeCloseTo(0.5, 12);
    expect(qualityForCost(calibration, 1)).toBe(1);
    expect(qualityForCost(calibration, 0)).toBe(0);
  });

  it('mixes the two hull settings around a position so the expected cost is on the hull', () => {
    const calibration = calibrateKnob(points, best);
    const resolved = resolveKnob(calibration, { targetCostUsd: 0.0055 });
    expect(resolved).toMatchObject({ lower: 1, upper: 4, label: 'targetCostUsd=0.0055' });
    expect(resolved.upperWeight).toBeCloseTo(0.5, 12);
    expect(resolved.expected?.accuracy).toBeCloseTo(0.85, 12);
    // The share of prompts that take the dearer setting follows the weight.
    const prompts = Array.from({ length: 4000 }, (_, index) => `prompt ${index}`);
    const upper = prompts.filter((prompt) => pickSetting(resolved, prompt) === 4).length;
    expect(upper / prompts.length).toBeGreaterThan(0.47);
    expect(upper / prompts.length).toBeLessThan(0.53);
    // Deterministic per prompt.
    expect(pickSetting(resolved, 'same')).toBe(pickSetting(resolved, 'same'));
  });

  it('resolves presets: match is the cheapest hull setting as accurate as the best single model', () => {
    const calibration = calibrateKnob(points, best);
    expect(calibration.match).toBe(1);
    expect(resolveKnob(calibration, { quality: 'match' })).toMatchObject({ lower: 4, upper: 4, quality: 1 });
    expect(resolveKnob(calibration, { quality: 'balanced' })).toMatchObject({ quality: 0.5, lower: 1, upper: 1 });
    expect(resolveKnob(calibration, { quality: 'economy' }).quality).toBe(0.25);
    expect(resolveKnob(calibration, { quality: 'max' })).toMatchObject({ lower: 4, upper: 4 });
    // The default is match.
    expect(resolveKnob(calibration).label).toMatch(/^match/);
    const easier = calibrateKnob(points, { ...best, accuracy: 0.7 });
    expect(easier.match).toBeCloseTo(0.5, 12);
  });

  it('names the problem with a bad request', () => {
    const calibration = calibrateKnob(points, best);
    expect(() => resolveKnob(calibration, { quality: 2 })).toThrow(/quality must be in \[0,1\]/);
    expect(() => resolveKnob(calibration, { quality: 'cheap' as 'max' })).toThrow(/unknown quality preset "cheap"/);
    expect(() => resolveKnob(calibration, { quality: 0.5, targetCostUsd: 0.01 })).toThrow(/not both/);
    expect(() => resolveKnob(calibration, { targetCostUsd: -1 })).toThrow(/positive number/);
  });

  it('spreads an unmeasured router’s settings evenly and resolves match there as balanced', () => {
    const knob = uncalibratedKnob(4);
    expect(resolveKnob(knob, { quality: 0 })).toMatchObject({ lower: 0, upper: 0 });
    expect(resolveKnob(knob, { quality: 1 / 3 }).upper).toBe(1);
    expect(resolveKnob(knob, { quality: 'match' })).toMatchObject({ quality: 0.5, lower: 1, upper: 2 });
    expect(() => resolveKnob(knob, { targetCostUsd: 1 })).toThrow(/needs a trained router/);
  });
});
