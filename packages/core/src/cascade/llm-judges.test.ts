import { describe, expect, it } from 'vitest';
import { createFixedRouter } from '../routing/fixed-router.js';
import type { CallObservation, CallRequest } from './calls.js';
import { nextCascadeStep, plannedCall, stageJudgeModels } from './next-cascade-step.js';
import type { Plan } from './plan.js';
import type { CascadeStep } from './step.js';

const plan: Plan = {
  version: 1,
  router: 'fixed',
  answerType: 'literal',
  stages: [{ model: 'cheap' }, { model: 'mid' }, { model: 'top' }],
  judges: [{ kind: 'llm', models: ['judge-a', 'top'] }],
  aggregation: 'min',
  acceptThreshold: 0.95,
};

const verdict = (value: 'pass' | 'fail', confidence: number) =>
  JSON.stringify({ verdict: value, confidence, reason: 'because' });

/** What each model answers, and what each judge model says about each answered model. */
interface World {
  answers: Record<string, string>;
  verdicts: Record<string, Record<string, string | { error: string }>>;
  finishReasons?: Record<string, string>;
}

function observe(world: World, request: CallRequest): CallObservation {
  const key = { stage: request.stage, role: request.role, slot: request.slot, model: request.model };
  if (request.input.kind === 'judge') {
    const said = world.verdicts[request.model]?.[request.input.answer.model];
    if (said === undefined || typeof said !== 'string') {
      return { ...key, ok: false, costUsd: '0.0001', errorCode: typeof said === 'object' ? said.error : 'none' };
    }
    return { ...key, ok: true, text: said, costUsd: '0.0001' };
  }
  const text = world.answers[request.model];
  if (text === undefined) return { ...key, ok: false, costUsd: '0', errorCode: 'failed' };
  const finishReason = world.finishReasons?.[request.model];
  return { ...key, ok: true, text, costUsd: '0.001', ...(finishReason ? { finishReason } : {}) };
}

function run(world: World, planned: Plan = plan) {
  const observations: CallObservation[] = [];
  const batches: CallRequest[][] = [];
  for (let guard = 0; guard < 50; guard += 1) {
    const step = nextCascadeStep(planned, observations);
    if (step.kind === 'finish') return { step, batches, observations };
    batches.push(step.calls);
    observations.push(...step.calls.map((request) => observe(world, request)));
  }
  throw new Error('cascade did not finish');
}

function finished(step: CascadeStep) {
  if (step.kind !== 'finish') throw new Error('expected a finish step');
  return step;
}

const answers = { cheap: 'A short poem.', mid: 'A better poem.', top: 'The best poem.' };

