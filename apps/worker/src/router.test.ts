import type { Plan } from '@switchyard/core';
import type { RoutableQuery } from '@switchyard/queues';
import { describe, expect, it } from 'vitest';
import { type ArtifactSource, createPlanQuery, createVerifierFor, presetQuality, UnknownModelError } from './router.js';

const pool = ['small', 'medium', 'large'];
const noArtifacts: ArtifactSource = { byId: async () => null, active: async () => null };
const query = (options: RoutableQuery['options'] = {}, maxCostUsd: string | null = '0.5'): RoutableQuery => ({
  id: '00000000-0000-4000-8000-000000000000',
  prompt: 'What is 2 + 2?',
  system: null,
  options,
  maxCostUsd,
});

describe('worker router', () => {
  it('routes with the fixed cascade over the pool when no trained router is active', async () => {
    const plan = (await createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts })(
      query({ metadata: { answerType: 'number' } }),
    )) as Plan;
    expect(plan.router).toBe('fixed');
    expect(plan.answerType).toBe('number');
    expect(plan.maxCostUsd).toBe(0.5);
    expect(plan.stages.map((stage) => stage.model).every((model) => pool.includes(model))).toBe(true);
    expect(plan.artifactId).toBeUndefined();
  });

  it('falls back to literal comparison for an answer type it does not know', async () => {
    const plan = await createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts })(
      query({ metadata: { answerType: 'bogus' } }),
    );
    expect(plan.answerType).toBe('literal');
  });

  it('refuses a router id that does not exist, instead of silently using another router', async () => {
    await expect(
      createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts })(
        query({ router: '11111111-1111-4111-8111-111111111111' }),
      ),
    ).rejects.toThrow(/does not exist/);
  });

  it('gives verifier judges nothing to score with when the plan names no artifact', async () => {
    const verifierFor = createVerifierFor(noArtifacts, { warn() {} });
    const plan = await createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts })(query());
    expect(await verifierFor(plan)).toBeUndefined();
  });
});

describe('model selection in the planner', () => {
  it('maps knob presets to qualities (temporary table until the trained calibration)', () => {
    expect([undefined, 'economy', 'balanced', 'match', 'max'].map(presetQuality)).toEqual([
      undefined,
      0.25,
      0.5,
      0.75,
      1,
    ]);
    expect(() => presetQuality('cheapest')).toThrow(/unknown knob preset/);
  });

  it('routes a preset with its quality, and a pinned pool model as one stage without judges', async () => {
    const planQuery = createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts });
    const economy = (await planQuery(query({ preset: 'economy' }))) as Plan;
    const max = (await planQuery(query({ preset: 'max' }))) as Plan;
    expect(economy.setting).not.toBe(max.setting);
    const pinned = (await planQuery(query({ pinnedModel: 'medium' }))) as Plan;
    expect(pinned).toMatchObject({ router: 'pinned', stages: [{ model: 'medium' }], judges: [], maxCostUsd: 0.5 });
  });

  it('refuses a pinned model the pool does not have, with model_not_found naming the pool', async () => {
    const planQuery = createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts });
    const error = await Promise.resolve(planQuery(query({ pinnedModel: 'gpt-9' }))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownModelError);
    expect((error as UnknownModelError).code).toBe('model_not_found');
    expect((error as Error).message).toContain('small, medium, large');
  });
});
