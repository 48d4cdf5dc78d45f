import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRateLimiter } from '@switchyard/auth';
import {
  createApiKey,
  createFileStore,
  createPrismaClient,
  type FileStore,
  type PrismaClient,
  revokeApiKey,
} from '@switchyard/db';
import { createTestDatabase, type TestDatabase } from '@switchyard/db/testing';
import { createQueues, createRedisConnection, type Queues } from '@switchyard/queues';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adminToken = randomBytes(16).toString('hex');
const silent = { info() {}, warn() {}, error() {} };

let database: TestDatabase;
let prisma: PrismaClient;
let queues: Queues;
let limiterRedis: Redis;
let files: FileStore;
const servers: Server[] = [];

async function serve(options: { operatorToken?: string; dashboardWrite?: boolean } = {}): Promise<string> {
  const app = createApp({
    prisma,
    queues,
    files,
    maxFileBytes: 1 << 20,
    chatTimeoutMs: 1_000,
    rateLimiter: createRateLimiter(limiterRedis, { keyPrefix: queues.settings.prefix }),
    allowPrivateCallbacks: false,
    bodyLimit: '64kb',
    defaultMaxCostUsd: 0.25,
    ...options,
    logger: silent,
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let api: string;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_api' });
  prisma = createPrismaClient({ databaseUrl: database.url });
  files = createFileStore({ databaseUrl: database.url, maxConnections: 2 });
  queues = createQueues({ redisUrl, prefix: `sy_api_${randomBytes(4).toString('hex')}` });
  limiterRedis = createRedisConnection(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  api = await serve({ operatorToken: adminToken });
  keyA = (await createApiKey(prisma, { name: 'a' })).key;
  keyB = (await createApiKey(prisma, { name: 'b' })).key;
});
afterAll(async () => {
  for (const server of servers) server.close();
  const keys = await limiterRedis.keys(`${queues.settings.prefix}:*`).catch(() => []);
  await queues.route.obliterate({ force: true }).catch(() => {});
  if (keys.length > 0) await limiterRedis.del(...keys);
  await queues.close();
  limiterRedis.disconnect();
  await files.close();
  await prisma.$disconnect();
  await database.drop();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const json = { 'content-type': 'application/json' };

async function call(path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  const response = await fetch(`${api}${path}`, init);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body };
}

const submit = (key: string, body: unknown, headers: Record<string, string> = {}) =>
  call('/v1/queries', { method: 'POST', headers: { ...json, ...bearer(key), ...headers }, body: JSON.stringify(body) });
const errorCode = (result: { body: Record<string, unknown> }) => (result.body.error as { code?: string })?.code;

describe('API keys on /v1', () => {
  it('answers 401 without a key, with an unknown, malformed or revoked key, before reading the body', async () => {
    const none = await call('/v1/queries', { method: 'POST', headers: json, body: '{"prompt":"x"}' });
    expect(none.status).toBe(401);
    expect(errorCode(none)).toBe('missing_api_key');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const unknown = await submit(`sy_${'x'.repeat(43)}`, { prompt: 'x' });
    expect([unknown.status, errorCode(unknown)]).toEqual([401, 'invalid_api_key']);
    const malformed = await call('/v1/queries/00000000-0000-0000-0000-000000000000', {
      headers: { authorization: 'Token abc' },
    });
    expect([malformed.status, errorCode(malformed)]).toEqual([401, 'invalid_authorization']);
    // A body that is not even JSON still gets 401, not 400: nothing is read before the key is checked.
    const unread = await call('/v1/queries', { method: 'POST', headers: json, body: '{not json' });
    expect(unread.status).toBe(401);

    const { key } = await createApiKey(prisma, { name: 'to-revoke' });
    expect((await submit(key, { prompt: 'x' })).status).toBe(202);
    await revokeApiKey(prisma, 'to-revoke');
    const revoked = await submit(key, { prompt: 'x' });
    expect([revoked.status, errorCode(revoked)]).toEqual([401, 'api_key_revoked']);
  });

  it('shows a key only its own queries: another key’s id is 404 exactly like an unknown id', async () => {
    const created = await submit(keyA, { prompt: 'What is 2 + 2?', callbackUrl: 'https://93.184.216.34/hook' });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const id = created.body.id as string;
    const own = await call(`/v1/queries/${id}`, { headers: bearer(keyA) });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id, callbackUrl: 'https://93.184.216.34/hook', maxCostUsd: '0.25' });

    const foreign = await call(`/v1/queries/${id}`, { headers: bearer(keyB) });
    const unknownId = '7d9c1a64-3b1f-4c52-9a5e-2f6b8d0e4c11';
    const unknown = await call(`/v1/queries/${unknownId}`, { headers: bearer(keyB) });
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body).replace(id, '<id>')).toBe(
      JSON.stringify(unknown.body).replace(unknownId, '<id>'),
    );
  });

  it('scopes Idempotency-Key per key: the same key under two API keys makes two queries and reveals nothing', async () => {
    const body = { prompt: 'idempotent prompt' };
    const a1 = await submit(keyA, body, { 'idempotency-key': 'shared-1' });
    const a2 = await submit(keyA, body, { 'idempotency-key': 'shared-1' });
    const b1 = await submit(keyB, { prompt: 'another body entirely' }, { 'idempotency-key': 'shared-1' });
    expect([a1.status, a2.status, b1.status]).toEqual([202, 202, 202]);
    expect(a2.body.id).toBe(a1.body.id);
    expect(b1.body.id).not.toBe(a1.body.id);
    expect(JSON.stringify(b1.body)).not.toContain(a1.body.id as string);
    const conflict = await submit(keyA, { prompt: 'different' }, { 'idempotency-key': 'shared-1' });
    expect([conflict.status, errorCode(conflict)]).toEqual([409, 'idempotency_key_reused']);
  });

  it('limits a key to its requests per minute with 429 and retry-after; other keys are unaffected', async () => {
    const { key } = await createApiKey(prisma, { name: 'limited', rpm: 3 });
    const statuses = [];
    for (let index = 0; index < 3; index += 1)
      statuses.push((await call('/v1/queries/x', { headers: bearer(key) })).status);
    expect(statuses).toEqual([400, 400, 400]);
    const limited = await call('/v1/queries/x', { headers: bearer(key) });
    expect([limited.status, errorCode(limited)]).toEqual([429, 'rate_limited']);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await call('/v1/queries/x', { headers: bearer(keyA) })).status).toBe(400);
  });

  it('refuses a query with 402 once the key’s monthly budget is used up, before anything is enqueued', async () => {
    const { key, summary } = await createApiKey(prisma, { name: 'spent', monthlyBudgetUsd: '0.5' });
    await prisma.apiKeyUsage.create({
      data: {
        apiKeyId: summary.id,
        month: new Date(`${new Date().toISOString().slice(0, 7)}-01T00:00:00Z`),
        spentUsd: '0.5',
      },
    });
    const before = await prisma.query.count();
    const refused = await submit(key, { prompt: 'x' });
    expect([refused.status, errorCode(refused)]).toEqual([402, 'key_budget_exhausted']);
    expect(await prisma.query.count()).toBe(before);
  });
});