describe('LLM judges in the cascade', () => {
  it('accepts the first answer on a unanimous pass, after one batch of judge calls naming the answer', () => {
    const { step, batches } = run({
      answers,
      verdicts: { 'judge-a': { cheap: verdict('pass', 0.97) }, top: { cheap: verdict('pass', 0.99) } },
    });
    expect(batches).toEqual([
      [{ stage: 0, role: 'answer', slot: 0, model: 'cheap', input: { kind: 'query' } }],
      [
        {
          stage: 0,
          role: 'judge',
          slot: 0,
          model: 'judge-a',
          input: { kind: 'judge', answer: { stage: 0, role: 'answer', slot: 0, model: 'cheap' } },
        },
        {
          stage: 0,
          role: 'judge',
          slot: 1,
          model: 'top',
          input: { kind: 'judge', answer: { stage: 0, role: 'answer', slot: 0, model: 'cheap' } },
        },
      ],
    ]);
    const finish = finished(step);
    expect(finish).toMatchObject({ outcome: 'accepted', fused: false, answerFrom: 'cheap', stage: 0 });
    expect(finish.spentUsd).toBe('0.0012');
    expect(finish.verdicts[0]?.judges).toEqual([
      expect.objectContaining({ kind: 'llm', model: 'judge-a', verdict: 'pass', confidence: 0.97 }),
      expect.objectContaining({ kind: 'llm', model: 'top', verdict: 'pass', confidence: 0.99 }),
    ]);
  });

  it('does not count a judge model verdict as its answer to the query', () => {
    const { observations } = run({
      answers,
      verdicts: { 'judge-a': { cheap: verdict('fail', 0.9), mid: verdict('fail', 0.9) }, top: {} },
    });
    // top judged stage 0 and 1 (slot 1) and still answers stage 2 itself.
    expect(observations.filter((o) => o.model === 'top').map((o) => `${o.stage}/${o.role}`)).toEqual([
      '0/judge',
      '1/judge',
      '2/answer',
    ]);
  });

  it.each([
    ['a fail', verdict('fail', 0.99)],
    ['a malformed verdict', 'Looks good to me!'],
    ['a pass below the threshold', verdict('pass', 0.9)],
    ['a judge error', { error: 'server' }],
  ])('escalates on %s from one judge', (_, said) => {
    const { step } = run({
      answers,
      verdicts: {
        'judge-a': { cheap: said, mid: verdict('pass', 0.99) },
        top: { cheap: verdict('pass', 0.99), mid: verdict('pass', 0.99) },
      },
    });
    const finish = finished(step);
    expect(finish).toMatchObject({ outcome: 'accepted', answerFrom: 'mid', stage: 1 });
    expect(finish.verdicts[0]?.decision).toBe('escalate');
  });

  it('never asks a model to judge its own answer', () => {
    expect(stageJudgeModels(plan, 0)).toEqual(['judge-a', 'top']);
    expect(stageJudgeModels(plan, 2)).toEqual(['judge-a']);
    const { step } = run({
      answers,
      verdicts: { 'judge-a': { cheap: verdict('fail', 1), mid: verdict('fail', 1), top: verdict('pass', 0.99) } },
    });
    expect(finished(step)).toMatchObject({ outcome: 'accepted', answerFrom: 'top', stage: 2 });
  });

  it('escalates an answer that fails the format checks without calling any judge', () => {
    const { step, batches } = run({
      answers,
      finishReasons: { cheap: 'length' },
      verdicts: { 'judge-a': { mid: verdict('pass', 1) }, top: { mid: verdict('pass', 1) } },
    });
    expect(batches[1]?.map((call) => `${call.stage}:${call.role}:${call.model}`)).toEqual(['1:answer:mid']);
    const finish = finished(step);
    expect(finish.verdicts[0]).toMatchObject({ decision: 'escalate', format: { failure: 'truncated' } });
    expect(finish).toMatchObject({ outcome: 'accepted', answerFrom: 'mid' });
  });

  it('fuses at the end of the pool, says so, and picks the best-judged answer', () => {
    const { step } = run({
      answers,
      verdicts: {
        'judge-a': { cheap: verdict('pass', 0.9), mid: verdict('fail', 0.8), top: verdict('pass', 0.5) },
        top: { cheap: verdict('pass', 0.92), mid: verdict('pass', 0.99) },
      },
    });
    const finish = finished(step);
    expect(finish).toMatchObject({ outcome: 'exhausted', fused: true, answerFrom: 'cheap' });
    expect(finish.reason).toMatch(/fused/);
  });

  it('lets a quorum accept when one panel model abstains', () => {
    const { step } = run(
      { answers, verdicts: { 'judge-a': { cheap: 'garbage' }, top: { cheap: verdict('pass', 0.99) } } },
      { ...plan, judges: [{ kind: 'llm', models: ['judge-a', 'top'], quorum: 1 }] },
    );
    expect(finished(step)).toMatchObject({ outcome: 'accepted', answerFrom: 'cheap' });
  });

  it('says which calls a plan can request at a ledger key, from the plan alone', () => {
    const mixed: Plan = {
      ...plan,
      answerType: 'number',
      judges: [{ kind: 'agreement', referenceModels: [], nextStages: 1 }, ...plan.judges],
    };
    expect(plannedCall(mixed, 0, 'answer', 0)).toEqual({ model: 'cheap', kind: 'answer' });
    expect(plannedCall(mixed, 0, 'answer', 1)).toBeNull();
    expect(plannedCall(mixed, 0, 'judge', 0)).toEqual({ model: 'mid', kind: 'reference' });
    expect(plannedCall(mixed, 0, 'judge', 1)).toEqual({ model: 'judge-a', kind: 'llm-judge' });
    expect(plannedCall(mixed, 0, 'judge', 2)).toEqual({ model: 'top', kind: 'llm-judge' });
    expect(plannedCall(mixed, 0, 'judge', 3)).toBeNull();
    expect(plannedCall(mixed, 3, 'answer', 0)).toBeNull();
  });
});

