import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRateLimiter } from '@switchyard/auth';
import { createApiKey, createFileStore, createPrismaClient, type FileStore, type PrismaClient } from '@switchyard/db';
import { createTestDatabase, type TestDatabase } from '@switchyard/db/testing';
import { createQueues, createRedisConnection, type Queues } from '@switchyard/queues';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';

// The OpenAI-compatible surface probed like an attacker would, in process with real Postgres and
// Redis (no worker runs: batches stay queued, chat completions time out).
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = { info() {}, warn() {}, error() {} };
const MAX_FILE_BYTES = 64 * 1024;

let database: TestDatabase;
let prisma: PrismaClient;
let queues: Queues;
let limiterRedis: Redis;
let files: FileStore;
let server: Server;
let api: string;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_oai' });
  prisma = createPrismaClient({ databaseUrl: database.url });
  files = createFileStore({ databaseUrl: database.url, maxConnections: 2 });
  queues = createQueues({ redisUrl, prefix: `sy_oai_${randomBytes(4).toString('hex')}` });
  limiterRedis = createRedisConnection(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const app = createApp({
    prisma,
    queues,
    files,
    maxFileBytes: MAX_FILE_BYTES,
    chatTimeoutMs: 600,
    rateLimiter: createRateLimiter(limiterRedis, { keyPrefix: queues.settings.prefix }),
    allowPrivateCallbacks: false,
    bodyLimit: '64kb',
    defaultMaxCostUsd: 0.25,
    logger: silent,
  });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  keyA = (await createApiKey(prisma, { name: 'a' })).key;
  keyB = (await createApiKey(prisma, { name: 'b' })).key;
});
afterAll(async () => {
  server.close();
  for (const queue of [queues.route, queues.batch]) await queue.obliterate({ force: true }).catch(() => {});
  await queues.close();
  limiterRedis.disconnect();
  await files.close();
  await prisma.$disconnect();
  await database.drop();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function call(path: string, init: RequestInit = {}) {
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
const error = (result: { body: Record<string, unknown> }) =>
  result.body.error as { code: string; message: string; type: string; param: string | null };
const postJson = (key: string, path: string, body: unknown) =>
  call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(key) },
    body: JSON.stringify(body),
  });

function form(parts: { name: string; value: string; filename?: string }[]): FormData {
  const data = new FormData();
  for (const part of parts) {
    if (part.filename === undefined) data.append(part.name, part.value);
    else data.append(part.name, new Blob([part.value]), part.filename);
  }
  return data;
}
const upload = (key: string, body: FormData | string, headers: Record<string, string> = {}) =>
  call('/v1/files', { method: 'POST', headers: { ...bearer(key), ...headers }, body });

const line = (customId: string) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'switchyard', messages: [{ role: 'user', content: 'What is 1 + 1?' }] },
  });

async function uploadBatchFile(key: string, text = `${line('a')}\n${line('b')}\n`): Promise<string> {
  const result = await upload(
    key,
    form([
      { name: 'purpose', value: 'batch' },
      { name: 'file', value: text, filename: 'in.jsonl' },
    ]),
  );
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  return result.body.id as string;
}

async function largeObjects(): Promise<number> {
  const [row] = await prisma.$queryRaw<{ count: bigint }[]>`SELECT count(*) AS count FROM pg_largeobject_metadata`;
  return Number(row?.count);
}

