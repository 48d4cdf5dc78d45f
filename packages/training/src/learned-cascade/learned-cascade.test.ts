import {
  agreementPatternOutcomes,
  type CascadeQueryView,
  chooseReferences,
  createLearnedCascadeRouter,
  planLearnedCascade,
  planSchema,
} from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import {
  type CalibrationExample,
  expandReferenceSubsets,
  trainAgreementCalibration,
} from '../calibration/train-agreement-calibration.js';
import {
  crossFitCorrectness,
  type LearnedRouterExample,
  trainLearnedRouter,
} from '../learned-router/train-learned-router.js';
import type { PreparedRecord } from '../records/prepare-records.js';
import { poolIndex } from '../simulation/simulate-plan.js';
import { measureCategoryStats } from '../stats/measure-category-stats.js';
import { learnedCascadeExamples } from './learned-cascade-examples.js';

const pool = ['cheap', 'ref', 'top'];
const costs = { cheap: 0.001, ref: 0.0005, top: 0.01 };

/** `cheap` is right 95 % of the time when `ref` agrees with it (60 % of queries), 25 % otherwise. */
function examples(): CalibrationExample[] {
  const list: CalibrationExample[] = [];
  for (let index = 0; index < 200; index += 1) {
    const agrees = index < 120;
    const correct = agrees ? index < 114 : index < 120 + 20;
    list.push({ category: 'x', model: 'cheap', answered: true, references: [{ model: 'ref', agrees }], correct });
    list.push({ category: 'x', model: 'cheap', answered: true, references: [], correct });
    list.push({ category: 'x', model: 'top', answered: true, references: [], correct: index % 10 !== 0 });
  }
  return list;
}
const calibration = trainAgreementCalibration(examples(), { id: 'v' });
const view: CascadeQueryView = { pool, priors: { cheap: 0.67, ref: 0.5, top: 0.9 }, costs, category: 'x' };

describe('agreement pattern outcomes', () => {
  it('gives each pattern its training frequency and calibrated P(correct)', () => {
    const outcomes = agreementPatternOutcomes(calibration, { category: 'x', model: 'cheap', references: ['ref'] });
    expect(outcomes.map((outcome) => outcome.agrees)).toEqual([[false], [true]]);
    expect(outcomes.reduce((sum, outcome) => sum + outcome.probability, 0)).toBeCloseTo(1);
    expect(outcomes[1]?.probability).toBeCloseTo(120.5 / 201);
    expect(outcomes[1]?.pCorrect).toBeGreaterThan(0.9);
    expect(outcomes[0]?.pCorrect).toBeLessThan(0.35);
  });

  it('expands an example into one per subset of its references', () => {
    const subsets = expandReferenceSubsets({
      model: 'm',
      answered: true,
      correct: true,
      references: [
        { model: 'a', agrees: true },
        { model: 'b', agrees: false },
      ],
    });
    expect(subsets.map((subset) => subset.references.map((reference) => reference.model))).toEqual([
      [],
      ['a'],
      ['b'],
      ['a', 'b'],
    ]);
  });
});

