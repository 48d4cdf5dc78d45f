import { type AgreementPattern, type CallObservation, nextCascadeStep, type Plan } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../linear/train-sparse-linear.js';
import { prepareRecords } from '../records/prepare-records.js';
import { SYNTHETIC_POOL, syntheticRecords } from '../testing/synthetic-records.js';
import { poolIndex, simulatePlan } from './simulate-plan.js';

/** Runs a plan through the real step function, answering every call from the record. */
function runStepFunction(
  plan: Plan,
  record: ReturnType<typeof syntheticRecords>[number],
  score: (pattern: AgreementPattern) => number,
) {
  const observations: CallObservation[] = [];
  for (;;) {
    const step = nextCascadeStep(plan, observations, {
      scoreVerifier: (request) =>
        score({
          ...(request.category === undefined ? {} : { category: request.category }),
          model: request.model,
          answered: request.answer !== null,
          references: request.references,
        }),
    });
    if (step.kind === 'finish') {
      const cost = observations.reduce((sum, observation) => sum + Number(observation.costUsd), 0);
      return { answerFrom: step.answerFrom, costUsd: cost };
    }
    for (const call of step.calls) {
      const response = record.responses[call.model];
      observations.push({
        stage: call.stage,
        role: call.role,
        slot: call.slot,
        model: call.model,
        ok: true,
        text: response?.text ?? '',
        costUsd: String(response?.costUsd ?? 0),
      });
    }
  }
}

describe('simulatePlan', () => {
  it('decides exactly as nextCascadeStep on recorded answers, for random verifier plans', () => {
    const records = syntheticRecords(60, 3);
    // Some answers cannot be extracted: the verifier must see such references as absent.
    const withGaps = records.map((record, index) =>
      index % 5 === 0
        ? { ...record, responses: { ...record.responses, ref: { text: 'no idea', correct: false, costUsd: 0.0002 } } }
        : record,
    );
    const pool = poolIndex(SYNTHETIC_POOL);
    const prepared = prepareRecords(withGaps, SYNTHETIC_POOL, {
      category: (record) => record.category ?? '',
      answerType: () => 'choice',
      fold: () => 0,
    });
    const random = seededRandom(11);
    // A verifier that reads everything a pattern holds: who answered, and each reference's agreement.
    const score = (pattern: AgreementPattern) => {
      const agreeing = pattern.references.filter((reference) => reference.agrees).length;
      const offset = SYNTHETIC_POOL.indexOf(pattern.model as (typeof SYNTHETIC_POOL)[number]) * 0.05 - 0.05;
      return ((agreeing + 1) / (pattern.references.length + 2)) * (pattern.answered ? 1 : 0.5) + offset;
    };
    let compared = 0;
    for (let trial = 0; trial < 200; trial += 1) {
      const shuffled = [...SYNTHETIC_POOL].sort(() => random() - 0.5);
      const stages = shuffled.slice(0, 1 + Math.floor(random() * 3));
      const others = SYNTHETIC_POOL.filter((model) => !stages.includes(model));
      const plan: Plan = {
        version: 1,
        router: 'test',
        category: random() < 0.5 ? 'math' : 'trivia',
        answerType: 'choice',
        stages: stages.map((model, index) => ({
          model,
          acceptThreshold: index === stages.length - 1 && random() < 0.5 ? 0 : random(),
        })),
        judges:
          random() < 0.1
            ? []
            : [
                {
                  kind: 'verifier',
                  verifierId: 'v',
                  referenceModels: others.filter(() => random() < 0.5),
                  previousStages: random() < 0.7,
                  ...(random() < 0.3 ? { nextStages: 1 } : {}),
                },
              ],
        aggregation: 'mean',
        acceptThreshold: 1,
      };
      const index = Math.floor(random() * prepared.length);
      const simulated = simulatePlan(plan, prepared[index] as (typeof prepared)[number], pool, score);
      const real = runStepFunction(plan, withGaps[index] as (typeof withGaps)[number], score);
      expect(pool.models[simulated.answerFrom]).toBe(real.answerFrom);
      expect(simulated.costUsd).toBeCloseTo(real.costUsd, 12);
      compared += 1;
    }
    expect(compared).toBe(200);
  });

  it('refuses plans it cannot simulate', () => {
    const [record] = prepareRecords(syntheticRecords(1), SYNTHETIC_POOL, {
      category: () => 'math',
      answerType: () => 'choice',
      fold: () => 0,
    });
    const plan: Plan = {
      version: 1,
      router: 'test',
      answerType: 'choice',
      stages: [{ model: 'cheap' }],
      judges: [{ kind: 'agreement', referenceModels: ['ref'] }],
      acceptThreshold: 1,
    };
    expect(() => simulatePlan(plan, record as NonNullable<typeof record>, poolIndex(SYNTHETIC_POOL), () => 1)).toThrow(
      /only plans without judges or with one verifier/,
    );
  });
});