describe('fixed router with a judge panel', () => {
  it('judges open-ended queries with the panel (min, 0.95 at the middle of the knob), others by agreement', () => {
    const router = createFixedRouter({
      models: ['cheap', 'mid', 'top'],
      knob: { quality: 2 / 3 },
      judgePanel: ['judge-a'],
    });
    const literal = router({ answerType: 'literal' });
    expect(literal).toMatchObject({
      judges: [{ kind: 'llm', models: ['judge-a'] }],
      aggregation: 'min',
      acceptThreshold: 0.95,
    });
    expect(router({ answerType: 'number' }).judges).toEqual([
      { kind: 'agreement', referenceModels: [], nextStages: 2 },
    ]);
    expect(
      createFixedRouter({ models: ['cheap'], knob: { quality: 0.5 } })({ answerType: 'literal' }).judges[0]?.kind,
    ).toBe('agreement');
    // The default knob (match, which is balanced for the unmeasured fixed router) also asks 0.95.
    const byDefault = createFixedRouter({ models: ['cheap', 'mid'], judgePanel: ['judge-a'] });
    expect(byDefault({ answerType: 'literal' }).acceptThreshold).toBe(0.95);
  });

  it('aggregates the panel as configured (SWITCHYARD_JUDGE_AGGREGATION), only for the panel', () => {
    for (const judgeAggregation of ['mean', 'majority'] as const) {
      const router = createFixedRouter({ models: ['cheap', 'mid'], judgePanel: ['judge-a'], judgeAggregation });
      expect(router({ answerType: 'literal' }).aggregation).toBe(judgeAggregation);
      expect(router({ answerType: 'number' }).aggregation).toBe('mean');
    }
  });

  it('a recording plan accepts no stage: every model answers and each answer is judged by the panel', () => {
    const pass = verdict('pass', 0.99);
    const { step, observations } = run(
      {
        answers,
        verdicts: { 'judge-a': { cheap: pass, mid: pass, top: verdict('fail', 0.9) }, top: { cheap: pass, mid: pass } },
      },
      { ...plan, record: true },
    );
    const calls = observations.map((o) => `${o.stage}/${o.role}/${o.slot}:${o.model}`);
    expect(calls).toEqual([
      '0/answer/0:cheap',
      '0/judge/0:judge-a',
      '0/judge/1:top',
      '1/answer/0:mid',
      '1/judge/0:judge-a',
      '1/judge/1:top',
      '2/answer/0:top',
      '2/judge/0:judge-a',
    ]);
    const finish = finished(step);
    expect(finish.outcome).toBe('exhausted');
    expect(finish.reason).toMatch(/^recording: every stage answered/);
    expect(finish.verdicts.map((entry) => entry.decision)).toEqual(['escalate', 'escalate', 'escalate']);
  });

  it('a recording plan without judges still calls every stage once', () => {
    const { step, observations } = run({ answers, verdicts: {} }, { ...plan, judges: [], record: true });
    expect(observations.map((o) => `${o.stage}/${o.role}:${o.model}`)).toEqual([
      '0/answer:cheap',
      '1/answer:mid',
      '2/answer:top',
    ]);
    expect(finished(step)).toMatchObject({ outcome: 'exhausted', fused: true, answerFrom: 'top' });
  });
});
