import { describe, expect, it } from 'vitest';
import { parseCosts, parseQualities } from './eval.js';

describe('eval option parsing', () => {
  it('takes decimal knob positions and costs, sorted and without repeats', () => {
    expect(parseQualities('1, 0.5,0,.25,0.5')).toEqual([0, 0.25, 0.5, 1]);
    expect(parseCosts('0.0025,3.33e-4')).toEqual([3.33e-4, 0.0025]);
  });

  it('refuses what Number() would quietly turn into a number', () => {
    // '' and ',' used to become q = 0, '0x1' q = 1.
    for (const value of ['', ',', '0.5,', '0x1', '1e', 'NaN', '1.5', '-0.1', 'half']) {
      expect(() => parseQualities(value), value).toThrow(/--qualities must be/);
    }
    for (const value of ['', '0x10', '-1', '0', 'abc', '1,,2']) {
      expect(() => parseCosts(value), value).toThrow(/--target-cost-usd must be/);
    }
  });
});
