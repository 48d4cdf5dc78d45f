import type { Plan } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { createTrainingContext } from '../context/training-context.js';
import { type LedgerAttempt, type LedgerQuery, labelLedgerQuery, trainingRecordOf } from './label-ledger-query.js';

const pool = ['small', 'large'];
const recordPlan = (judged: boolean, answerType: Plan['answerType'] = 'number'): Plan => ({
  version: 1,
  router: 'record',
  answerType,
  stages: pool.map((model) => ({ model })),
  judges: judged ? [{ kind: 'llm', models: ['judge-a', 'judge-b'] }] : [],
  acceptThreshold: 1,
  record: true,
});

const answer = (stage: number, model: string, output: string, costUsd = '0.001'): LedgerAttempt => ({
  stage,
  role: 'answer',
  slot: 0,
  model,
  outcome: 'succeeded',
  output,
  costUsd,
  inputTokens: 10,
  outputTokens: 5,
});
const verdict = (stage: number, slot: number, model: string, value: 'pass' | 'fail' | 'garbage'): LedgerAttempt => ({
  stage,
  role: 'judge',
  slot,
  model,
  outcome: 'succeeded',
  output: value === 'garbage' ? 'looks fine to me' : JSON.stringify({ verdict: value, confidence: 0.9, reason: 'r' }),
  costUsd: '0.0002',
  inputTokens: 100,
  outputTokens: 20,
});

describe('labelling ledger queries', () => {
  it('grades each answer against the reference with the judges extraction and comparison', () => {
    const labelled = labelLedgerQuery(
      {
        id: 'q1',
        prompt: 'What is 17 + 25?',
        plan: recordPlan(false),
        reference: '42',
        answerModel: 'large',
        attempts: [
          answer(0, 'small', 'The answer is 41.', '0.0001'),
          answer(1, 'large', '{"answer": "42.0"}', '0.003'),
        ],
      },
      pool,
    );
    expect(labelled.missing).toEqual([]);
    expect(labelled.responses.small).toMatchObject({ answer: '41', correct: false, labelSource: 'reference' });
    expect(labelled.responses.large).toMatchObject({
      answer: '42',
      correct: true,
      labelSource: 'reference',
      costUsd: 0.003,
      inputTokens: 10,
    });
  });

  it('labels by the majority of valid LLM verdicts, keeps them, and leaves an answer without one unlabelled', () => {
    // Stage 0 (small) judged by judge-a (slot 0) and judge-b (slot 1); stage 1 (large) only malformed.
    const labelled = labelLedgerQuery(
      {
        id: 'q2',
        prompt: 'Write a haiku about rain.',
        plan: recordPlan(true, 'literal'),
        answerModel: 'large',
        attempts: [
          answer(0, 'small', 'Rain on the roof'),
          verdict(0, 0, 'judge-a', 'pass'),
          verdict(0, 1, 'judge-b', 'fail'),
          answer(1, 'large', 'Soft rain falls'),
          verdict(1, 0, 'judge-a', 'garbage'),
        ],
      },
      pool,
    );
    // One pass of two valid verdicts is not a majority.
    expect(labelled.responses.small).toMatchObject({ correct: false, labelSource: 'llm-judges' });
    expect(Object.keys(labelled.responses.small?.judges ?? {})).toEqual(['judge-a', 'judge-b']);
    expect(labelled.responses.large).toMatchObject({ correct: null, labelSource: null });
    expect(labelled.unlabelled).toEqual(['large']);
  });

  it('lets feedback override the judges, and carries it to equal answers (extractable types)', () => {
    const base: LedgerQuery = {
      id: 'q3',
      prompt: 'What is 6 * 7?',
      plan: recordPlan(true),
      answerModel: 'large',
      attempts: [
        answer(0, 'small', 'The answer is 42.'),
        verdict(0, 0, 'judge-a', 'fail'),
        verdict(0, 1, 'judge-b', 'fail'),
        answer(1, 'large', 'The answer is 42'),
        verdict(1, 0, 'judge-a', 'fail'),
        verdict(1, 1, 'judge-b', 'fail'),
      ],
    };
    const judged = labelLedgerQuery(base, pool);
    expect([judged.responses.small?.correct, judged.responses.large?.correct]).toEqual([false, false]);
    const corrected = labelLedgerQuery({ ...base, feedback: { correct: true, score: null } }, pool);
    expect(corrected.responses.large).toMatchObject({ correct: true, labelSource: 'feedback' });
    expect(corrected.responses.small).toMatchObject({ correct: true, labelSource: 'feedback-agreement' });
    // A score alone counts as correct from 0.5 on.
    const scored = labelLedgerQuery({ ...base, feedback: { correct: null, score: 0.2 } }, pool);
    expect(scored.responses.large).toMatchObject({ correct: false, labelSource: 'feedback' });
  });

  it('counts reference calls of a live cascade as answers, and reports models that never answered', () => {
    const fixed: Plan = {
      version: 1,
      router: 'fixed',
      answerType: 'number',
      stages: [{ model: 'small' }, { model: 'large' }, { model: 'huge' }],
      judges: [{ kind: 'agreement', referenceModels: [], nextStages: 1 }],
      acceptThreshold: 1,
    };
    const labelled = labelLedgerQuery(
      {
        id: 'q4',
        prompt: 'What is 2 + 2?',
        plan: fixed,
        answerModel: 'small',
        feedback: { correct: true, score: null },
        attempts: [answer(0, 'small', '4'), { ...answer(0, 'large', '5'), role: 'judge', slot: 0 }],
      },
      ['small', 'large', 'huge'],
    );
    expect(labelled.responses.large).toMatchObject({ answer: '5', correct: false, labelSource: 'feedback-agreement' });
    expect(labelled.missing).toEqual(['huge']);
  });

  it('labels a format failure wrong and makes training records the training context accepts', () => {
    const queries = Array.from({ length: 12 }, (_, index) =>
      labelLedgerQuery(
        {
          id: `q${index}`,
          prompt: `What is ${index} + 1?`,
          plan: recordPlan(true),
          answerModel: 'large',
          formatFailures: { 0: 'empty' },
          attempts: [
            answer(0, 'small', ''),
            answer(1, 'large', `${index + 1}`),
            verdict(1, 0, 'judge-a', 'pass'),
            verdict(1, 1, 'judge-b', 'pass'),
          ],
        },
        pool,
      ),
    );
    expect(queries[0]?.responses.small).toMatchObject({ correct: false, labelSource: 'format' });
    const context = createTrainingContext(
      queries.map((query) => trainingRecordOf(query)),
      pool,
    );
    expect(context.records).toHaveLength(12);
    expect(context.skipped).toEqual([]);
  });
});
