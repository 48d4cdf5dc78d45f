import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../../packages/db/src/testing/index.js';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = path.join(repositoryRoot, 'node_modules', '.bin', 'tsx');

export interface Stack {
  apiUrl: string;
  database: TestDatabase;
  prefix: string;
  logs: () => string;
  stop(): Promise<void>;
}

function startProcess(script: string, env: NodeJS.ProcessEnv, ready: RegExp, output: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, ['--conditions=@switchyard/source', script], {
      cwd: repositoryRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (ready.test(output.join(''))) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${output.join('')}`));
    });
  });
}

/**
 * Starts the API and a worker as separate processes against the real Postgres (a fresh database) and
 * Redis (a fresh queue prefix), configured by `env` (e.g. SWITCHYARD_REPLAY or SWITCHYARD_MODELS).
 */
export async function startStack(env: Record<string, string>): Promise<Stack> {
  const database = await createTestDatabase({ prefix: 'sy_e2e' });
  const prefix = `sy_e2e_${randomBytes(4).toString('hex')}`;
  const common = {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    SWITCHYARD_QUEUE_PREFIX: prefix,
    SWITCHYARD_CALL_BACKOFF_MS: '50',
    SWITCHYARD_ALLOW_PRIVATE_CALLBACKS: 'true',
    LOG_LEVEL: 'warn',
    ...env,
  };
  const output: string[] = [];
  const worker = await startProcess(
    'apps/worker/src/main.ts',
    { ...common, LOG_LEVEL: 'info' },
    /worker started/,
    output,
  );
  const apiOutput: string[] = [];
  const api = await startProcess(
    'apps/api/src/main.ts',
    { ...common, PORT: '0' },
    /listening on http:\/\/\S+/,
    apiOutput,
  );
  const match = /listening on (http:\/\/\S+)/.exec(apiOutput.join(''));
  if (!match?.[1]) throw new Error('API printed no address');
  return {
    apiUrl: match[1],
    database,
    prefix,
    logs: () => output.join('') + apiOutput.join(''),
    async stop() {
      for (const child of [api, worker]) {
        child.removeAllListeners('exit');
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await database.drop();
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export interface QueryResult {
  id: string;
  status: string;
  answer?: string;
  model?: string;
  costUsd: string;
  outcome?: string;
  error?: { code: string; message: string };
  attempts: {
    role: string;
    model: string;
    stage: number;
    slot: number;
    costUsd: string | null;
    outcome: string;
    errorCode?: string;
  }[];
}

/** Polls GET /v1/queries/:id until the query is completed or failed. */
export async function waitForQuery(apiUrl: string, id: string, timeoutMs = 60_000): Promise<QueryResult> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${apiUrl}/v1/queries/${id}`);
    const body = (await response.json()) as QueryResult;
    if (body.status === 'completed' || body.status === 'failed') return body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`query ${id} did not finish within ${timeoutMs} ms`);
}
