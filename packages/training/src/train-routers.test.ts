import {
  artifactAnswerType,
  artifactCategory,
  artifactVerifier,
  createArtifactRouter,
  parseRouterArtifact,
  planSchema,
  type RouterArtifact,
} from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_POOL, syntheticRecords } from './testing/synthetic-records.js';
import { trainRouters } from './train-routers.js';

describe('trainRouters on synthetic recorded responses', () => {
  const records = syntheticRecords(400);
  const trained = trainRouters(records, SYNTHETIC_POOL, { trainFile: 'synthetic' });
  const { switchyard, taxonomy, learned } = trained;

  it('finds the cascade the data supports: cheap, checked by ref, else top — in math only', () => {
    const policies = switchyard.artifact.settings.flatMap((setting) =>
      setting.family === 'policy' ? [setting.policies] : [],
    );
    const math = policies.map((entry) => entry.math).filter((policy) => policy !== undefined);
    expect(
      math.some(
        (policy) =>
          policy.stages.map((stage) => stage.model).join('>') === 'cheap>top' && policy.referenceModels.includes('ref'),
      ),
    ).toBe(true);
    // In trivia the cheap models are as good as top: once accuracy has a price, one answers alone.
    switchyard.artifact.settings.forEach((setting, index) => {
      if (setting.family !== 'policy' || (switchyard.artifact.accuracyPerUsd[index] ?? 0) < 50) return;
      // (Mixed settings leave a category to the learned cascade.)
      if (setting.policies.trivia === undefined) return;
      const stages = setting.policies.trivia.stages.map((stage) => stage.model);
      expect(stages).toHaveLength(1);
      expect(['cheap', 'ref']).toContain(stages[0]);
    });
  });

  it('calibrates the knob by cross-validation: a hull from cheap to accurate, and match beats the best single', () => {
    const { knob } = switchyard.artifact;
    expect(knob.measured).toBe(true);
    expect(knob.bestSingle?.model).toBe('top');
    for (const [index, point] of knob.points.entries()) {
      const previous = knob.points[index - 1];
      if (previous === undefined) continue;
      expect(point.costUsd).toBeGreaterThan(previous.costUsd);
      expect(point.accuracy).toBeGreaterThan(previous.accuracy);
    }
    expect(knob.match).not.toBeNull();
    const matchPoint = knob.points.find((point) => point.accuracy >= (knob.bestSingle?.accuracy ?? 1));
    expect(matchPoint?.costUsd).toBeLessThan((knob.bestSingle?.costUsd ?? 0) / 2);
    expect(taxonomy.knob.points.length).toBeGreaterThan(1);
    expect(learned.knob.points.length).toBeGreaterThan(1);
  });

  it('gives artifacts that survive JSON and route every knob request to a valid plan', () => {
    for (const artifact of [switchyard.artifact, taxonomy, learned] as RouterArtifact[]) {
      const parsed = parseRouterArtifact(JSON.parse(JSON.stringify(artifact)));
      expect(parsed).toEqual(artifact);
      for (const knob of [{ quality: 0 }, { quality: 0.5 }, { quality: 'match' as const }, { targetCostUsd: 0.002 }]) {
        const router = createArtifactRouter(parsed, { knob, maxCostUsd: 1 });
        for (const record of records.slice(0, 20)) {
          const plan = router({ answerType: artifactAnswerType(parsed, record.prompt), prompt: record.prompt });
          expect(planSchema.parse(plan)).toEqual(plan);
          expect(plan.maxCostUsd).toBe(1);
        }
      }
    }
  });

  it('infers category and answer type from the prompt, and scores only its own verifiers', () => {
    const artifact = switchyard.artifact;
    const hard = 'prove the lemma about item 9999?\nA) one\nB) two\nC) three\nD) four\nAnswer:';
    expect(artifactCategory(artifact, { prompt: hard })).toBe('math');
    expect(artifactCategory(artifact, { category: 'trivia', prompt: hard })).toBe('trivia');
    expect(artifactCategory(artifact, { category: 'unknown', prompt: hard })).toBe('math');
    expect(artifactAnswerType(artifact, hard)).toBe('choice');
    expect(artifactAnswerType(artifact, hard, { answerType: 'number' })).toBe('number');
    const score = artifactVerifier(artifact);
    const request = { stage: 0, model: 'cheap', text: 'A', answer: 'A', references: [{ model: 'ref', agrees: true }] };
    expect(score({ ...request, verifierId: artifact.policyCalibration.id, category: 'math' })).toBeGreaterThan(0.9);
    expect(score({ ...request, verifierId: artifact.calibration.id, category: 'math' })).toBeGreaterThan(0.5);
    expect(score({ ...request, verifierId: 'other' })).toBeNull();
  });

  it('is deterministic, and leaves out records it cannot learn from', () => {
    const again = trainRouters(records, SYNTHETIC_POOL, { trainFile: 'synthetic' });
    expect(JSON.stringify(again.switchyard.artifact)).toBe(JSON.stringify(switchyard.artifact));
    expect(JSON.stringify(again.taxonomy)).toBe(JSON.stringify(taxonomy));
    const unlabelled = records.map((record, index) =>
      index < 10
        ? { ...record, responses: { ...record.responses, top: { text: 'x', correct: null, costUsd: 1 } } }
        : record,
    );
    const partial = trainRouters(unlabelled, SYNTHETIC_POOL);
    expect(partial.context.skipped).toHaveLength(10);
    expect(partial.context.skipped[0]?.reason).toBe('no label for top');
    expect(() => trainRouters(records.slice(0, 5), SYNTHETIC_POOL)).toThrow(/need at least 10/);
  }, 30_000);
});