describe('POST /v1/files', () => {
  it('stores a JSONL file and gives the same bytes back; counts its lines', async () => {
    const text = `${line('a')}\r\n\n${line('b')}`;
    const id = await uploadBatchFile(keyA, text);
    const meta = await call(`/v1/files/${id}`, { headers: bearer(keyA) });
    expect(meta.body).toMatchObject({
      id,
      object: 'file',
      bytes: Buffer.byteLength(text),
      purpose: 'batch',
      filename: 'in.jsonl',
    });
    const content = await fetch(`${api}/v1/files/${id}/content`, { headers: bearer(keyA) });
    expect(await content.text()).toBe(text);
    const row = await prisma.file.findUniqueOrThrow({ where: { id: id.slice('file-'.length) } });
    expect(row.lineCount).toBe(2);
  });

  it('refuses wrong content types, broken forms, wrong purposes, empty and oversized files with clear codes', async () => {
    const before = await largeObjects();
    const json = await postJson(keyA, '/v1/files', { purpose: 'batch' });
    expect([json.status, error(json).code]).toEqual([415, 'unsupported_media_type']);
    const noBoundary = await upload(keyA, 'x', { 'content-type': 'multipart/form-data' });
    expect([noBoundary.status, error(noBoundary).code]).toEqual([400, 'invalid_multipart']);
    const noFile = await upload(keyA, form([{ name: 'purpose', value: 'batch' }]));
    expect([noFile.status, error(noFile).code, error(noFile).param]).toEqual([400, 'missing_file', 'file']);
    const wrongPurpose = await upload(
      keyA,
      form([
        { name: 'file', value: line('a'), filename: 'a.jsonl' },
        { name: 'purpose', value: 'fine-tune' },
      ]),
    );
    expect([wrongPurpose.status, error(wrongPurpose).code, error(wrongPurpose).param]).toEqual([
      400,
      'invalid_purpose',
      'purpose',
    ]);
    const noPurpose = await upload(keyA, form([{ name: 'file', value: line('a'), filename: 'a.jsonl' }]));
    expect([noPurpose.status, error(noPurpose).code]).toEqual([400, 'invalid_purpose']);
    const empty = await upload(
      keyA,
      form([
        { name: 'purpose', value: 'batch' },
        { name: 'file', value: '\n \n', filename: 'e.jsonl' },
      ]),
    );
    expect([empty.status, error(empty).code]).toEqual([400, 'empty_file']);
    const two = await upload(
      keyA,
      form([
        { name: 'purpose', value: 'batch' },
        { name: 'file', value: line('a'), filename: 'a.jsonl' },
        { name: 'file', value: line('b'), filename: 'b.jsonl' },
      ]),
    );
    expect([two.status, error(two).code]).toEqual([400, 'invalid_multipart']);
    const huge = await upload(
      keyA,
      form([
        { name: 'purpose', value: 'batch' },
        { name: 'file', value: `${line('x')}\n`.repeat(1_000), filename: 'big.jsonl' },
      ]),
    );
    expect([huge.status, error(huge).code, error(huge).param]).toEqual([413, 'file_too_large', 'file']);
    const boundary = 'xyz';
    const truncated = await upload(
      keyA,
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.jsonl"\r\n\r\n${line('a')}`,
      { 'content-type': `multipart/form-data; boundary=${boundary}` },
    );
    expect([truncated.status, error(truncated).code]).toEqual([400, 'invalid_multipart']);
    // Nothing refused left a body or a row behind.
    expect(await largeObjects()).toBe(before);
    expect(error(huge).type).toBe('invalid_request_error');
  });
});

