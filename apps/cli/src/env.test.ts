import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CliEnvError, readCliEnv } from './env.js';

const rethrow = (error: CliEnvError): never => {
  throw error;
};

function errorOf(read: () => unknown): CliEnvError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(CliEnvError);
    return error as CliEnvError;
  }
  throw new Error('no error');
}

describe('readCliEnv', () => {
  it('reads the defaults and the values that are set', () => {
    const env = readCliEnv({ SWITCHYARD_DEFAULT_MAX_COST_USD: '0.5', SWITCHYARD_API_KEY: 'sy_x' }, rethrow);
    expect(env.SWITCHYARD_DEFAULT_MAX_COST_USD).toBe(0.5);
    expect(env.SWITCHYARD_API_KEY).toBe('sy_x');
    expect(env.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/switchyard');
    expect(env.SWITCHYARD_API_URL).toBe('http://127.0.0.1:3000');
    expect(env.SWITCHYARD_MODELS).toBeUndefined();
  });

  it('lets a command run whose variables are fine when another one is invalid', () => {
    const env = readCliEnv(
      { SWITCHYARD_DEFAULT_MAX_COST_USD: '5000', DATABASE_URL: 'postgresql://h/db', REDIS_URL: 'redis://h:1' },
      rethrow,
    );
    expect(env.DATABASE_URL).toBe('postgresql://h/db');
    expect(env.REDIS_URL).toBe('redis://h:1');
  });

  it('reports an invalid variable in one line naming it and the problem', () => {
    const env = readCliEnv({ SWITCHYARD_DEFAULT_MAX_COST_USD: '5000' }, rethrow);
    const error = errorOf(() => env.SWITCHYARD_DEFAULT_MAX_COST_USD);
    expect(error.variable).toBe('SWITCHYARD_DEFAULT_MAX_COST_USD');
    expect(error.message).toMatch(/^environment variable SWITCHYARD_DEFAULT_MAX_COST_USD: .*1000/);
    expect(error.message).not.toContain('\n');
  });

  it('never prints the value of the variable it refuses', () => {
    const env = readCliEnv({ SWITCHYARD_API_URL: 'not a url SECRETVALUE', SWITCHYARD_QUEUE_PREFIX: '' }, rethrow);
    const error = errorOf(() => env.SWITCHYARD_API_URL);
    expect(error.message).toContain('SWITCHYARD_API_URL');
    expect(error.message).not.toContain('SECRETVALUE');
    expect(errorOf(() => env.SWITCHYARD_QUEUE_PREFIX).message).toContain('SWITCHYARD_QUEUE_PREFIX');
  });

  it('exits with code 2 and one line on stderr by default', () => {
    const script =
      "import { readCliEnv } from './apps/cli/src/env.ts'; const env = readCliEnv(); env.REDIS_URL; env.SWITCHYARD_DEFAULT_MAX_COST_USD;";
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../../../', import.meta.url),
      env: { ...process.env, SWITCHYARD_DEFAULT_MAX_COST_USD: '5000' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: environment variable SWITCHYARD_DEFAULT_MAX_COST_USD: /),
    ]);
  });
});
