import { scoreAgreementCalibration } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { trainAgreementCalibration } from './train-agreement-calibration.js';

const agree = (agrees: boolean) => [{ model: 'ref', agrees }];

describe('agreement calibration', () => {
  const calibration = trainAgreementCalibration(
    [
      ...Array.from({ length: 90 }, (_, index) => ({
        model: 'm',
        category: 'x',
        answered: true,
        references: agree(true),
        correct: index < 81,
      })),
      ...Array.from({ length: 90 }, (_, index) => ({
        model: 'm',
        category: 'x',
        answered: true,
        references: agree(false),
        correct: index < 27,
      })),
    ],
    { id: 'c' },
  );

  it('learns that agreement makes a correct answer more likely', () => {
    const agreeing = scoreAgreementCalibration(calibration, {
      model: 'm',
      category: 'x',
      answer: 'A',
      references: agree(true),
    });
    const disagreeing = scoreAgreementCalibration(calibration, {
      model: 'm',
      category: 'x',
      answer: 'A',
      references: agree(false),
    });
    expect(agreeing).toBeGreaterThan(0.85);
    expect(agreeing).toBeLessThan(0.92);
    expect(disagreeing).toBeGreaterThan(0.28);
    expect(disagreeing).toBeLessThan(0.36);
  });

  it('backs off to more general patterns for unseen categories', () => {
    const unseen = scoreAgreementCalibration(calibration, {
      model: 'm',
      category: 'new',
      answer: 'A',
      references: agree(true),
    });
    expect(unseen).toBeGreaterThan(0.8);
    expect(
      scoreAgreementCalibration(trainAgreementCalibration([], { id: 'empty' }), {
        model: 'm',
        answer: null,
        references: [],
      }),
    ).toBe(0.5);
  });
});
