import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPrismaClient } from '../../packages/db/src/client.js';
import { createApiKey } from '../../packages/db/src/repositories/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../../packages/db/src/testing/index.js';
import { deleteQueueKeys } from '../../packages/queues/src/queue-keys.js';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsxLoader = pathToFileURL(path.join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface Stack {
  apiUrl: string;
  /** An API key of the stack's database (created with it); every helper below sends it. */
  apiKey: string;
  /** `{ authorization: 'Bearer <apiKey>' }`, for requests made with plain fetch. */
  auth: Record<string, string>;
  /** The operator token the API was started with (dashboard, /metrics). */
  adminToken: string;
  /** POST `body` as JSON to `path` of the API with the stack's key (unless `headers` sets another). */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
  /** GET `path` of the API with the stack's key. */
  get(path: string, headers?: Record<string, string>): Promise<JsonResponse>;
  /** Polls the query until it is completed or failed. */
  waitForQuery(id: string, timeoutMs?: number): Promise<QueryResult>;
  database: TestDatabase;
  prefix: string;
  /** The Redis the workers use (and the API, unless `apiEnv` gave it another). */
  redisUrl: string;
  logs: () => string;
  /**
   * Starts one more worker process on the stack's database, Redis and prefix; `env` goes on top (an
   * empty value unsets a variable).
   */
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  /** The worker processes started and not yet killed, oldest first. */
  workers(): WorkerProcess[];
  /** Kills the API process (SIGKILL by default) and waits until it exited. */
  killApi(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a new API process (after `killApi`); `apiUrl` and the helpers then point at it. */
  startApi(): Promise<void>;
  stop(): Promise<void>;
}

export interface WorkerProcess {
  pid: number;
  /** False once the process exited, whatever the cause. */
  alive(): boolean;
  /** Sends `signal` (SIGKILL by default: a crash, no cleanup) and resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface StackOptions {
  /** Environment of the API process only, on top of the shared one (e.g. an unreachable REDIS_URL). */
  apiEnv?: Record<string, string>;
  /** Environment of the first worker only, on top of the shared one. */
  workerEnv?: Record<string, string>;
  /** Start a worker with the stack (default true); with false, call `startWorker` when needed. */
  worker?: boolean;
  /** Postgres server to create the stack's database on (default: the test server). */
  databaseServerUrl?: string;
  /** Wraps the queue prefix in a Redis Cluster hash tag (`{sy_e2e_…}`), as a cluster deployment does. */
  hashTagPrefix?: boolean;
}

/**
 * Runs `script` in one node process with tsx as its loader (not the tsx CLI, which would run the
 * script in a grandchild that a SIGKILL of the child cannot reach).
 */
function startProcess(script: string, env: NodeJS.ProcessEnv, ready: RegExp, output: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, '--conditions=@switchyard/source', script], {
      cwd: repositoryRoot,
      // An empty value unsets a variable of the shared environment (e.g. a worker without a secret).
      env: Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // This process's own output decides readiness: `output` may hold an earlier process's lines.
    let own = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${own}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      own += chunk.toString();
      if (ready.test(own)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      own += chunk.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${own}`));
    });
  });
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Stops a process: `signal`, then SIGKILL if it is still alive after `graceMs`. */
async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  child.removeAllListeners('exit');
  if (hasExited(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  if (!hasExited(child)) {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Starts the API and a worker as separate processes against the real Postgres (a fresh database) and
 * Redis (a fresh queue prefix), configured by `env` (e.g. SWITCHYARD_REPLAY or SWITCHYARD_MODELS).
 */
export async function startStack(env: Record<string, string>, options: StackOptions = {}): Promise<Stack> {
  const database = await createTestDatabase({
    prefix: 'sy_e2e',
    ...(options.databaseServerUrl === undefined ? {} : { serverUrl: options.databaseServerUrl }),
  });
  const tag = `sy_e2e_${randomBytes(4).toString('hex')}`;
  const prefix = options.hashTagPrefix ? `{${tag}}` : tag;
  const prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 1 });
  const { key: apiKey } = await createApiKey(prisma, { name: 'e2e' }).finally(() => prisma.$disconnect());
  const adminToken = randomBytes(16).toString('hex');
  const auth = { authorization: `Bearer ${apiKey}` };
  const redisUrl = env.REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const common = {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    SWITCHYARD_QUEUE_PREFIX: prefix,
    SWITCHYARD_CALL_BACKOFF_MS: '50',
    SWITCHYARD_ALLOW_PRIVATE_CALLBACKS: 'true',
    SWITCHYARD_ADMIN_TOKEN: adminToken,
    // One secret for every worker of the stack (a second worker without one would be refused).
    SWITCHYARD_WEBHOOK_SECRET: 'e2e-webhook-secret-0123456789',
    LOG_LEVEL: 'warn',
    ...env,
  };
  const output: string[] = [];
  const running = new Map<WorkerProcess, ChildProcess>();
  const startWorker = async (workerEnv: Record<string, string> = {}): Promise<WorkerProcess> => {
    const child = await startProcess(
      'apps/worker/src/main.ts',
      { ...common, LOG_LEVEL: 'info', ...workerEnv },
      /worker started/,
      output,
    );
    const handle: WorkerProcess = {
      pid: child.pid ?? -1,
      alive: () => !hasExited(child),
      async kill(signal = 'SIGKILL') {
        running.delete(handle);
        await stopProcess(child, signal, 10_000);
      },
    };
    running.set(handle, child);
    return handle;
  };
  const apiOutput: string[] = [];
  let api: ChildProcess | undefined;
  try {
    if (options.worker ?? true) await startWorker(options.workerEnv);
    api = await startProcess(
      'apps/api/src/main.ts',
      { ...common, PORT: '0', ...options.apiEnv },
      /listening on http:\/\/\S+/,
      apiOutput,
    );
  } catch (error) {
    for (const child of running.values()) await stopProcess(child, 'SIGKILL', 0);
    await database.drop();
    throw error;
  }
  const addressOf = (lines: string[]) => {
    const match = /listening on (http:\/\/\S+)/.exec(lines.join(''));
    if (!match?.[1]) throw new Error('API printed no address');
    return match[1];
  };
  let apiProcess = api;
  const restartedApiOutput: string[][] = [];
  let apiUrl = addressOf(apiOutput);
  return {
    get apiUrl() {
      return apiUrl;
    },
    async killApi(signal = 'SIGKILL') {
      await stopProcess(apiProcess, signal, 10_000);
    },
    async startApi() {
      const lines: string[] = [];
      restartedApiOutput.push(lines);
      apiProcess = await startProcess(
        'apps/api/src/main.ts',
        { ...common, PORT: '0', ...options.apiEnv },
        /listening on http:\/\/\S+/,
        lines,
      );
      apiUrl = addressOf(lines);
    },
    apiKey,
    auth,
    adminToken,
    post: (path, body, headers = {}) => postJson(`${apiUrl}${path}`, body, { ...auth, ...headers }),
    async get(path, headers = {}) {
      const response = await fetch(`${apiUrl}${path}`, { headers: { ...auth, ...headers } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    waitForQuery: (id, timeoutMs) => waitForQuery(apiUrl, id, timeoutMs, auth),
    database,
    prefix,
    redisUrl,
    logs: () => output.join('') + apiOutput.join('') + restartedApiOutput.map((lines) => lines.join('')).join(''),
    startWorker,
    workers: () => [...running.keys()],
    async stop() {
      await stopProcess(apiProcess, 'SIGTERM', 10_000);
      for (const [handle, child] of running) {
        running.delete(handle);
        await stopProcess(child, 'SIGTERM', 10_000);
      }
      await database.drop();
      await removeRedisKeys(redisUrl, [prefix, `${prefix}-record`]);
    },
  };
}

/** Removes every Redis key under the given queue prefixes (a stack's keys outlive its processes otherwise). */
export async function removeRedisKeys(redisUrl: string, prefixes: readonly string[]): Promise<void> {
  for (const prefix of prefixes) {
    // Best effort: a test that stopped Redis on purpose leaves its keys to the next cleanup.
    await deleteQueueKeys(redisUrl, prefix).catch(() => 0);
  }
}

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
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
export async function waitForQuery(
  apiUrl: string,
  id: string,
  timeoutMs = 60_000,
  headers: Record<string, string> = {},
): Promise<QueryResult> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${apiUrl}/v1/queries/${id}`, { headers });
    const body = (await response.json()) as QueryResult;
    if (body.status === 'completed' || body.status === 'failed') return body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`query ${id} did not finish within ${timeoutMs} ms`);
}
