import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from '../packages/db/src/client.js';
import { createApiKey } from '../packages/db/src/repositories/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../packages/db/src/testing/index.js';
import { type JudgeFakes, startJudgeFakes } from './support/judge-fakes.js';
import { picoUsd } from './support/ledger.js';
import { removeRedisKeys, repositoryRoot, type Stack, startStack } from './support/stack.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// `switchyard record` → `router train` (from the recorded file and from the ledger) → `eval`, each run
// as the real CLI process against a database of its own, on the sim pool (references) and on the
// OpenAI/Anthropic wire fakes (no references: the LLM judge panel labels).

const tsxLoader = pathToFileURL(path.join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, '--conditions=@switchyard/source', 'apps/cli/src/main.ts', ...args],
      { cwd: repositoryRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface RecordedLine {
  id: string;
  category: string;
  prompt: string;
  reference: string;
  answerType: string;
  responses: Record<
    string,
    {
      text: string;
      answer: string | null;
      correct: boolean;
      costUsd: number;
      label: string;
      judges?: Record<string, { verdict: string; confidence: number; costUsd: number }>;
    }
  >;
  provenance: { queryId: string; labels: string };
}

async function readLines(file: string): Promise<RecordedLine[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RecordedLine);
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** What each recorded line cost by its own numbers (answers and judge verdicts), pico-USD. */
function lineCostPicoUsd(line: RecordedLine): bigint {
  let total = 0n;
  for (const response of Object.values(line.responses)) {
    total += picoUsd(response.costUsd);
    for (const verdict of Object.values(response.judges ?? {})) total += picoUsd(verdict.costUsd);
  }
  return total;
}

/** The stored router documents without the field naming what they were trained from. */
async function storedArtifacts(url: string) {
  const rows = await sql<{ source: string; data: Record<string, unknown> }>(
    url,
    'SELECT source, data FROM router_artifacts ORDER BY version',
  );
  return rows.map((row) => {
    const { trainedOn, ...rest } = row.data as { trainedOn?: { records?: number } };
    return { source: row.source, records: trainedOn?.records, rest };
  });
}

describe('record → router train → eval on the sim pool (references)', () => {
  let database: TestDatabase;
  let folder: string;
  let env: Record<string, string>;
  const prompts: { prompt: string; reference: string }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'sy_record' });
    folder = await mkdtemp(path.join(tmpdir(), 'sy-record-'));
    env = {
      DATABASE_URL: database.url,
      SWITCHYARD_QUEUE_PREFIX: `sy_record_${randomBytes(4).toString('hex')}`,
      SWITCHYARD_SIM_LATENCY_MS: '0',
    };
    for (let index = 0; index < 24; index += 1) {
      const [a, b] = [17 + index * 13, 5 + index * 7];
      const multiply = index % 3 === 0;
      prompts.push({
        prompt: `What is ${a} ${multiply ? '*' : '+'} ${b}?`,
        reference: String(multiply ? a * b : a + b),
      });
    }
    await writeFile(
      path.join(folder, 'prompts.jsonl'),
      `${prompts.map((line, index) => JSON.stringify({ ...line, category: index % 3 === 0 ? 'multiply' : 'add' })).join('\n')}\n`,
    );
  });
  afterAll(async () => {
    await database?.drop();
    await removeRedisKeys(redisUrl, [env.SWITCHYARD_QUEUE_PREFIX as string, `${env.SWITCHYARD_QUEUE_PREFIX}-record`]);
  });

  it('refuses a bad input file naming every bad line, before anything is paid or written', async () => {
    await writeFile(
      path.join(folder, 'bad.jsonl'),
      [
        JSON.stringify({ prompt: 'What is 1 + 1?', reference: '2' }),
        '',
        '{"prompt": "What is 2 + 2?", "reference": ',
        JSON.stringify({ reference: '5' }),
        JSON.stringify({ prompt: 'What is 3 + 3?' }),
      ].join('\n'),
    );
    const result = await cli(
      [
        'record',
        '--input',
        path.join(folder, 'bad.jsonl'),
        '--out',
        path.join(folder, 'bad-out.jsonl'),
        '--references',
      ],
      env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/3 bad line\(s\) .*nothing was recorded/);
    expect(result.stderr).toMatch(/bad\.jsonl:3: not valid JSON/);
    expect(result.stderr).toMatch(/bad\.jsonl:4: prompt is required/);
    expect(result.stderr).toMatch(/bad\.jsonl:5: reference is missing or empty/);
    await expect(stat(path.join(folder, 'bad-out.jsonl'))).rejects.toThrow(/ENOENT/);
    expect(await sql(database.url, 'SELECT id FROM queries')).toEqual([]);
  });

  it('refuses outputs and budgets it cannot use without touching any file or paying anything', async () => {
    const input = path.join(folder, 'prompts.jsonl');
    const own = await mkdtemp(path.join(tmpdir(), 'sy-record-out-'));
    const record = (out: string, ...extra: string[]) =>
      cli(['record', '--input', input, '--out', out, '--references', ...extra], env);
    // A file record did not write (no final newline): left exactly as it was, no models.json beside it.
    const notes = path.join(own, 'notes.txt');
    await writeFile(notes, 'first\nsecond\nthird, without a newline');
    let result = await record(notes);
    expect([result.code, result.stderr]).toEqual([
      2,
      expect.stringMatching(/notes\.txt:1 is not a record of this pool/),
    ]);
    expect(await readFile(notes, 'utf8')).toBe('first\nsecond\nthird, without a newline');
    await expect(stat(path.join(own, 'models.json'))).rejects.toThrow(/ENOENT/);
    // Records of another pool (mix): refused, not counted as already recorded.
    const mixLine = (
      await readFile(path.join(repositoryRoot, '..', 'shared', 'datasets', 'mix', 'train.jsonl'), 'utf8')
    ).split('\n')[0] as string;
    const other = path.join(own, 'other.jsonl');
    await writeFile(other, `${mixLine}\n`);
    result = await record(other);
    expect([result.code, result.stderr]).toEqual([
      2,
      expect.stringMatching(/its responses are from .*gpt-4o.*not this pool/),
    ]);
    // The input as the output; a folder that does not exist.
    result = await record(input);
    expect([result.code, result.stderr]).toEqual([2, expect.stringMatching(/is the --input file/)]);
    result = await record(path.join(own, 'missing', 'out.jsonl'));
    expect([result.code, result.stderr]).toEqual([2, expect.stringMatching(/the folder .*missing does not exist/)]);
    // Budgets outside what the ledger stores (1e21 used to become $100; 1e9 crashed; 1e-13 became 0).
    for (const budget of ['1e21', '1e9', '1e-13']) {
      result = await record(path.join(own, 'out.jsonl'), '--max-cost-usd', budget);
      expect(result.code, budget).not.toBe(0);
      expect(result.stderr, budget).toMatch(/--max-cost-usd must be/);
    }
    // Bytes that are not UTF-8 would be paid for as U+FFFD.
    const latin1 = path.join(own, 'latin1.jsonl');
    await writeFile(
      latin1,
      Buffer.concat([Buffer.from('{"prompt": "caf'), Buffer.from([0xe9]), Buffer.from('?", "reference": "x"}\n')]),
    );
    result = await cli(['record', '--input', latin1, '--out', path.join(own, 'out.jsonl'), '--references'], env);
    expect([result.code, result.stderr]).toEqual([2, expect.stringMatching(/is not valid UTF-8/)]);
    // A bad default budget in the environment stops record before any database is made or migrated.
    const missing = `sy_record_never_${randomBytes(4).toString('hex')}`;
    result = await cli(['record', '--input', input, '--out', path.join(own, 'out.jsonl'), '--references'], {
      ...env,
      DATABASE_URL: database.url.replace(/\/[^/?]+(\?|$)/, `/${missing}$1`),
      SWITCHYARD_DEFAULT_MAX_COST_USD: '5000',
    });
    expect([result.code, result.stderr.trim()]).toEqual([
      2,
      expect.stringMatching(/^error: environment variable SWITCHYARD_DEFAULT_MAX_COST_USD: .*<=1000/),
    ]);
    expect(await sql(database.url, 'SELECT datname FROM pg_database WHERE datname = $1', [missing])).toEqual([]);
    expect(await sql(database.url, 'SELECT id FROM queries')).toEqual([]);
  });

  it('records every prompt on every pool model, graded against its reference, at the cost the ledger charged', async () => {
    const out = path.join(folder, 'out.jsonl');
    const result = await cli(
      ['record', '--input', path.join(folder, 'prompts.jsonl'), '--out', out, '--references'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/recorded 24 prompt\(s\)/);
    const lines = await readLines(out);
    expect(lines).toHaveLength(24);
    const pool = JSON.parse(await readFile(path.join(folder, 'models.json'), 'utf8')).map((m: { id: string }) => m.id);
    expect(pool).toEqual(['sim-small', 'sim-medium', 'sim-large', 'sim-frontier']);
    let wrong = 0;
    for (const line of lines) {
      const input = prompts.find((prompt) => prompt.prompt === line.prompt);
      expect(input).toBeDefined();
      expect(line.reference).toBe(input?.reference);
      expect(line.answerType).toBe('number');
      expect(line.provenance.labels).toBe('reference');
      expect(Object.keys(line.responses)).toEqual(pool);
      for (const response of Object.values(line.responses)) {
        expect(response.correct).toBe(response.answer === input?.reference);
        expect(response.label).toBe('reference');
        if (!response.correct) wrong += 1;
      }
    }
    // The simulated models' skills (0.55 … 0.95) make some answers wrong: the labels carry information.
    expect(wrong).toBeGreaterThan(5);
    // The ledger is the one source of cost: each line's costs are its query's attempts, every one charged.
    const queries = await sql<{ id: string; total: string; answers: string; plan_router: string }>(
      database.url,
      `SELECT q.id, q.total_cost_usd::text AS total, q.plan->>'router' AS plan_router,
              (SELECT count(*) FROM attempts a WHERE a.query_id = q.id AND a.role = 'answer' AND a.outcome = 'succeeded')::text AS answers
       FROM queries q`,
    );
    expect(queries).toHaveLength(24);
    for (const line of lines) {
      const query = queries.find((row) => row.id === line.provenance.queryId);
      expect(query).toMatchObject({ answers: '4', plan_router: 'record' });
      expect(lineCostPicoUsd(line)).toBe(picoUsd(query?.total ?? null));
    }
  });

  it('resumes without paying twice: lines already written are skipped, the others reuse their queries', async () => {
    const out = path.join(folder, 'out.jsonl');
    const before = await sql<{ n: string; total: string }>(
      database.url,
      'SELECT count(*)::text AS n, sum(cost_usd)::text AS total FROM attempts',
    );
    const kept = (await readFile(out, 'utf8')).split('\n').slice(0, 10);
    // The 11th line cut short, as by an interrupted write.
    await writeFile(out, `${kept.join('\n')}\n{"id": "prompt-`);
    const result = await cli(
      ['record', '--input', path.join(folder, 'prompts.jsonl'), '--out', out, '--references'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/incomplete line/);
    expect(result.stdout).toMatch(
      /recorded 14 prompt\(s\).*\(14 reused .*10 were already in the file\).*paid by this run \$0,/,
    );
    expect(new Set((await readLines(out)).map((line) => line.id)).size).toBe(24);
    const after = await sql<{ n: string; total: string }>(
      database.url,
      'SELECT count(*)::text AS n, sum(cost_usd)::text AS total FROM attempts',
    );
    expect(after).toEqual(before);
  });

  it('trains the same router from the recorded file and from the ledger, and evaluates on the file', async () => {
    const out = path.join(folder, 'out.jsonl');
    // Lines are written as their queries finish; training depends on record order, so train on them in
    // input order, the order the ledger's records come in.
    const inputOrder = (await readLines(out)).sort(
      (a, b) =>
        prompts.findIndex((prompt) => prompt.prompt === a.prompt) -
        prompts.findIndex((prompt) => prompt.prompt === b.prompt),
    );
    const ordered = path.join(folder, 'ordered', 'train.jsonl');
    await mkdir(path.dirname(ordered));
    await writeFile(ordered, `${inputOrder.map((line) => JSON.stringify(line)).join('\n')}\n`);
    await copyFile(path.join(folder, 'models.json'), path.join(folder, 'ordered', 'models.json'));
    const fromFile = await cli(['router', 'train', '--train', ordered], env);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const fromLedger = await cli(['router', 'train', '--from-ledger', '--activate'], env);
    expect(fromLedger.code, fromLedger.stderr).toBe(0);
    expect(fromLedger.stderr).toMatch(/24 usable of 24 completed queries.*labels: reference 24/);
    expect(fromLedger.stdout).toMatch(/trained on 24 ledger queries/);
    const [file, ledger] = await storedArtifacts(database.url);
    expect(file?.source).toMatch(/train\.jsonl sha256:/);
    expect(ledger?.source).toMatch(/^ledger: 24 queries sha256:/);
    expect(file?.records).toBe(24);
    expect(ledger?.records).toBe(24);
    // Same records, same ids (so the same folds): the same router.
    expect(ledger?.rest).toEqual(file?.rest);

    const evalOut = path.join(folder, 'eval');
    const evaluated = await cli(['eval', '--train', out, '--cv', '3', '--qualities', '0,1', '--out', evalOut], env);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(await readFile(path.join(evalOut, 'report.json'), 'utf8')) as {
      systems: { name: string; accuracy: number; n?: number }[];
    };
    const single = report.systems.find((system) => system.name === 'sim-frontier');
    expect(single?.accuracy).toBeGreaterThan(0.5);
    expect(report.systems.some((system) => system.name.startsWith('switchyard'))).toBe(true);
  });

  it('names what it found and what it needs when the ledger has too little to train on', async () => {
    const result = await cli(
      ['router', 'train', '--from-ledger', '--since', '2020-01-01', '--pool', 'sim-small,sim-huge'],
      env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /0 usable queries in the ledger \(every pool model — sim-small, sim-huge, from --pool — answered.*training needs at least 10\. Of 24 completed queries since 2020-01-01T00:00:00\.000Z, 24 lack an answer of some pool model/,
    );
  });
});

describe('record after a failure: a failed query is made again, not reused', () => {
  let database: TestDatabase;
  const prefix = `sy_record_retry_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    await database?.drop();
    await removeRedisKeys(redisUrl, [prefix, `${prefix}-record`]);
  });

  it('names the key’s monthly budget as what ran out, and records the prompts once it is raised', async () => {
    database = await createTestDatabase({ prefix: 'sy_record_retry' });
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-record-retry-'));
    const env = {
      DATABASE_URL: database.url,
      SWITCHYARD_QUEUE_PREFIX: prefix,
      SWITCHYARD_SIM_LATENCY_MS: '0',
    };
    const prisma = createPrismaClient({ databaseUrl: database.url });
    await createApiKey(prisma, { name: 'tiny', monthlyBudgetUsd: '0.0000005' }).finally(() => prisma.$disconnect());
    const input = path.join(folder, 'prompts.jsonl');
    await writeFile(
      input,
      `${[1, 2, 3].map((n) => JSON.stringify({ prompt: `What is ${n} + ${n}?`, reference: String(2 * n) })).join('\n')}\n`,
    );
    const out = path.join(folder, 'out.jsonl');
    const args = ['record', '--input', input, '--out', out, '--references', '--key', 'tiny', '--max-cost-usd', '0.05'];
    const first = await cli(args, env);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/recorded 0 prompt\(s\)/);
    expect(first.stderr).toMatch(/key tiny's monthly budget has \$[\d.]+ left/);
    expect(first.stderr).not.toMatch(/raise --max-cost-usd/);
    await sql(database.url, `UPDATE api_keys SET monthly_budget_usd = 10 WHERE name = 'tiny'`);
    const second = await cli(args, env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/recorded 3 prompt\(s\) .*\(0 reused/);
    expect(await readLines(out)).toHaveLength(3);
    // The failed queries stay in the ledger as they were; each prompt has one completed recording.
    const rows = await sql<{ status: string; n: string }>(
      database.url,
      'SELECT status::text, count(*)::text AS n FROM queries GROUP BY status ORDER BY status',
    );
    expect(rows).toEqual([
      { status: 'completed', n: '3' },
      { status: 'failed', n: '3' },
    ]);
  });
});

describe('record → router train → eval on the OpenAI/Anthropic wire fakes (LLM judge labels, feedback)', () => {
  let fakes: JudgeFakes;
  let stack: Stack;
  let folder: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    fakes = await startJudgeFakes();
    folder = await mkdtemp(path.join(tmpdir(), 'sy-record-wire-'));
    const modelsFile = path.join(folder, 'registry.json');
    await writeFile(
      modelsFile,
      JSON.stringify({
        models: [
          {
            id: 'small',
            provider: 'openai',
            model: 'small-model',
            baseURL: `${fakes.openai.url}/v1`,
            inputUsdPerMTok: 1,
            outputUsdPerMTok: 2,
            maxOutputTokens: 256,
            tier: 1,
          },
          {
            id: 'large',
            provider: 'anthropic',
            model: 'large-model',
            baseURL: fakes.anthropic.url,
            apiKeyEnv: 'FAKE_ANTHROPIC_KEY',
            inputUsdPerMTok: 3,
            outputUsdPerMTok: 15,
            maxOutputTokens: 512,
            tier: 2,
          },
          {
            id: 'judge-gpt',
            provider: 'openai',
            model: 'gpt-4o-mini',
            baseURL: `${fakes.openai.url}/v1`,
            inputUsdPerMTok: 0.15,
            outputUsdPerMTok: 0.6,
            roles: ['judge'],
          },
          {
            id: 'judge-claude',
            provider: 'anthropic',
            model: 'judge-claude',
            baseURL: fakes.anthropic.url,
            apiKeyEnv: 'FAKE_ANTHROPIC_KEY',
            inputUsdPerMTok: 0.8,
            outputUsdPerMTok: 4,
            roles: ['judge'],
          },
        ],
      }),
    );
    const models = { SWITCHYARD_MODELS: modelsFile, FAKE_ANTHROPIC_KEY: 'sk-ant-fake', OPENAI_API_KEY: 'sk-fake' };
    // The API only (feedback); `record` starts its own workers.
    stack = await startStack(models, { worker: false });
    env = { ...models, DATABASE_URL: stack.database.url, SWITCHYARD_QUEUE_PREFIX: stack.prefix };
    // Both judges fail the small model's answer on every third prompt.
    const lines = Array.from({ length: 32 }, (_, index) => ({
      id: `wire-${index}`,
      prompt:
        index % 3 === 0
          ? `Summarise item ${index}. [judge:judge-gpt=fail@small-model] [judge:judge-claude=fail@small-model]`
          : `Summarise item ${index}.`,
      category: index % 2 === 0 ? 'summary' : 'rewrite',
      answerType: 'literal',
    }));
    await writeFile(path.join(folder, 'prompts.jsonl'), `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
  });
  afterAll(async () => {
    await stack?.stop();
    await fakes?.close();
  });

  it('records both models, labelled by the judge panel, as queries of the key that only that key can see', async () => {
    const out = path.join(folder, 'out.jsonl');
    const result = await cli(
      ['record', '--input', path.join(folder, 'prompts.jsonl'), '--out', out, '--key', 'e2e', '--max-cost-usd', '0.5'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/judges judge-gpt, judge-claude/);
    const lines = await readLines(out);
    expect(lines).toHaveLength(32);
    for (const line of lines) {
      const failed = line.prompt.includes('[judge:');
      expect(line.provenance.labels).toBe('llm-judges');
      expect(line.reference).toBe('');
      expect(line.responses.small).toMatchObject({ correct: !failed, label: 'llm-judges' });
      expect(line.responses.large).toMatchObject({ correct: true, label: 'llm-judges' });
      expect(Object.keys(line.responses.small?.judges ?? {}).sort()).toEqual(['judge-claude', 'judge-gpt']);
      expect(line.responses.small?.text).toMatch(/^Answer by small-model/);

      const view = await stack.get(`/v1/queries/${line.provenance.queryId}`);
      expect(view.status).toBe(200);
      // Two answers and two verdicts on each: every call is in the ledger, and the line's costs are its.
      const attempts = view.body.attempts as { role: string; costUsd: string }[];
      expect(attempts.filter((attempt) => attempt.role === 'answer')).toHaveLength(2);
      expect(attempts.filter((attempt) => attempt.role === 'judge')).toHaveLength(4);
      expect(lineCostPicoUsd(line)).toBe(picoUsd(view.body.costUsd as string));
    }
    // Another tenant's key does not see the recording's queries.
    const prisma = createPrismaClient({ databaseUrl: stack.database.url, maxConnections: 1 });
    const { key: otherKey } = await createApiKey(prisma, { name: 'other' }).finally(() => prisma.$disconnect());
    const other = await stack.get(`/v1/queries/${lines[0]?.provenance.queryId}`, {
      authorization: `Bearer ${otherKey}`,
    });
    expect(other.status).toBe(404);
    // The requests really went over the wire: 32 prompts × (2 answers + 4 verdicts).
    expect(fakes.calls.filter((call) => call.status === 200)).toHaveLength(192);
  });

  it('trains from the ledger with feedback overriding the judges, and evaluates on the recorded file', async () => {
    const out = path.join(folder, 'out.jsonl');
    const [first] = await readLines(out);
    const queryId = first?.provenance.queryId as string;
    const feedback = await stack.post(`/v1/queries/${queryId}/feedback`, { correct: false });
    expect(feedback.status).toBe(200);
    const [{ answer_model: answerModel } = { answer_model: '' }] = await sql<{ answer_model: string }>(
      stack.database.url,
      'SELECT answer_model FROM queries WHERE id = $1',
      [queryId],
    );
    expect(answerModel).toBe('large');

    const trained = await cli(['router', 'train', '--from-ledger', '--key', 'e2e', '--router', 'taxonomy'], env);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/32 usable of 32 completed queries.*labels: llm-judges 32, feedback 1/);

    const evalOut = path.join(folder, 'eval');
    const evaluated = await cli(['eval', '--train', out, '--cv', '2', '--qualities', '0.5', '--out', evalOut], env);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(await readFile(path.join(evalOut, 'report.json'), 'utf8')) as {
      systems: { name: string; accuracy: number }[];
    };
    expect(report.systems.find((system) => system.name === 'small')?.accuracy).toBeCloseTo(21 / 32, 5);
    expect(report.systems.find((system) => system.name === 'large')?.accuracy).toBe(1);
  });
});