describe('bad input answers 4xx with a code, and the server stays healthy', () => {
  it.each([
    [
      'charset latin1',
      { 'content-type': 'application/json; charset=latin1' },
      '{"prompt":"x"}',
      415,
      'unsupported_charset',
    ],
    ['no content-type', {}, '{"prompt":"x"}', 415, 'unsupported_media_type'],
    ['text/plain', { 'content-type': 'text/plain' }, '{"prompt":"x"}', 415, 'unsupported_media_type'],
    [
      'form encoding',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'prompt=x',
      415,
      'unsupported_media_type',
    ],
    ['a whitespace-only prompt', json, '{"prompt":" \\n\\t "}', 400, 'invalid_request'],
    ['an unknown answerType', json, '{"prompt":"x","metadata":{"answerType":"bogus"}}', 400, 'invalid_request'],
    [
      'an unknown judgeTask (was stored and ignored)',
      json,
      '{"prompt":"x","metadata":{"judgeTask":"bogus"}}',
      400,
      'invalid_request',
    ],
    ['a budget below the ledger precision', json, '{"prompt":"x","maxCostUsd":1e-30}', 400, 'invalid_request'],
    ['a negative budget', json, '{"prompt":"x","maxCostUsd":-1}', 400, 'invalid_request'],
    ['an array body', json, '[1,2]', 400, 'invalid_request'],
    ['an unknown knob preset', json, '{"prompt":"x","quality":"cheapest"}', 400, 'invalid_request'],
    [
      'both quality and targetCostUsd',
      json,
      '{"prompt":"x","quality":0.5,"targetCostUsd":0.01}',
      400,
      'invalid_request',
    ],
    ['a negative target cost', json, '{"prompt":"x","targetCostUsd":-0.01}', 400, 'invalid_request'],
    ['a body past the limit', json, JSON.stringify({ prompt: 'x'.repeat(70_000) }), 413, 'body_too_large'],
    ['broken JSON', json, '{"prompt":', 400, 'invalid_json'],
    ['a NUL character in the prompt', json, '{"prompt":"a\\u0000b"}', 400, 'invalid_request'],
    ['a NUL character in metadata', json, '{"prompt":"a","metadata":{"note":"x\\u0000"}}', 400, 'invalid_request'],
    ['a NUL character in a metadata key', json, '{"prompt":"a","metadata":{"k\\u0000":1}}', 400, 'invalid_request'],
    ['a lone surrogate (not Unicode text)', json, '{"prompt":"x \\ud800 y"}', 400, 'invalid_request'],
    [
      'metadata nested 3,000 levels deep (used to overflow the stack: 500)',
      json,
      `{"prompt":"x","metadata":{"a":${'['.repeat(3000)}${']'.repeat(3000)}}}`,
      400,
      'invalid_request',
    ],
  ])('%s', async (_name, headers, body, status, code) => {
    const result = await call('/v1/queries', { method: 'POST', headers: { ...headers, ...bearer(keyA) }, body });
    expect([result.status, errorCode(result)]).toEqual([status, code]);
  });

  it('says a JSON body that is not an object must be one, and refuses bytes that are not UTF-8', async () => {
    for (const body of ['"a prompt"', '42', 'null', 'true']) {
      const result = await call('/v1/queries', { method: 'POST', headers: { ...json, ...bearer(keyA) }, body });
      expect([result.status, errorCode(result)], body).toEqual([400, 'invalid_json']);
      expect((result.body.error as { message: string }).message).toBe('request body must be a JSON object');
    }
    const broken = await call('/v1/queries', { method: 'POST', headers: { ...json, ...bearer(keyA) }, body: '{"a"' });
    expect((broken.body.error as { message: string }).message).toBe('request body is not valid JSON');
    // "café" in Latin-1: the é byte alone is not UTF-8; it used to be stored as U+FFFD.
    const latin1 = Buffer.concat([Buffer.from('{"prompt":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const before = await prisma.query.count();
    const result = await call('/v1/queries', { method: 'POST', headers: { ...json, ...bearer(keyA) }, body: latin1 });
    expect([result.status, errorCode(result)]).toEqual([400, 'invalid_utf8']);
    expect(await prisma.query.count()).toBe(before);
  });

  it('a malformed percent-encoded id is 400, and the server still answers', async () => {
    const result = await call('/v1/queries/%E0%A4%A', { headers: bearer(keyA) });
    expect([result.status, errorCode(result)]).toEqual([400, 'invalid_path']);
    const notUuid = await call('/v1/queries/not-a-uuid', { headers: bearer(keyA) });
    expect([notUuid.status, errorCode(notUuid)]).toEqual([400, 'invalid_id']);
    expect((await call('/healthz')).status).toBe(200);
  });

  it('takes __proto__ in metadata as plain data', async () => {
    const polluting = await call('/v1/queries', {
      method: 'POST',
      headers: { ...json, ...bearer(keyA) },
      body: '{"prompt":"x","metadata":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}',
    });
    expect(polluting.status).toBe(202);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await call(`/v1/queries/${polluting.body.id}`, { headers: bearer(keyA) })).status).toBe(200);
  });

  it('stores a knob preset or a target cost with the query for the planner', async () => {
    const preset = await submit(keyA, { prompt: 'x', quality: 'economy' });
    const target = await submit(keyA, { prompt: 'y', targetCostUsd: 0.002 });
    expect([preset.status, target.status]).toEqual([202, 202]);
    const rows = await prisma.query.findMany({
      where: { id: { in: [preset.body.id as string, target.body.id as string] } },
    });
    expect(rows.map((row) => row.options).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { quality: 'economy' },
      { targetCostUsd: 0.002 },
    ]);
  });

  it('stores the smallest budget rounded down, never up', async () => {
    const created = await submit(keyA, { prompt: 'x', maxCostUsd: 1.9e-12 });
    expect(created.status).toBe(202);
    const row = await prisma.query.findUniqueOrThrow({ where: { id: created.body.id as string } });
    expect(row.maxCostUsd?.toFixed()).toBe('0.000000000001');
  });
});

