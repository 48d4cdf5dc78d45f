import { activateRouterArtifact, createPrismaClient, saveRouterArtifact } from '@switchyard/db';
import { createTrainingContext, type TrainingRecord, trainSwitchyard, trainTaxonomy } from '@switchyard/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixDirectory, type RecordLine, readMixRecords } from './support/mix-records.js';
import { type QueryResult, type Stack, startStack } from './support/stack.js';

const datasetDirectory = mixDirectory;
const records: RecordLine[] = readMixRecords().slice(0, 400);

/** USD string sum in integer pico-dollars, so the comparison has no float drift. */
function picoUsd(value: string | number): bigint {
  const [whole = '0', fraction = ''] = (typeof value === 'number' ? value.toFixed(12) : value).split('.');
  return BigInt(whole) * 10n ** 12n + BigInt(fraction.padEnd(12, '0').slice(0, 12));
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ SWITCHYARD_REPLAY: datasetDirectory, SWITCHYARD_ROUTER_REFRESH_MS: '0' });
});
afterAll(async () => {
  await stack?.stop();
});

describe('a query travels API → route → cascade → ledger on the replay provider', () => {
  it('answers with a recorded response, one attempt per call, cost = sum of attempts = sum of recordings', async () => {
    const sample = [records[0], records[57], records[123], records[301]].filter((record) => record !== undefined);
    const submitted = await Promise.all(
      sample.map(async (record) => {
        const response = await stack.post('/v1/queries', {
          prompt: record.prompt,
          metadata: { answerType: record.answerType, recordId: record.id },
        });
        expect(response.status).toBe(202);
        return { record, id: response.body.id as string };
      }),
    );
    for (const { record, id } of submitted) {
      const query = await stack.waitForQuery(id);
      expect(query.status, JSON.stringify(query.error)).toBe('completed');
      expect(query.model).toBeDefined();
      const answerModel = query.model as string;
      expect(query.answer).toBe(record.responses[answerModel]?.text);

      const calls = query.attempts.map((attempt) => `${attempt.stage}/${attempt.role}/${attempt.slot}`);
      expect(new Set(calls).size).toBe(calls.length);
      const models = query.attempts.map((attempt) => attempt.model);
      expect(new Set(models).size, 'no model is paid twice for one query').toBe(models.length);
      expect(query.attempts.every((attempt) => attempt.outcome === 'succeeded')).toBe(true);
      expect(models).toContain(answerModel);

      let attemptSum = 0n;
      let recordedSum = 0n;
      for (const attempt of query.attempts) {
        const recorded = record.responses[attempt.model];
        expect(recorded, `recording of ${attempt.model}`).toBeDefined();
        expect(picoUsd(attempt.costUsd ?? '0')).toBe(picoUsd(recorded?.costUsd ?? 0));
        attemptSum += picoUsd(attempt.costUsd ?? '0');
        recordedSum += picoUsd(recorded?.costUsd ?? 0);
      }
      expect(picoUsd(query.costUsd)).toBe(attemptSum);
      expect(attemptSum).toBe(recordedSum);
    }
  });

  it('escalates past a first model whose answer the judges do not trust', async () => {
    const [first, second, third] = ['gemini-1.5-flash', 'llama-3.1-8b-instruct', 'llama-3.1-70b-instruct'];
    const record = records.find((candidate) => {
      const [a, b, c] = [first, second, third].map((model) => candidate.responses[model as string]?.answer ?? null);
      if (candidate.answerType !== 'number' || a === null || b === null || c === null) return false;
      const [x, y, z] = [a, b, c].map(Number);
      return Number.isFinite(x) && Number.isFinite(y) && y === z && x !== y;
    });
    expect(record, 'a record where the cheapest model disagrees with the next two').toBeDefined();
    if (!record) return;
    const response = await stack.post('/v1/queries', {
      prompt: record.prompt,
      metadata: { answerType: record.answerType },
    });
    const query = (await stack.waitForQuery(response.body.id as string)) as QueryResult & {
      stages: { model: string; verdict: { decision: string } | null }[];
    };
    expect(query.status).toBe('completed');
    expect(query.stages[0]?.verdict?.decision).toBe('escalate');
    expect(query.model).not.toBe(first);
    expect(query.answer).toBe(record.responses[query.model as string]?.text);
  });

  it('creates one query for the same Idempotency-Key, and refuses the key with another body', async () => {
    const record = records[5] as RecordLine;
    const body = { prompt: record.prompt, metadata: { answerType: record.answerType } };
    const key = `test-${Date.now()}`;
    const first = await stack.post('/v1/queries', body, { 'idempotency-key': key });
    const second = await stack.post('/v1/queries', body, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    const conflict = await stack.post('/v1/queries', { ...body, quality: 1 }, { 'idempotency-key': key });
    expect(conflict.status).toBe(409);
    expect((conflict.body.error as { code: string }).code).toBe('idempotency_key_reused');
    await stack.waitForQuery(first.body.id as string);
  });

  it('rejects bad bodies with a machine-readable code and the offending field', async () => {
    const empty = await stack.post('/v1/queries', { prompt: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'prompt' } });
    const knob = await stack.post('/v1/queries', { prompt: 'x', quality: 2 });
    expect(knob.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'quality' } });
    const unknown = await stack.post('/v1/queries', { prompt: 'x', temperature: 1 });
    expect(unknown.status).toBe(400);
    const malformed = await fetch(`${stack.apiUrl}/v1/queries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.auth },
      body: '{"prompt":',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    const huge = await stack.post('/v1/queries', { prompt: 'x'.repeat(3_000_000) });
    expect(huge.status).toBe(413);
    const missing = await fetch(`${stack.apiUrl}/v1/queries/00000000-0000-0000-0000-000000000000`, {
      headers: stack.auth,
    });
    expect(missing.status).toBe(404);
  });

  it('routes with a stored router artifact: by id, as the active default, and "fixed" on request', async () => {
    const pool = ['gemini-1.5-flash', 'llama-3.1-8b-instruct', 'llama-3.1-70b-instruct', 'gemini-1.5-pro', 'gpt-4o'];
    // A real (small) trained router: the first 300 records, with their dataset labels.
    const context = createTrainingContext(readMixRecords().slice(0, 300) as unknown as TrainingRecord[], pool, {
      trainFile: 'mix (first 300 records)',
    });
    const artifact = trainSwitchyard(context).artifact;
    const taxonomy = trainTaxonomy(context);
    const prisma = createPrismaClient({ databaseUrl: stack.database.url });
    try {
      const stored = await saveRouterArtifact(prisma, { kind: 'switchyard', data: artifact as object });
      const storedTaxonomy = await saveRouterArtifact(prisma, { kind: 'switchyard', data: taxonomy as object });
      const record = records[309] as RecordLine;
      const body = { prompt: record.prompt, metadata: { recordId: record.id } };
      const planOf = async (extra: object) => {
        const response = await stack.post('/v1/queries', { ...body, ...extra });
        expect(response.status, JSON.stringify(response.body)).toBe(202);
        const query = (await stack.waitForQuery(response.body.id as string)) as {
          status: string;
          plan?: { router: string; artifactId?: string; setting?: string };
        };
        expect(query.status).toBe('completed');
        return query.plan;
      };
      const trainedRouters = ['learned-cascade', 'switchyard-policy', 'learned'];
      const byId = await planOf({ router: stored.id });
      expect(trainedRouters).toContain(byId?.router);
      expect(byId?.artifactId).toBe(stored.id);
      // The default knob is match: the artifact's cross-validated match setting.
      expect(byId?.setting).toMatch(/^match/);
      expect(await planOf({ router: storedTaxonomy.id })).toMatchObject({
        router: 'taxonomy',
        artifactId: storedTaxonomy.id,
      });
      expect((await planOf({}))?.router).toBe('fixed');
      await activateRouterArtifact(prisma, stored.id);
      expect(await planOf({})).toMatchObject({ artifactId: stored.id });
      expect((await planOf({ quality: 0 }))?.setting).toMatch(/^quality=0:/);
      expect((await planOf({ router: 'fixed' }))?.router).toBe('fixed');

      const unknown = await stack.post('/v1/queries', {
        ...body,
        router: '00000000-0000-4000-8000-000000000000',
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toMatchObject({ code: 'unknown_router', details: { field: 'router' } });
      const malformed = await stack.post('/v1/queries', { ...body, router: 'best' });
      expect(malformed.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'router' } });
    } finally {
      // Later tests expect the fixed router.
      await prisma.routerArtifact.updateMany({ data: { active: false } });
      await prisma.$disconnect();
    }
  });
});