describe('tenancy of files and batches', () => {
  it('shows another key’s file and batch as 404, exactly like unknown ids', async () => {
    const fileId = await uploadBatchFile(keyA);
    const created = await postJson(keyA, '/v1/batches', {
      input_file_id: fileId,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const batchId = created.body.id as string;
    const unknownFile = 'file-7d9c1a64-3b1f-4c52-9a5e-2f6b8d0e4c11';
    const unknownBatch = 'batch_7d9c1a64-3b1f-4c52-9a5e-2f6b8d0e4c11';
    const same = async (path: string, unknownPath: string, init: RequestInit = {}) => {
      const foreign = await call(path, { ...init, headers: bearer(keyB) });
      const unknown = await call(unknownPath, { ...init, headers: bearer(keyB) });
      expect(foreign.status).toBe(404);
      expect(error(foreign).message.replace(/(file-|batch_)[0-9a-f-]+/, '<id>')).toBe(
        error(unknown).message.replace(/(file-|batch_)[0-9a-f-]+/, '<id>'),
      );
    };
    await same(`/v1/files/${fileId}`, `/v1/files/${unknownFile}`);
    await same(`/v1/files/${fileId}/content`, `/v1/files/${unknownFile}/content`);
    await same(`/v1/files/${fileId}`, `/v1/files/${unknownFile}`, { method: 'DELETE' });
    await same(`/v1/batches/${batchId}`, `/v1/batches/${unknownBatch}`);
    await same(`/v1/batches/${batchId}/cancel`, `/v1/batches/${unknownBatch}/cancel`, { method: 'POST' });
    const onForeignFile = await postJson(keyB, '/v1/batches', {
      input_file_id: fileId,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect([onForeignFile.status, error(onForeignFile).param]).toEqual([404, 'input_file_id']);
    const listed = await call('/v1/batches', { headers: bearer(keyB) });
    expect(listed.body.data).toEqual([]);
    const filesOfB = await call('/v1/files', { headers: bearer(keyB) });
    expect(filesOfB.body.data).toEqual([]);
    // The owner still sees both, and the file is still there.
    expect((await call(`/v1/files/${fileId}`, { headers: bearer(keyA) })).status).toBe(200);
    expect((await call(`/v1/batches/${batchId}`, { headers: bearer(keyA) })).status).toBe(200);
  });
});

describe('POST /v1/batches and GET /v1/batches', () => {
  it('refuses bad ids, endpoints, windows, metadata and callbacks, naming the parameter', async () => {
    const fileId = await uploadBatchFile(keyA);
    const base = { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' };
    const cases: [unknown, number, string, string | null][] = [
      [{ ...base, input_file_id: 'nope' }, 400, 'invalid_id', 'input_file_id'],
      [{ ...base, input_file_id: 'file-7d9c1a64-3b1f-4c52-9a5e-2f6b8d0e4c11' }, 404, 'not_found', 'input_file_id'],
      [{ ...base, endpoint: '/v1/embeddings' }, 400, 'unsupported_endpoint', 'endpoint'],
      [{ ...base, completion_window: '1h' }, 400, 'invalid_completion_window', 'completion_window'],
      [{ endpoint: base.endpoint, completion_window: '24h' }, 400, 'invalid_request', 'input_file_id'],
      [
        { ...base, metadata: { callback_url: 'http://127.0.0.1:9/hook' } },
        400,
        'callback_url_not_allowed',
        'metadata.callback_url',
      ],
      [
        { ...base, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
        400,
        'invalid_request',
        'metadata',
      ],
      [{ ...base, metadata: { n: 5 } }, 400, 'invalid_request', 'metadata.n'],
      [{ ...base, surprise: true }, 400, 'invalid_request', null],
    ];
    for (const [body, status, code, param] of cases) {
      const result = await postJson(keyA, '/v1/batches', body);
      expect([result.status, error(result).code, error(result).param], JSON.stringify(body)).toEqual([
        status,
        code,
        param,
      ]);
    }
    // The message names the field as the client sent it.
    const refused = await postJson(keyA, '/v1/batches', {
      ...base,
      metadata: { callback_url: 'http://127.0.0.1:9/x' },
    });
    expect(error(refused).message).toMatch(/^metadata\.callback_url host 127\.0\.0\.1 resolves to an internal address/);
  });

  it('pages with after/limit and refuses invalid cursors and limits', async () => {
    const fileId = await uploadBatchFile(keyA);
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const created = await postJson(keyA, '/v1/batches', {
        input_file_id: fileId,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      ids.push(created.body.id as string);
    }
    const first = await call('/v1/batches?limit=2', { headers: bearer(keyA) });
    expect((first.body.data as { id: string }[]).map((batch) => batch.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.has_more).toBe(true);
    const second = await call(`/v1/batches?limit=2&after=${first.body.last_id}`, { headers: bearer(keyA) });
    expect((second.body.data as { id: string }[])[0]?.id).toBe(ids[0]);
    for (const query of ['after=garbage', 'after=batch_7d9c1a64-3b1f-4c52-9a5e-2f6b8d0e4c11']) {
      const bad = await call(`/v1/batches?${query}`, { headers: bearer(keyA) });
      expect([bad.status, error(bad).code, error(bad).param]).toEqual([400, 'invalid_cursor', 'after']);
    }
    for (const limit of ['0', '101', 'ten', '-1']) {
      const bad = await call(`/v1/batches?limit=${limit}`, { headers: bearer(keyA) });
      expect([bad.status, error(bad).code]).toEqual([400, 'invalid_limit']);
    }
  });

  it('keeps a file a running batch reads; deletes it (and its large object) otherwise', async () => {
    const reading = await uploadBatchFile(keyA);
    await postJson(keyA, '/v1/batches', {
      input_file_id: reading,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const refused = await call(`/v1/files/${reading}`, { method: 'DELETE', headers: bearer(keyA) });
    expect([refused.status, error(refused).code]).toEqual([409, 'file_in_use']);
    const free = await uploadBatchFile(keyA);
    const before = await largeObjects();
    const deleted = await call(`/v1/files/${free}`, { method: 'DELETE', headers: bearer(keyA) });
    expect(deleted.body).toEqual({ id: free, object: 'file', deleted: true });
    expect(await largeObjects()).toBe(before - 1);
    expect((await call(`/v1/files/${free}`, { headers: bearer(keyA) })).status).toBe(404);
  });
});

describe('POST /v1/chat/completions', () => {
  it('refuses malformed requests with OpenAI-style errors', async () => {
    const user = [{ role: 'user', content: 'hi' }];
    const cases: [unknown, number, string, string | null][] = [
      [{ model: 'switchyard' }, 400, 'invalid_request', 'messages'],
      [{ messages: user }, 400, 'invalid_request', 'model'],
      [{ model: 'switchyard', messages: [] }, 400, 'invalid_request', 'messages'],
      [{ model: 'switchyard', messages: [{ role: 'assistant', content: 'hi' }] }, 400, 'invalid_request', 'messages'],
      [{ model: 'switchyard', messages: [{ role: 'tool', content: 'x' }] }, 400, 'invalid_request', 'messages[0].role'],
      [
        {
          model: 'switchyard',
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
        },
        400,
        'invalid_request',
        'messages[0].content[0]',
      ],
      [{ model: 'switchyard', messages: user, n: 2 }, 400, 'unsupported_parameter', 'n'],
      [{ model: 'switchyard', messages: user, tools: [{ type: 'function' }] }, 400, 'unsupported_parameter', 'tools'],
      [{ model: 'switchyard', messages: user, temperature: 5 }, 400, 'invalid_request', 'temperature'],
      [{ model: 'switchyard', messages: user, max_tokens: 0 }, 400, 'invalid_request', 'max_tokens'],
      [{ model: 'switchyard/cheapest', messages: user }, 404, 'model_not_found', 'model'],
      [
        { model: 'switchyard', messages: user, metadata: { answerType: 'essay' } },
        400,
        'invalid_request',
        'metadata.answerType',
      ],
    ];
    for (const [body, status, code, param] of cases) {
      const result = await postJson(keyA, '/v1/chat/completions', body);
      expect([result.status, error(result).code, error(result).param], JSON.stringify(body)).toEqual([
        status,
        code,
        param,
      ]);
    }
  });

  it('answers 504 with the query id when the answer is not ready in time (the query goes on)', async () => {
    const result = await postJson(keyA, '/v1/chat/completions', {
      model: 'switchyard',
      messages: [{ role: 'user', content: 'What is 3 + 4?' }],
    });
    expect([result.status, error(result).code]).toEqual([504, 'timeout']);
    const queryId = result.headers.get('switchyard-query-id') as string;
    expect(error(result).message).toContain(queryId);
    const query = await call(`/v1/queries/${queryId}`, { headers: bearer(keyA) });
    expect(query.body).toMatchObject({ id: queryId, status: 'queued' });
  });
});