describe('GET /v1/models', () => {
  it('lists switchyard, its presets and the models the workers serve; retrieves one by id; 404s an unknown one', async () => {
    expect((await call('/v1/models')).status, 'authenticated like every /v1 route').toBe(401);
    await queues.configureCallQueues([
      { id: 'gpt-4o', concurrency: null, rpm: null, tpm: null },
      { id: 'meta/llama-3-70b', concurrency: 4, rpm: null, tpm: null },
    ]);
    const list = await call('/v1/models', { headers: bearer(keyA) });
    expect(list.status).toBe(200);
    expect(list.body.object).toBe('list');
    const data = list.body.data as { id: string; object: string; created: number; owned_by: string }[];
    expect(data.map((model) => model.id)).toEqual([
      'switchyard',
      'switchyard/economy',
      'switchyard/balanced',
      'switchyard/match',
      'switchyard/max',
      'gpt-4o',
      'meta/llama-3-70b',
    ]);
    for (const model of data) {
      expect(model.object).toBe('model');
      expect(model.created).toBeGreaterThan(1_700_000_000);
    }
    expect(data.find((model) => model.id === 'gpt-4o')?.owned_by).toBe('pool');

    // A worker started later does not move the date a model was first served.
    const created = data.find((model) => model.id === 'gpt-4o')?.created;
    await queues.configureCallQueues([{ id: 'gpt-4o', concurrency: 2, rpm: null, tpm: null }]);
    const one = await call('/v1/models/gpt-4o', { headers: bearer(keyB) });
    expect(one).toMatchObject({ status: 200, body: { id: 'gpt-4o', object: 'model', created } });
    // Ids with a slash: encoded (what the SDKs send) or not.
    expect((await call('/v1/models/switchyard%2Feconomy', { headers: bearer(keyA) })).body.id).toBe(
      'switchyard/economy',
    );
    expect((await call('/v1/models/meta/llama-3-70b', { headers: bearer(keyA) })).body.id).toBe('meta/llama-3-70b');
    const unknown = await call('/v1/models/gpt-nonexistent', { headers: bearer(keyA) });
    expect([unknown.status, errorCode(unknown)]).toEqual([404, 'model_not_found']);
    // Hostile ids: a malformed escape, a huge id (not echoed whole), a prototype name.
    const malformed = await call('/v1/models/%E0%A4%A', { headers: bearer(keyA) });
    expect([malformed.status, errorCode(malformed)]).toEqual([400, 'invalid_path']);
    const huge = await call(`/v1/models/${'m'.repeat(5000)}`, { headers: bearer(keyA) });
    expect([huge.status, errorCode(huge)]).toEqual([404, 'model_not_found']);
    expect(JSON.stringify(huge.body).length).toBeLessThan(1_000);
    const proto = await call('/v1/models/__proto__', { headers: bearer(keyA) });
    expect([proto.status, errorCode(proto)]).toEqual([404, 'model_not_found']);
  });
});

