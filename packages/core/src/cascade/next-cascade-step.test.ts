import { describe, expect, it } from 'vitest';
import type { CallObservation, CallRequest } from './calls.js';
import { nextCascadeStep } from './next-cascade-step.js';
import type { Plan } from './plan.js';
import type { CascadeContext, CascadeStep } from './step.js';

const basePlan: Plan = {
  version: 1,
  router: 'fixed',
  answerType: 'number',
  stages: [{ model: 'cheap' }, { model: 'mid' }, { model: 'top' }],
  judges: [{ kind: 'agreement', referenceModels: [], nextStages: 1 }],
  acceptThreshold: 1,
};

type World = Record<string, { text: string; costUsd: string } | { error: string }>;

function observe(world: World, request: CallRequest): CallObservation {
  const key = { stage: request.stage, role: request.role, slot: request.slot, model: request.model };
  const entry = world[request.model];
  if (entry === undefined || 'error' in entry) {
    return { ...key, ok: false, costUsd: '0', errorCode: 'failed', errorMessage: entry?.error ?? 'unknown model' };
  }
  return { ...key, ok: true, text: entry.text, costUsd: entry.costUsd };
}

/** Drives the step function like an executor, recording every batch of calls. */
function run(plan: Plan, world: World, context: CascadeContext = {}) {
  const observations: CallObservation[] = [];
  const batches: CallRequest[][] = [];
  for (let guard = 0; guard < 50; guard += 1) {
    const step = nextCascadeStep(plan, observations, context);
    if (step.kind === 'finish') return { step, observations, batches };
    batches.push(step.calls);
    observations.push(...step.calls.map((request) => observe(world, request)));
  }
  throw new Error('cascade did not finish');
}

function finished(step: CascadeStep) {
  if (step.kind !== 'finish') throw new Error('expected a finish step');
  return step;
}

const answer = (value: string, costUsd = '0.001') => ({ text: `{"reasoning": "...", "answer": "${value}"}`, costUsd });

