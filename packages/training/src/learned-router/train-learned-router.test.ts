import {
  CoreError,
  chooseLearnedModel,
  createLearnedRouter,
  type LearnedRouterModel,
  PRICE_OF_ACCURACY_SETTINGS,
  planSchema,
  predictCorrectness,
} from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../linear/train-sparse-linear.js';
import { type LearnedRouterExample, trainLearnedRouter } from './train-learned-router.js';

/** The price of accuracy at a position of the settings grid (0 = cheapest, 1 = most accurate). */
const priceAt = (position: number) =>
  PRICE_OF_ACCURACY_SETTINGS[Math.round(position * (PRICE_OF_ACCURACY_SETTINGS.length - 1))] as number;

const COST = { cheap: 0.0001, mid: 0.0005, dear: 0.001 };
const pool = ['cheap', 'mid', 'dear'];

/**
 * Easy prompts: every model is right. Hard prompts: only `dear` is. Tricky prompts: `mid` and `dear`.
 * The kinds differ only in their words, so the router must read the prompt.
 */
const kinds = {
  easy: { words: ['add', 'two', 'small', 'numbers', 'simple', 'sum'], right: ['cheap', 'mid', 'dear'] },
  hard: { words: ['prove', 'theorem', 'rigorous', 'lemma', 'manifold', 'topology'], right: ['dear'] },
  tricky: { words: ['riddle', 'puzzle', 'trick', 'lateral', 'pun', 'wordplay'], right: ['mid', 'dear'] },
};
type Kind = keyof typeof kinds;
const filler = ['please', 'the', 'a', 'question', 'answer', 'this', 'now', 'of'];

function prompts(count: number, seed: number): { prompt: string; kind: Kind }[] {
  const random = seededRandom(seed);
  const names = Object.keys(kinds) as Kind[];
  return Array.from({ length: count }, (_, index) => {
    const kind = names[index % names.length] as Kind;
    const words = Array.from({ length: 10 }, () => {
      const source = random() < 0.6 ? kinds[kind].words : filler;
      return source[Math.floor(random() * source.length)] as string;
    });
    return { prompt: words.join(' '), kind };
  });
}

function examples(count: number, seed: number): LearnedRouterExample[] {
  return prompts(count, seed).map(({ prompt, kind }) => ({
    prompt,
    outcomes: pool.map((model) => ({
      model,
      correct: kinds[kind].right.includes(model),
      costUsd: COST[model as keyof typeof COST],
    })),
  }));
}