describe('the operator surface', () => {
  it('requires the operator token for the dashboard and /metrics (bearer, or basic with any user)', async () => {
    for (const path of ['/metrics', '/admin/queues', '/admin/queues/api/queues']) {
      const anonymous = await call(path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
      // A tenant's API key is not an operator credential.
      expect((await call(path, { headers: bearer(keyA) })).status, path).toBe(401);
    }
    expect((await call('/metrics', { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);
    const basic = `Basic ${Buffer.from(`anyone:${adminToken}`).toString('base64')}`;
    expect((await call('/admin/queues', { headers: { authorization: basic } })).status).toBe(200);
  });

  it('is read-only by default, and its job data carries no prompt text', async () => {
    const operator = { authorization: `Bearer ${adminToken}` };
    const secretPrompt = `confidential-${randomBytes(6).toString('hex')}`;
    await queues.route.add('route', { queryId: '00000000-0000-4000-8000-000000000001', prompt: secretPrompt } as never);
    const listing = await call('/admin/queues/api/queues?activeQueue=route&status=waiting&page=1', {
      headers: operator,
    });
    expect(listing.status).toBe(200);
    expect(JSON.stringify(listing.body)).toContain('00000000-0000-4000-8000-000000000001');
    expect(JSON.stringify(listing.body)).not.toContain(secretPrompt);
    for (const [method, path] of [
      ['PUT', '/admin/queues/api/queues/route/pause'],
      ['PUT', '/admin/queues/api/queues/route/empty'],
      ['POST', '/admin/queues/api/queues/cascade/add'],
    ] as const) {
      const result = await call(path, { method, headers: { ...operator, ...json }, body: '{}' });
      expect(result.status, `${method} ${path}`).toBe(405);
    }
    expect(await queues.route.isPaused()).toBe(false);
  });

  it('is not mounted at all without an operator token', async () => {
    const bare = await serve();
    for (const path of ['/metrics', '/admin/queues']) {
      const result = await fetch(`${bare}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(result.status).toBe(404);
    }
  });
});

describe('feedback on answers', () => {
  it('stores one label per completed query of the key, replaces it, and shows it with the query', async () => {
    const created = await submit(keyA, { prompt: 'What is 3 + 4?' });
    const id = created.body.id as string;
    const feedback = (key: string, body: unknown) =>
      call(`/v1/queries/${id}/feedback`, {
        method: 'POST',
        headers: { ...json, ...bearer(key) },
        body: JSON.stringify(body),
      });

    const early = await feedback(keyA, { correct: true });
    expect([early.status, errorCode(early)]).toEqual([409, 'query_not_completed']);
    await prisma.query.update({ where: { id }, data: { status: 'completed', answer: '7', completedAt: new Date() } });

    expect((await feedback(keyB, { correct: true })).status).toBe(404);
    for (const bad of [
      {},
      { correct: 'yes' },
      { score: 1.5 },
      { correct: true, extra: 1 },
      // Contradictory labels (training reads `correct` first and would drop the score silently).
      { correct: true, score: 0 },
      { correct: false, score: 0.5 },
    ]) {
      const result = await feedback(keyA, bad);
      expect([result.status, errorCode(result)], JSON.stringify(bad)).toEqual([400, 'invalid_request']);
    }
    const first = await feedback(keyA, { correct: false, comment: 'it is 7, not 8' });
    expect(first.status).toBe(200);
    const second = await feedback(keyA, { correct: true, score: 0.9 });
    expect(second.body).toMatchObject({ queryId: id, correct: true, score: 0.9 });
    const view = await call(`/v1/queries/${id}`, { headers: bearer(keyA) });
    expect(view.body.feedback).toMatchObject({ correct: true, score: 0.9 });
    expect(await prisma.queryFeedback.count({ where: { queryId: id } })).toBe(1);
  });
});