describe('nextCascadeStep', () => {
  it('asks for the first stage answer, then its reference, then accepts when they agree', () => {
    const { step, batches } = run(basePlan, { cheap: answer('42'), mid: answer('42.0'), top: answer('7') });
    expect(batches).toEqual([
      [{ stage: 0, role: 'answer', slot: 0, model: 'cheap', input: { kind: 'query' } }],
      [{ stage: 0, role: 'judge', slot: 0, model: 'mid', input: { kind: 'query' } }],
    ]);
    const finish = finished(step);
    expect(finish).toMatchObject({ outcome: 'accepted', answerFrom: 'cheap', extractedAnswer: '42', stage: 0 });
    expect(finish.spentUsd).toBe('0.002');
    expect(finish.verdicts[0]?.judges[0]).toMatchObject({ confidence: 1, agreeing: ['mid'] });
  });

  it('escalates on disagreement and reuses the reference answer instead of calling the model again', () => {
    const { step, batches, observations } = run(basePlan, {
      cheap: answer('1'),
      mid: answer('2'),
      top: answer('2'),
    });
    expect(batches.flat().map((call) => `${call.stage}:${call.role}:${call.model}`)).toEqual([
      '0:answer:cheap',
      '0:judge:mid',
      '1:judge:top',
    ]);
    expect(observations.filter((observation) => observation.model === 'mid')).toHaveLength(1);
    expect(finished(step)).toMatchObject({ outcome: 'accepted', answerFrom: 'mid', stage: 1 });
    expect(finished(step).verdicts.map((verdict) => verdict.decision)).toEqual(['escalate', 'accept']);
  });

  it('fuses at the last stage with the answer most observed models support', () => {
    const { step } = run(basePlan, { cheap: answer('5'), mid: answer('6'), top: answer('5') });
    // cheap≠mid, mid≠top, top has no next stage: exhausted, and 5 (cheap + top) beats 6 (mid alone).
    const finish = finished(step);
    expect(finish).toMatchObject({ outcome: 'exhausted', answerFrom: 'top', extractedAnswer: '5' });
    expect(finish.verdicts.map((verdict) => verdict.decision)).toEqual(['escalate', 'escalate', 'escalate']);
  });

  it('prefers the later stage when fused answers tie', () => {
    const { step } = run(basePlan, { cheap: answer('1'), mid: answer('2'), top: answer('3') });
    expect(finished(step)).toMatchObject({ outcome: 'exhausted', answerFrom: 'top' });
  });

  it('skips a failed answer call and continues with the next stage', () => {
    const { step, batches } = run(basePlan, { cheap: { error: 'boom' }, mid: answer('9'), top: answer('9') });
    expect(batches.flat().map((call) => `${call.stage}:${call.role}:${call.model}`)).toEqual([
      '0:answer:cheap',
      '1:answer:mid',
      '1:judge:top',
    ]);
    const finish = finished(step);
    expect(finish).toMatchObject({ outcome: 'accepted', answerFrom: 'mid' });
    expect(finish.verdicts[0]).toMatchObject({ stage: 0, decision: 'skipped' });
  });

  it('lets a judge abstain when its reference fails, and escalates because nothing vouched for the answer', () => {
    const { step } = run(basePlan, { cheap: answer('3'), mid: { error: 'rate limited for good' }, top: answer('3') });
    const finish = finished(step);
    expect(finish.verdicts[0]?.judges[0]).toMatchObject({ confidence: null, reason: 'no reference answer available' });
    // Stage 1 (mid) failed and is skipped; top's judge has no next stage; fuse picks the answer cheap and top share.
    expect(finish).toMatchObject({ outcome: 'exhausted', answerFrom: 'top', extractedAnswer: '3' });
  });

  it('finishes failed when no stage produced an answer', () => {
    const { step } = run(basePlan, { cheap: { error: 'x' }, mid: { error: 'y' }, top: { error: 'z' } });
    expect(finished(step)).toMatchObject({ outcome: 'failed', answerFrom: null, answer: null });
  });

  it('stops before a call the budget cannot afford and returns the best answer so far', () => {
    const plan: Plan = { ...basePlan, maxCostUsd: 0.0025 };
    const world = { cheap: answer('1'), mid: answer('2'), top: answer('2') };
    const { step, batches } = run(plan, world, { worstCaseCostUsd: () => '0.001' });
    // cheap (0.001) + mid (0.001) spent; top's worst case (0.001) would exceed 0.0025.
    expect(batches.flat().map((call) => call.model)).toEqual(['cheap', 'mid']);
    const finish = finished(step);
    expect(finish.outcome).toBe('budget');
    expect(finish.answerFrom).toBe('mid');
    expect(finish.spentUsd).toBe('0.002');
  });

  it('respects an outside remaining budget even without a plan cap', () => {
    const step = nextCascadeStep(basePlan, [], { remainingBudgetUsd: '0.0005', worstCaseCostUsd: () => 0.001 });
    expect(finished(step)).toMatchObject({ outcome: 'budget', answerFrom: null });
  });

  it('accepts the first answer when the plan has no judges', () => {
    const { step, batches } = run({ ...basePlan, judges: [] }, { cheap: answer('1') });
    expect(batches).toHaveLength(1);
    expect(finished(step)).toMatchObject({ outcome: 'accepted', answerFrom: 'cheap' });
  });

  it('numbers judge slots from the plan so each (stage, role, slot) is unique', () => {
    const plan: Plan = {
      ...basePlan,
      stages: [{ model: 'a' }, { model: 'b' }, { model: 'c' }, { model: 'd' }],
      judges: [
        { kind: 'agreement', referenceModels: ['d'], nextStages: 2 },
        { kind: 'agreement', referenceModels: ['b', 'e'] },
      ],
      acceptThreshold: 1,
    };
    const first = nextCascadeStep(plan, [
      { stage: 0, role: 'answer', slot: 0, model: 'a', ok: true, text: '1', costUsd: '0' },
    ]);
    expect(first).toEqual({
      kind: 'calls',
      calls: ['d', 'b', 'c', 'e'].map((model, slot) => ({
        stage: 0,
        role: 'judge',
        slot,
        model,
        input: { kind: 'query' },
      })),
    });
    // With b already observed, the same models keep their slots and b is not asked again.
    const second = nextCascadeStep(plan, [
      { stage: 0, role: 'answer', slot: 0, model: 'a', ok: true, text: '1', costUsd: '0' },
      { stage: 0, role: 'judge', slot: 1, model: 'b', ok: true, text: '1', costUsd: '0' },
    ]);
    expect(second.kind === 'calls' && second.calls.map((call) => [call.slot, call.model])).toEqual([
      [0, 'd'],
      [2, 'c'],
      [3, 'e'],
    ]);
  });

  it('gives the same step for the same observations in any order', () => {
    const { observations } = run(basePlan, { cheap: answer('1'), mid: answer('2'), top: answer('1') });
    const forward = nextCascadeStep(basePlan, observations);
    const backward = nextCascadeStep(basePlan, [...observations].reverse());
    expect(backward).toEqual(forward);
    expect(nextCascadeStep(basePlan, observations)).toEqual(forward);
  });

  it('combines judges with min and lets a verifier from the context vote', () => {
    const plan: Plan = {
      ...basePlan,
      judges: [{ kind: 'format' }, { kind: 'verifier', verifierId: 'v1' }],
      aggregation: 'min',
      acceptThreshold: 0.6,
    };
    const world = { cheap: answer('1'), mid: answer('1'), top: answer('1') };
    const low = run(plan, world, { scoreVerifier: ({ model }) => (model === 'cheap' ? 0.4 : 0.7) });
    expect(finished(low.step)).toMatchObject({ outcome: 'accepted', answerFrom: 'mid' });
    expect(finished(low.step).verdicts[0]?.confidence).toBe(0.4);
    // Without a verifier it abstains and the format judge alone (1) decides.
    const none = run(plan, world);
    expect(finished(none.step)).toMatchObject({ outcome: 'accepted', answerFrom: 'cheap' });
    expect(finished(none.step).verdicts[0]?.judges[1]?.confidence).toBeNull();
  });

  it('judges an answer with no extractable value as disagreeing', () => {
    const { step } = run(basePlan, {
      cheap: { text: 'I cannot say', costUsd: '0' },
      mid: answer('4'),
      top: answer('4'),
    });
    expect(finished(step).verdicts[0]?.judges[0]).toMatchObject({ confidence: 0 });
    expect(finished(step)).toMatchObject({ outcome: 'accepted', answerFrom: 'mid' });
  });

  it('hands a verifier its references, earlier stages included, and applies per-stage thresholds', () => {
    const plan: Plan = {
      ...basePlan,
      stages: [{ model: 'cheap', acceptThreshold: 0.9 }, { model: 'mid', acceptThreshold: 0.5 }, { model: 'top' }],
      judges: [{ kind: 'verifier', verifierId: 'v', referenceModels: ['ref'], previousStages: true }],
      acceptThreshold: 1,
      category: 'math',
    };
    const seen: string[] = [];
    const world = { cheap: answer('1'), ref: answer('2'), mid: answer('2'), top: answer('2') };
    const { step, batches } = run(plan, world, {
      scoreVerifier: (request) => {
        seen.push(
          `${request.category}:${request.model}:${request.references.map((r) => `${r.model}=${r.agrees}`).join(',')}`,
        );
        return request.references.some((reference) => reference.agrees) ? 0.6 : 0.1;
      },
    });
    expect(batches.flat().map((call) => `${call.stage}:${call.role}:${call.model}`)).toEqual([
      '0:answer:cheap',
      '0:judge:ref',
      '1:answer:mid',
    ]);
    // Earlier stages are re-judged on every step (the function keeps no state), hence the Set.
    expect([...new Set(seen)]).toEqual(['math:cheap:ref=false', 'math:mid:ref=true,cheap=false']);
    // 0.6 is below stage 0's own 0.9 (not reached here) but above stage 1's 0.5.
    expect(finished(step)).toMatchObject({ outcome: 'accepted', answerFrom: 'mid', stage: 1 });
  });
});