describe('learned router', () => {
  const train = examples(300, 1);
  // More passes than the defaults (tuned for thousands of real prompts): the synthetic set is small.
  const options = { epochs: 20, learningRate: 0.2 };
  const model = trainLearnedRouter(train, options);
  const test = prompts(60, 2);

  it('learns P(correct) per model from the prompt, and each model’s mean cost', () => {
    expect(model.models.map((entry) => entry.model)).toEqual(pool);
    expect(model.models.find((entry) => entry.model === 'mid')?.meanCostUsd).toBeCloseTo(COST.mid, 12);
    expect(model.models.find((entry) => entry.model === 'cheap')?.accuracy).toBeCloseTo(1 / 3, 12);
    for (const { prompt, kind } of test) {
      const predictions = predictCorrectness(model, prompt);
      for (const entry of pool) {
        if (kinds[kind].right.includes(entry)) expect(predictions[entry]).toBeGreaterThan(0.7);
        else expect(predictions[entry]).toBeLessThan(0.3);
      }
    }
  });

  it('picks the cheap model where it is always right and the dear one where only it is', () => {
    const router = createLearnedRouter({ model, pool, accuracyPerUsd: priceAt(0.5) });
    for (const { prompt, kind } of test) {
      const plan = router({ answerType: 'number', prompt });
      expect(planSchema.parse(plan)).toEqual(plan);
      expect(plan).toMatchObject({ router: 'learned', judges: [] });
      expect(plan.stages).toEqual([{ model: { easy: 'cheap', tricky: 'mid', hard: 'dear' }[kind] }]);
    }
    // At the bottom of the knob accuracy is worth almost nothing: always the cheapest.
    const cheapest = createLearnedRouter({ model, pool, accuracyPerUsd: priceAt(0) });
    for (const { prompt } of test)
      expect(cheapest({ answerType: 'number', prompt }).stages).toEqual([{ model: 'cheap' }]);
  });

  it('is monotone in the knob: a higher quality never picks a cheaper or less likely correct model', () => {
    const qualities = [0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1];
    const routers = qualities.map((quality) => createLearnedRouter({ model, pool, accuracyPerUsd: priceAt(quality) }));
    const cost = new Map(model.models.map((entry) => [entry.model, entry.meanCostUsd]));
    // Noisy prompts mixing the kinds' words, so the predictions are not all near 0 or 1.
    const random = seededRandom(7);
    const words = [...kinds.easy.words, ...kinds.hard.words, ...kinds.tricky.words, ...filler];
    let changed = 0;
    for (let index = 0; index < 200; index += 1) {
      const prompt = Array.from({ length: 8 }, () => words[Math.floor(random() * words.length)]).join(' ');
      const predictions = predictCorrectness(model, prompt);
      const chosen = routers.map((router) => router({ answerType: 'choice', prompt }).stages[0]?.model as string);
      for (let step = 1; step < chosen.length; step += 1) {
        const before = chosen[step - 1] as string;
        const after = chosen[step] as string;
        expect(cost.get(after)).toBeGreaterThanOrEqual(cost.get(before) as number);
        expect(predictions[after]).toBeGreaterThanOrEqual(predictions[before] as number);
      }
      if (new Set(chosen).size > 1) changed += 1;
    }
    // Not vacuous: the knob moves most of these prompts between models.
    expect(changed).toBeGreaterThan(100);
  });

  it('breaks exact ties toward the cheaper model', () => {
    const candidates = [
      { model: 'dear', pCorrect: 0.9, meanCostUsd: 0.01 },
      { model: 'cheap', pCorrect: 0.8, meanCostUsd: 0 },
    ];
    expect(chooseLearnedModel(candidates, 10)).toBe('cheap');
    expect(chooseLearnedModel(candidates, 9)).toBe('dear');
  });

  it('is plain JSON and deterministic; stores only non-zero weights', () => {
    const json = JSON.stringify(model);
    expect(JSON.stringify(trainLearnedRouter(train, options))).toBe(json);
    const copy = JSON.parse(json) as LearnedRouterModel;
    const router = createLearnedRouter({ model, pool, accuracyPerUsd: priceAt(0.5) });
    const copied = createLearnedRouter({ model: copy, pool, accuracyPerUsd: priceAt(0.5) });
    for (const { prompt } of test) {
      expect(predictCorrectness(copy, prompt)).toEqual(predictCorrectness(model, prompt));
      expect(copied({ answerType: 'number', prompt })).toEqual(router({ answerType: 'number', prompt }));
    }
    for (const output of model.outputs) expect(output.weights.every((weight) => weight !== 0)).toBe(true);
    // A different seed shuffles differently.
    expect(JSON.stringify(trainLearnedRouter(train, { ...options, seed: 2 }))).not.toBe(json);
  });

  it('skips unknown outcomes: a model is trained only on the examples that record it', () => {
    const partial = train.map((example, index) => ({
      ...example,
      outcomes: example.outcomes.filter((outcome) => outcome.model !== 'dear' || index % 2 === 0),
    }));
    const trained = trainLearnedRouter(partial);
    expect(trained.models.find((entry) => entry.model === 'dear')?.count).toBe(150);
    expect(trained.models.find((entry) => entry.model === 'cheap')?.count).toBe(300);
  });

  it('needs the prompt, known pool models and training data', () => {
    const router = createLearnedRouter({ model, pool, accuracyPerUsd: priceAt(0.5) });
    expect(() => router({ answerType: 'number' })).toThrow(CoreError);
    expect(() => router({ answerType: 'number' })).toThrow(/no prompt/);
    expect(() => createLearnedRouter({ model, pool: ['cheap', 'other'], accuracyPerUsd: priceAt(0.5) })).toThrow(
      /no trained predictor for: other/,
    );
    expect(() => createLearnedRouter({ model, pool: [], accuracyPerUsd: priceAt(0.5) })).toThrow(/empty pool/);
    expect(() => trainLearnedRouter([])).toThrow(/no training examples/);
  });

  it('keeps a subset pool and passes the category through', () => {
    const router = createLearnedRouter({ model, pool: ['mid', 'dear'], accuracyPerUsd: priceAt(0), maxCostUsd: 0.5 });
    const plan = router({ answerType: 'choice', category: 'math', prompt: test[0]?.prompt ?? '' });
    expect(plan).toMatchObject({ stages: [{ model: 'mid' }], category: 'math', maxCostUsd: 0.5 });
  });
});
