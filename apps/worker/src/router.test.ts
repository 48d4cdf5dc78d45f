import type { Plan, RouterArtifact } from '@switchyard/core';
import type { RoutableQuery } from '@switchyard/queues';
import { trainRouters } from '@switchyard/training';
import { SYNTHETIC_POOL, syntheticRecords } from '@switchyard/training/testing';
import { describe, expect, it } from 'vitest';
import { type ArtifactSource, createPlanQuery, createVerifierFor, UnknownModelError } from './router.js';

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

  it('infers the answer type from the prompt when the metadata gives none it knows', async () => {
    const plan = await createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts })(
      query({ metadata: { answerType: 'bogus' } }),
    );
    // "What is 2 + 2?": a quantity, as `switchyard eval` would infer it.
    expect(plan.answerType).toBe('number');
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

describe('recording queries (switchyard record)', () => {
  const record = (reference: string | null) => ({ record: { reference, id: 'r1', line: 1 } });

  it('plans every pool model without judges when the prompt has a reference, even with an active router', async () => {
    const active: ArtifactSource = {
      byId: async () => null,
      active: async () => {
        throw new Error('a recording query must not consult the trained router');
      },
    };
    const plan = (await createPlanQuery({ pool, judgePanel: ['judge-a'], defaultQuality: 0.5, artifacts: active })(
      query(record('4')),
    )) as Plan;
    expect(plan).toMatchObject({ router: 'record', record: true, judges: [], answerType: 'number', maxCostUsd: 0.5 });
    expect(plan.stages.map((stage) => stage.model)).toEqual(pool);
  });

  it('adds the LLM judge panel when there is no reference, and refuses without a panel', async () => {
    const withPanel = (await createPlanQuery({
      pool,
      judgePanel: ['judge-a', 'judge-b'],
      defaultQuality: 0.5,
      artifacts: noArtifacts,
    })(query({ ...record(null), metadata: { judgeTask: 'factual' } }))) as Plan;
    expect(withPanel.judges).toEqual([{ kind: 'llm', models: ['judge-a', 'judge-b'] }]);
    expect(withPanel.judgeTask).toBe('factual');
    await expect(
      createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts })(query(record(null))),
    ).rejects.toThrow(/no judge models/);
  });
});

describe('model selection in the planner', () => {
  it('routes a preset with its quality, and a pinned pool model as one stage without judges', async () => {
    const planQuery = createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts });
    const economy = (await planQuery(query({ preset: 'economy' }))) as Plan;
    const max = (await planQuery(query({ preset: 'max' }))) as Plan;
    expect(economy.setting).not.toBe(max.setting);
    await expect(planQuery(query({ preset: 'cheapest' }))).rejects.toThrow(/invalid knob: quality/);
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

describe('worker router with trained routers', () => {
  const trained = trainRouters(syntheticRecords(300), SYNTHETIC_POOL);
  const artifacts = (artifact: RouterArtifact, active = true): ArtifactSource => ({
    byId: async (id) => (id === 'a1' ? { id: 'a1', version: 1, artifact } : null),
    active: async () => (active ? { id: 'a1', version: 1, artifact } : null),
  });
  const math = 'add the numbers of item 7?\nA) one\nB) two\nC) three\nD) four\nAnswer:';
  const plan = (
    artifact: RouterArtifact,
    options: RoutableQuery['options'],
    defaultQuality: number | 'match' = 'match',
  ) =>
    createPlanQuery({ pool: [...SYNTHETIC_POOL], defaultQuality, artifacts: artifacts(artifact) })({
      ...query(options),
      prompt: math,
    });

  it('resolves quality numbers, preset names and target costs against the artifact’s calibrated knob', async () => {
    const artifact = trained.switchyard.artifact;
    expect((await plan(artifact, {})).setting).toMatch(/^match \(quality=/);
    expect((await plan(artifact, {}, 0.3)).setting).toMatch(/^quality=0.3:/);
    expect((await plan(artifact, { quality: 'economy' })).setting).toMatch(/^economy \(quality=0.25\)/);
    expect((await plan(artifact, { quality: 1 })).setting).toMatch(/^quality=1:/);
    expect((await plan(artifact, { targetCostUsd: 0.001 })).setting).toMatch(/^targetCostUsd=0.001:/);
    const answered = await plan(artifact, {});
    expect(answered.artifactId).toBe('a1');
    // The answer type comes from the artifact's classifier (the dataset labelled these prompts choice).
    expect(answered.answerType).toBe('choice');
    expect(answered.category).toBe('math');
  });

  it('fails the query with the reason for a bad knob request', async () => {
    const artifact = trained.switchyard.artifact;
    await expect(plan(artifact, { quality: 'cheapest' })).rejects.toThrow(/invalid knob: quality/);
    await expect(plan(artifact, { quality: 0.5, targetCostUsd: 0.001 })).rejects.toThrow(/not both/);
    await expect(plan(artifact, { targetCostUsd: -1 })).rejects.toThrow(/invalid knob: targetCostUsd/);
    // The fixed cascade has no measured costs to aim at.
    await expect(
      createPlanQuery({ pool, defaultQuality: 0.5, artifacts: noArtifacts })(query({ targetCostUsd: 0.001 })),
    ).rejects.toThrow(/needs a trained router/);
  });

  it('routes with a taxonomy artifact: one model per classified category', async () => {
    const routed = await plan(trained.taxonomy, { quality: 'max' });
    expect(routed.router).toBe('taxonomy');
    expect(routed.stages).toHaveLength(1);
    expect(routed.judges).toEqual([]);
  });

  it('refuses an artifact naming models the worker does not have', async () => {
    await expect(
      createPlanQuery({ pool: ['cheap'], defaultQuality: 'match', artifacts: artifacts(trained.learned) })(query({})),
    ).rejects.toThrow(/not configured with: ref, mid, top/);
  });
});
