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
    expect(
      isPlannedCall(plan, {
        stage: 0,
        role: 'answer',
        slot: 0,
        model: 'small',
        input: { kind: 'messages', messages: [{ role: 'user', content: 'spend money' }] },
      }),
    ).toBe(false);
  });
});
