import { calibrationLevelKeys, scoreAgreementCalibration, scoreAgreementPattern } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { forEachPolicyExampleKeys, policyExamples } from '../learned-cascade/learned-cascade-examples.js';
import { seededRandom } from '../linear/train-sparse-linear.js';
import { prepareRecords } from '../records/prepare-records.js';
import { poolIndex } from '../simulation/simulate-plan.js';
import { FoldCounts, scoreFromEntries } from './fold-counts.js';
import { type CalibrationExample, trainAgreementCalibration } from './train-agreement-calibration.js';

describe('per-fold calibration counts', () => {
  const random = seededRandom(5);
  const examples = Array.from({ length: 400 }, (_, index) => {
    const agrees = random() < 0.6;
    return {
      fold: index % 4,
      example: {
        category: random() < 0.5 ? 'a' : 'b',
        model: random() < 0.5 ? 'm' : 'n',
        answered: random() < 0.95,
        references: [{ model: 'r', agrees }, ...(random() < 0.5 ? [{ model: 's', agrees: random() < 0.5 }] : [])],
        correct: random() < (agrees ? 0.9 : 0.3),
      } satisfies CalibrationExample,
    };
  });
  const counts = new FoldCounts(4);
  for (const { example, fold } of examples) counts.add(example, fold);

  it('leaving folds out scores exactly as a calibration trained without them', () => {
    for (const excluded of [[], [0], [1, 3]]) {
      const trained = trainAgreementCalibration(
        examples.filter(({ fold }) => !excluded.includes(fold)).map(({ example }) => example),
        { id: 'x' },
      );
      for (const { example } of examples.slice(0, 50)) {
        const request = { ...example, answer: example.answered ? 'A' : null };
        expect(scoreAgreementPattern(counts.withoutFolds(excluded), example)).toBeCloseTo(
          scoreAgreementCalibration(trained, request),
          12,
        );
      }
    }
  });

  it('stores all folds as a calibration document, and scores from raw entries alike', () => {
    const stored = counts.toCalibration('v');
    const trained = trainAgreementCalibration(
      examples.map(({ example }) => example),
      { id: 'v' },
    );
    expect(stored).toEqual({ ...trained, counts: Object.fromEntries(Object.entries(trained.counts).sort()) });
    const [first] = examples;
    const keys = ['all', 'n:1/1', 'm:m|n:1/1', 'm:m|c:a|n:1/1', 'm:m|c:a|n:1/1|p:r=1'];
    const keep = [true, false, true, true];
    expect(
      scoreFromEntries(
        keys.map((key) => counts.entry(key)),
        4,
        keep,
      ),
    ).toBeCloseTo(
      scoreAgreementPattern(counts.withoutFolds([1]), {
        category: 'a',
        model: 'm',
        answered: true,
        references: [{ model: 'r', agrees: true }],
      }),
      12,
    );
    expect(first).toBeDefined();
  });
});

describe('policy example keys', () => {
  it('are exactly the level keys of the policy examples, in any pool order', () => {
    const pool = poolIndex(['m10', 'm1', 'b-2', 'a', 'gpt-4o', 'gpt-4']);
    const [record] = prepareRecords(
      [
        {
          id: 'x',
          prompt: 'p',
          responses: Object.fromEntries(
            pool.models.map((model, index) => [
              model,
              {
                text: index === 2 ? 'no answer here' : `The answer is (${'ABAB'[index % 4]})`,
                correct: index % 2 === 0,
                costUsd: 1,
              },
            ]),
          ),
        },
      ],
      pool.models,
      { category: () => 'c', answerType: () => 'choice', fold: () => 0 },
    );
    const prepared = record as NonNullable<typeof record>;
    const expected = policyExamples(prepared, pool, 2).map((example) => [
      calibrationLevelKeys(example),
      example.correct,
    ]);
    const actual: unknown[] = [];
    forEachPolicyExampleKeys(prepared, pool, 2, (keys, correct) => actual.push([keys, correct]));
    const sorted = (list: unknown[]) => list.map((entry) => JSON.stringify(entry)).sort();
    expect(sorted(actual)).toEqual(sorted(expected));
    expect(actual).toHaveLength(expected.length);
  });
});
