import { describe, expect, it } from 'vitest';
import type { Plan } from './plan.js';
import { isPlannedCall } from './planned-call.js';

const plan: Plan = {
  version: 1,
  router: 'fixed',
  answerType: 'number',
  stages: [{ model: 'small' }, { model: 'medium' }, { model: 'large' }],
  judges: [{ kind: 'agreement', referenceModels: [], nextStages: 1 }],
  acceptThreshold: 0.5,
};
const query = { kind: 'query' as const };

describe('isPlannedCall', () => {
  it('accepts the answer and reference calls the plan can ask for', () => {
    expect(isPlannedCall(plan, { stage: 0, role: 'answer', slot: 0, model: 'small', input: query })).toBe(true);
    expect(isPlannedCall(plan, { stage: 0, role: 'judge', slot: 0, model: 'medium', input: query })).toBe(true);
    expect(isPlannedCall(plan, { stage: 1, role: 'judge', slot: 0, model: 'large', input: query })).toBe(true);
  });

  it('refuses calls outside the plan: other stages, slots, models or constructed text', () => {
    expect(isPlannedCall(plan, { stage: 3, role: 'answer', slot: 0, model: 'large', input: query })).toBe(false);
    expect(isPlannedCall(plan, { stage: 0, role: 'answer', slot: 0, model: 'large', input: query })).toBe(false);
    expect(isPlannedCall(plan, { stage: 0, role: 'answer', slot: 1, model: 'small', input: query })).toBe(false);
    expect(isPlannedCall(plan, { stage: 0, role: 'judge', slot: 1, model: 'large', input: query })).toBe(false);
    expect(isPlannedCall(plan, { stage: 2, role: 'judge', slot: 0, model: 'small', input: query })).toBe(false);
    // An answer slot cannot be made to judge, nor a reference slot to carry a judge request.
    const judgeInput = {
      kind: 'judge' as const,
      answer: { stage: 0, role: 'answer' as const, slot: 0, model: 'small' },
    };
    expect(isPlannedCall(plan, { stage: 0, role: 'answer', slot: 0, model: 'small', input: judgeInput })).toBe(false);
    expect(isPlannedCall(plan, { stage: 0, role: 'judge', slot: 0, model: 'medium', input: judgeInput })).toBe(false);
  });

  it('accepts the LLM judge calls of a plan with a judge panel, with a judge input only', () => {
    const judged: Plan = { ...plan, judges: [...plan.judges, { kind: 'llm', models: ['judge', 'large'] }] };
    const judgeInput = {
      kind: 'judge' as const,
      answer: { stage: 0, role: 'answer' as const, slot: 0, model: 'small' },
    };
    // Stage 0: reference medium at slot 0, then the panel: judge (slot 1), large (slot 2).
    expect(isPlannedCall(judged, { stage: 0, role: 'judge', slot: 1, model: 'judge', input: judgeInput })).toBe(true);
    expect(isPlannedCall(judged, { stage: 0, role: 'judge', slot: 2, model: 'large', input: judgeInput })).toBe(true);
    expect(isPlannedCall(judged, { stage: 0, role: 'judge', slot: 1, model: 'judge', input: query })).toBe(false);
    expect(isPlannedCall(judged, { stage: 0, role: 'judge', slot: 2, model: 'judge', input: judgeInput })).toBe(false);
    // Stage 2 is large's own answer: large never judges it, so the panel there is only "judge" (slot 0).
    expect(isPlannedCall(judged, { stage: 2, role: 'judge', slot: 0, model: 'judge', input: judgeInput })).toBe(true);
    expect(isPlannedCall(judged, { stage: 2, role: 'judge', slot: 1, model: 'large', input: judgeInput })).toBe(false);
  });
});