describe('learned cascade planning', () => {
  it('goes straight to the most accurate model when accuracy is all that counts', () => {
    const plan = planLearnedCascade(view, calibration, 0);
    expect(plan).toEqual({ stages: [{ model: 'top', acceptThreshold: 0 }], referenceModels: [] });
  });

  it('starts cheap and buys the informative reference at a middle price of accuracy', () => {
    // 40 accuracy points per USD: top is worth 0.9 − 0.4 = 0.5 as a first stage, cheap 0.67 − 0.04.
    const plan = planLearnedCascade(view, calibration, 40);
    expect(plan.stages.map((stage) => stage.model)).toEqual(['cheap', 'top']);
    expect(plan.stages[0]?.acceptThreshold).toBeCloseTo(0.9 - 40 * 0.01, 4);
    expect(plan.referenceModels).toEqual(['ref']);
  });

  it('buys no reference when its answer cannot change the decision', () => {
    // Escalating is worth 0.9 − 0.8 = 0.1 < P(correct) of any pattern: the reference is wasted money.
    expect(chooseReferences(calibration, view, 'cheap', ['ref'], 0.1, 80, 2)).toEqual([]);
    expect(chooseReferences(calibration, view, 'cheap', ['ref'], 0.7, 20, 2)).toEqual(['ref']);
  });

  it('trains on every possible start with its candidate references and earlier stages, each pattern once', () => {
    // Pool order cheap, ref, top; ref and top agree with cheap, nobody is unanswered.
    const record: PreparedRecord = {
      id: 'r',
      prompt: 'p',
      category: 'x',
      answerType: 'choice',
      fold: 0,
      correct: Uint8Array.from([1, 1, 1]),
      costUsd: Float64Array.from([0.001, 0.0005, 0.01]),
      answered: Uint8Array.from([1, 1, 1]),
      agree: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1]),
    };
    const examples = learnedCascadeExamples(record, view, poolIndex(pool), {
      candidateReferences: 2,
      maxReferences: 2,
    });
    const keys = examples.map(
      (example) => `${example.model}:${example.references.map((reference) => reference.model).join('+')}`,
    );
    // Frontier by prior: ref (0.5, cheapest), cheap (0.67), top (0.9). Starts: ref, cheap, top; every
    // subset of each stage's references (candidates of its start, then earlier stages) once.
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('ref:cheap+top');
    expect(keys).toContain('cheap:ref');
    expect(keys).toContain('top:');
    expect(keys).toContain('top:cheap+ref');
    expect(examples.every((example) => example.category === 'x' && example.correct)).toBe(true);
  });
});

/** Prompts that say which models are right: "easy" → all, "hard" → top only. */
function routerExamples(count: number): LearnedRouterExample[] {
  return Array.from({ length: count }, (_, index) => {
    const hard = index % 2 === 1;
    return {
      prompt: `${hard ? 'prove the rigorous theorem' : 'add two small numbers'} case ${index}`,
      outcomes: pool.map((model) => ({
        model,
        correct: hard ? model === 'top' : true,
        costUsd: costs[model as keyof typeof costs],
      })),
    };
  });
}

describe('learned cascade router and artifact', () => {
  const train = routerExamples(120);
  const learnedRouter = trainLearnedRouter(train, { epochs: 20, learningRate: 0.2, minDocumentFrequency: 1 });
  const stats = measureCategoryStats(
    train.flatMap((example) => example.outcomes.map((outcome) => ({ category: 'x', ...outcome }))),
  );
  it('routes easy prompts to a cheap start and hard ones straight to the strong model', () => {
    const router = createLearnedCascadeRouter({
      pool,
      stats,
      learnedRouter,
      calibration,
      verifierId: 'v',
      accuracyPerUsd: 20,
    });
    // Held-out prompts: never seen in training.
    const easyPrompt = 'add two small numbers case 1000';
    const hardPrompt = 'prove the rigorous theorem case 1001';
    const trained = new Set(train.map((example) => example.prompt));
    expect(trained.has(easyPrompt) || trained.has(hardPrompt)).toBe(false);
    const easy = router({ answerType: 'choice', category: 'x', prompt: easyPrompt });
    const hard = router({ answerType: 'choice', category: 'x', prompt: hardPrompt });
    expect(planSchema.parse(easy)).toEqual(easy);
    expect(easy.router).toBe('learned-cascade');
    expect(easy.stages[0]?.model).not.toBe('top');
    expect(hard.stages.map((stage) => stage.model)).toEqual(['top']);
    expect(() => router({ answerType: 'choice' })).toThrow(/no prompt/);
    // A category the statistics never saw is left out of the plan.
    expect(router({ answerType: 'choice', category: 'new', prompt: 'add two' }).category).toBeUndefined();
  });

  it('cross-fits predictions: every example predicted by a router that did not see it', () => {
    const predictions = crossFitCorrectness(train, {
      folds: 4,
      epochs: 20,
      learningRate: 0.2,
      minDocumentFrequency: 1,
    });
    expect(predictions).toHaveLength(train.length);
    expect(predictions[1]?.top).toBeGreaterThan(0.5);
    expect(predictions[1]?.cheap).toBeLessThan(predictions[0]?.cheap ?? 0);
    expect(crossFitCorrectness(train, { folds: 4 })).toEqual(crossFitCorrectness(train, { folds: 4 }));
  });
});
