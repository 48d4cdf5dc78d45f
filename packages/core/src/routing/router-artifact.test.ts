import { describe, expect, it } from 'vitest';
import { trainAgreementCalibration } from '../judges/agreement-calibration.js';
import { trainCategoryClassifier } from './category-classifier.js';
import { measureCategoryStats } from './category-stats.js';
import {
  artifactCategory,
  artifactVerifier,
  createArtifactRouter,
  parseSwitchyardArtifact,
  type SwitchyardArtifact,
} from './router-artifact.js';

const pool = ['cheap', 'mid', 'dear'];
// Math: only the dear model is right; trivia: only the cheap one is.
const outcomes = ['math', 'trivia'].flatMap((category) =>
  Array.from({ length: 40 }, () =>
    pool.map((model) => ({
      category,
      model,
      correct: category === 'trivia' ? model === 'cheap' : model === 'dear',
      costUsd: { cheap: 0.0001, mid: 0.001, dear: 0.01 }[model] as number,
    })),
  ).flat(),
);
const classifier = trainCategoryClassifier(
  Array.from({ length: 30 }, (_, index) => [
    { prompt: `Integrate x^${index} dx and simplify the equation`, category: 'math' },
    { prompt: `Which river flows through city number ${index}? Name the capital`, category: 'trivia' },
  ]).flat(),
);
const artifact: SwitchyardArtifact = {
  version: 1,
  kind: 'switchyard',
  pool,
  perCategory: true,
  verifierId: 'v',
  stats: measureCategoryStats(outcomes),
  calibration: trainAgreementCalibration(
    [{ model: 'cheap', answered: true, references: [{ model: 'mid', agrees: true }], correct: true }],
    { id: 'v' },
  ),
  categoryClassifier: classifier,
};

describe('router artifact', () => {
  it('survives JSON and validation unchanged', () => {
    expect(parseSwitchyardArtifact(JSON.parse(JSON.stringify(artifact)))).toEqual(artifact);
  });

  it('names the first bad field of a broken document', () => {
    expect(() => parseSwitchyardArtifact({ ...artifact, pool: [] })).toThrow(/router artifact: pool/);
    expect(() => parseSwitchyardArtifact({ ...artifact, kind: 'other' })).toThrow(/router artifact: kind/);
  });

  it('routes by the given category when known, else by the classifier’s reading of the prompt', () => {
    expect(artifactCategory(artifact, { category: 'math', prompt: 'Which river?' })).toBe('math');
    expect(artifactCategory(artifact, { category: 'poetry', prompt: 'Integrate x^2 dx' })).toBe('math');
    expect(artifactCategory(artifact, { prompt: 'Which river flows through Paris?' })).toBe('trivia');
    expect(artifactCategory({ ...artifact, categoryClassifier: undefined } as SwitchyardArtifact, {})).toBeUndefined();
    const router = createArtifactRouter(artifact, { quality: 1 });
    const math = router({ answerType: 'number', prompt: 'Integrate x^3 dx and simplify the equation' });
    const trivia = router({ answerType: 'literal', prompt: 'Which river flows through Rome? Name the capital' });
    expect(math.category).toBe('math');
    expect(math.stages.at(-1)?.model).toBe('dear');
    // Only in math is the cheap answer worth escalating from.
    expect(math.stages[0]?.acceptThreshold).toBeGreaterThan(trivia.stages[0]?.acceptThreshold ?? 1);
    expect(trivia.category).toBe('trivia');
    expect(trivia.stages[0]?.model).toBe('cheap');
  });

  it('scores only its own verifier', () => {
    const score = artifactVerifier(artifact);
    const request = {
      stage: 0,
      model: 'cheap',
      text: '4',
      answer: '4',
      references: [{ model: 'mid', agrees: true }],
    };
    expect(score({ ...request, verifierId: 'v' })).toBeGreaterThan(0.5);
    expect(score({ ...request, verifierId: 'other' })).toBeNull();
  });
});
