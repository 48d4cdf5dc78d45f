import { randomBytes } from 'node:crypto';
import { createApiKey, createFileStore, createPrismaClient, type FileStore, type PrismaClient } from '@switchyard/db';
import { createTestDatabase, type TestDatabase } from '@switchyard/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineDeps } from '../pipeline/deps.js';
import { createQueues, type Queues } from '../queues.js';
import { isBatchReadyToFinalize } from './batch-progress.js';
import { cancelBatch } from './cancel-batch.js';
import { expandBatch } from './expand-batch.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = { info() {}, warn() {}, error() {} };
let database: TestDatabase;
let prisma: PrismaClient;
let files: FileStore;
let queues: Queues;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_expand' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 4 });
  files = createFileStore({ databaseUrl: database.url, maxConnections: 2 });
  queues = createQueues({ redisUrl, prefix: `sy_expand_${randomBytes(4).toString('hex')}` });
});
afterAll(async () => {
  await queues.route.obliterate({ force: true }).catch(() => {});
  await queues.batch.obliterate({ force: true }).catch(() => {});
  await queues.close();
  await files.close();
  await prisma.$disconnect();
  await database.drop();
});

const request = (customId: string, content: string) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'switchyard', messages: [{ role: 'user', content }] },
  });

/** Stores an input file and creates a batch over it (nothing expanded yet). */
async function storeBatch(apiKeyId: string, body: Buffer) {
  const stored = await files.create([body], {
    maxBytes: 10 << 20,
    describe: () => ({ apiKeyId, purpose: 'batch', filename: 'in.jsonl' }),
  });
  const batch = await prisma.batch.create({
    data: {
      apiKeyId,
      inputFileId: stored.id,
      endpoint: '/v1/chat/completions',
      completionWindow: '24h',
      totalCount: stored.lineCount,
      queryMaxCostUsd: '0.5',
      expiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  return { stored, batch };
}

/** A file store whose reads come in tiny pieces and die (like a crashed worker) after `failAfter` pieces. */
function flakyStore(failAfter: number): FileStore {
  return {
    ...files,
    async *read(oid, options) {
      let pieces = 0;
      for await (const chunk of files.read(oid, options)) {
        for (let start = 0; start < chunk.length; start += 97) {
          if (pieces++ === failAfter) throw new Error('simulated crash while reading the input');
          yield chunk.subarray(start, start + 97);
        }
      }
    },
  };
}

describe('expanding a batch', () => {
  it('resumes after crashes at the committed cursor: every line once, bad lines with their numbers', async () => {
    const { summary } = await createApiKey(prisma, { name: 'expand' });
    const lines: string[] = [];
    const expectedErrors = new Map<number, string>();
    const expectedQueries = new Set<number>();
    for (let index = 0; index < 1_200; index++) {
      const number = lines.length + 1;
      if (index % 97 === 5) {
        lines.push('{"custom_id": "x"');
        expectedErrors.set(number, 'invalid_json');
      } else if (index % 89 === 7) {
        lines.push(request('q-3', 'duplicate of an early line'));
        expectedErrors.set(number, 'duplicate_custom_id');
      } else if (index % 101 === 9) {
        lines.push('   ');
      } else if (index === 600) {
        lines.push(request('long', 'x'.repeat(5_000)));
        expectedErrors.set(number, 'line_too_long');
      } else {
        lines.push(`${request(`q-${index}`, `What is ${index} + 1?`)}${index % 3 === 0 ? '\r' : ''}`);
        expectedQueries.add(number);
      }
    }
    const body = Buffer.from(lines.join('\n'));
    const { stored, batch } = await storeBatch(summary.id, body);
    expect(stored.lineCount).toBe(expectedQueries.size + expectedErrors.size);
    const settings = { chunkLines: 50, chunkBytes: 1 << 20, sliceLines: 300, maxLineBytes: 2_000 };
    const outcomes: string[] = [];
    // Each run is a job: some die mid-read, some stop at their slice and hand over to the next.
    for (const failAfter of [40, 400, 10_000, 3, 10_000, 10_000, 10_000, 10_000]) {
      const deps = { prisma, queues, logger: silent, files: flakyStore(failAfter) } as unknown as PipelineDeps & {
        files: FileStore;
      };
      outcomes.push(await expandBatch(deps, batch.id, settings).catch((error: Error) => `crash: ${error.message}`));
      const row = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
      if (row.expansionDone) break;
    }
    expect(outcomes.some((outcome) => outcome.startsWith('crash'))).toBe(true);
    expect(outcomes.some((outcome) => outcome.startsWith('continued'))).toBe(true);
    const row = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
    expect(row).toMatchObject({
      expansionDone: true,
      status: 'in_progress',
      queryCount: expectedQueries.size,
      invalidCount: expectedErrors.size,
      failedCount: expectedErrors.size,
      expandedLines: lines.length,
      expandedBytes: BigInt(body.length),
    });
    const queries = await prisma.query.findMany({
      where: { batchId: batch.id },
      select: { id: true, batchIndex: true, prompt: true },
    });
    expect(new Set(queries.map((query) => query.batchIndex))).toEqual(expectedQueries);
    expect(queries).toHaveLength(expectedQueries.size);
    const errors = await prisma.batchLineError.findMany({ where: { batchId: batch.id }, orderBy: { line: 'asc' } });
    expect(new Map(errors.map((error) => [error.line, error.code]))).toEqual(expectedErrors);
    // Every query's route job is queued (job ids derive from the rows).
    const jobs = await queues.route.getJobCounts('waiting');
    expect(jobs.waiting).toBe(expectedQueries.size);
  }, 60_000);

  it('after a cancel, reads the rest of the file as cancelled requests: every line counted, none run', async () => {
    const { summary } = await createApiKey(prisma, { name: 'cancel' });
    const lines: string[] = [];
    for (let index = 0; index < 1_000; index++) {
      lines.push(index % 151 === 17 ? '{"custom_id": "x"' : request(`c-${index}`, `What is ${index} + 2?`));
    }
    const bad = new Set(lines.flatMap((line, index) => (line.startsWith('{"custom_id": "x"') ? [index + 1] : [])));
    const { batch } = await storeBatch(summary.id, Buffer.from(lines.join('\n')));
    const settings = { chunkLines: 50, chunkBytes: 1 << 20, sliceLines: 300, maxLineBytes: 2_000 };
    // The first slice's job is cancelled under it after its third chunk: the chunk it was reading is not
    // committed as queries; the job goes on from the cursor in cancel mode.
    let pieces = 0;
    const cancellingStore: FileStore = {
      ...files,
      async *read(oid, options) {
        for await (const chunk of files.read(oid, options)) {
          for (let start = 0; start < chunk.length; start += 97) {
            if (pieces++ === 400) await cancelBatch({ prisma, queues }, batch.id, null);
            yield chunk.subarray(start, start + 97);
          }
        }
      },
    };
    const deps = { prisma, queues, logger: silent, files: cancellingStore } as unknown as PipelineDeps & {
      files: FileStore;
    };
    // The job carries on in cancel mode up to its slice, then its continuations read the rest.
    const outcomes = [await expandBatch(deps, batch.id, settings)];
    while (!outcomes.at(-1)?.startsWith('expanded') && outcomes.length < 10) {
      outcomes.push(await expandBatch(deps, batch.id, settings));
    }
    expect(outcomes.at(-1)).toBe(`expanded@${lines.length}`);
    expect(outcomes[0]).toMatch(/^continued@\d+$/);
    const row = await prisma.batch.findUniqueOrThrow({ where: { id: batch.id } });
    expect(row).toMatchObject({ status: 'cancelling', expansionDone: true, expandedLines: lines.length });
    expect(row.queryCount).toBeGreaterThan(0);
    expect(row.queryCount).toBeLessThan(300);
    // Every line is a query or a line error; every query was cancelled before it started.
    expect(row.queryCount + row.invalidCount).toBe(lines.length);
    expect(row.failedCount).toBe(lines.length);
    const queries = await prisma.query.findMany({
      where: { batchId: batch.id },
      select: { status: true, errorCode: true },
    });
    expect(queries.every((query) => query.status === 'failed' && query.errorCode === 'batch_cancelled')).toBe(true);
    const errors = await prisma.batchLineError.findMany({ where: { batchId: batch.id }, orderBy: { line: 'asc' } });
    for (const error of errors) {
      expect(error.code, `line ${error.line}`).toBe(bad.has(error.line) ? 'invalid_json' : 'batch_cancelled');
      if (!bad.has(error.line)) expect(error.customId).toBe(`c-${error.line - 1}`);
    }
    expect(errors.at(-1)?.line).toBe(lines.length);
    expect(isBatchReadyToFinalize(row)).toBe(true);
    // A later expand job (a continuation, the reconciler's) has nothing left to do.
    expect(await expandBatch(deps, batch.id, settings)).toBe('stopped');
  }, 60_000);
});
