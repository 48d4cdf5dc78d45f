import { describe, expect, it } from 'vitest';
import { workerEnvSchema } from './env.js';

describe('worker environment', () => {
  it('has defaults that run a local all-roles worker', () => {
    const env = workerEnvSchema.parse({});
    expect(env).toMatchObject({
      SWITCHYARD_WORKER_ROLES: 'router,cascade,webhook',
      SWITCHYARD_QUALITY: 'match',
      SWITCHYARD_CALL_ATTEMPTS: 5,
      SWITCHYARD_ALLOW_PRIVATE_CALLBACKS: false,
      SWITCHYARD_EXIT_WITH_PARENT: false,
      SWITCHYARD_JUDGE_AGGREGATION: 'min',
      SWITCHYARD_MAX_CALLS_IN_FLIGHT: 256,
    });
    expect(env.SWITCHYARD_WEBHOOK_SECRET).toBeUndefined();
    expect(workerEnvSchema.parse({ SWITCHYARD_QUALITY: '0.25' }).SWITCHYARD_QUALITY).toBe(0.25);
    expect(workerEnvSchema.parse({ SWITCHYARD_QUALITY: 'economy' }).SWITCHYARD_QUALITY).toBe('economy');
  });

  it('names the variable and the problem of a bad setting', () => {
    const bad = workerEnvSchema.safeParse({
      SWITCHYARD_WEBHOOK_SECRET: 'short',
      SWITCHYARD_QUALITY: '2',
      SWITCHYARD_CASCADE_CONCURRENCY: '0',
      SWITCHYARD_ALLOW_PRIVATE_CALLBACKS: 'yes',
      SWITCHYARD_JUDGE_AGGREGATION: 'median',
      SWITCHYARD_MAX_CALLS_IN_FLIGHT: '0',
    });
    expect(bad.success).toBe(false);
    const fields = bad.error?.issues.map((issue) => issue.path.join('.')).sort();
    expect(fields).toEqual([
      'SWITCHYARD_ALLOW_PRIVATE_CALLBACKS',
      'SWITCHYARD_CASCADE_CONCURRENCY',
      'SWITCHYARD_JUDGE_AGGREGATION',
      'SWITCHYARD_MAX_CALLS_IN_FLIGHT',
      'SWITCHYARD_QUALITY',
      'SWITCHYARD_WEBHOOK_SECRET',
    ]);
    expect(bad.error?.issues.find((issue) => issue.path[0] === 'SWITCHYARD_WEBHOOK_SECRET')?.message).toMatch(
      /16 characters/,
    );
  });
});
