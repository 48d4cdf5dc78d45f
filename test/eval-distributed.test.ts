import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseUsd, sumUsd } from '@switchyard/core';
import { readRecords, sharedDatasetsDirectory } from '@switchyard/datasets';
import { createPrismaClient } from '@switchyard/db';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DistributedEval, startDistributedEval } from '../apps/cli/src/eval/distributed.js';
import { foldOf } from '../apps/cli/src/eval/folds.js';
import { type EvalReport, type Prediction, runEval } from '../apps/cli/src/eval/run-eval.js';
import { createTestDatabase, type TestDatabase } from '../packages/db/src/testing/index.js';

const mix = path.join(sharedDatasetsDirectory(), 'mix');

describe('eval --distributed: the Switchyard rows through real queues and worker processes', () => {
  let database: TestDatabase;
  let distributed: DistributedEval;
  let report: EvalReport;
  let predictions: Prediction[];
  let closed = false;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  // A Redis Cluster hash tag: the run's prefix must extend it, not replace it.
  const queuePrefix = `{sy-evald-${randomBytes(4).toString('hex')}}`;

  beforeAll(async () => {
    // A quarter of mix (by a hash of the id) keeps the five trainings short; the check is agreement.
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-evald-data-'));
    const records = (await readRecords(path.join(mix, 'train.jsonl'))).filter(
      (record) => foldOf(record.id, 4, 5) === 0,
    );
    await writeFile(
      path.join(folder, 'train.jsonl'),
      `${records.map((record) => JSON.stringify(record)).join('\n')}\n`,
    );
    await copyFile(path.join(mix, 'models.json'), path.join(folder, 'models.json'));
    database = await createTestDatabase({ prefix: 'sy_evald' });
    distributed = await startDistributedEval({
      databaseUrl: database.url,
      redisUrl,
      replayFile: path.join(folder, 'train.jsonl'),
      modelsFile: path.join(folder, 'models.json'),
      workers: 2,
      queuePrefix,
      log: () => {},
    });
    ({ report, predictions } = await runEval({
      train: path.join(folder, 'train.jsonl'),
      cv: 3,
      seed: 0,
      sample: 12,
      out: await mkdtemp(path.join(tmpdir(), 'sy-evald-')),
      qualities: [0.5, 1],
      distributed,
    }));
  }, 240_000);

  afterAll(async () => {
    if (!closed) await distributed?.close();
    await database?.drop();
  });

  // 12 sampled queries × (2 knob positions + 4 presets).
  const switchyardQueries = 72;

  it('gives exactly the in-process predictions for every sampled query, knob position and preset', () => {
    expect(report.distributed?.compared).toBe(switchyardQueries);
    expect(report.distributed?.differences).toEqual([]);
    expect(report.distributed?.identical).toBe(switchyardQueries);
  });

  it('left one routed, finished query per prediction in the ledger, costing what the predictions say', async () => {
    const prisma = createPrismaClient({ databaseUrl: database.url });
    try {
      const queries = await prisma.query.findMany({ include: { attempts: true } });
      expect(queries).toHaveLength(switchyardQueries);
      for (const query of queries) {
        expect(['completed', 'failed']).toContain(query.status);
        const plan = query.plan as { artifactId?: string; router: string };
        expect(['learned-cascade', 'switchyard-policy', 'learned']).toContain(plan.router);
        expect(plan.artifactId).toMatch(/^[0-9a-f-]{36}$/);
        // Query total = sum of its attempts (the ledger), never more than one attempt per call key.
        expect(parseUsd(query.totalCostUsd.toFixed())).toBe(
          parseUsd(sumUsd(query.attempts.map((attempt) => attempt.costUsd?.toFixed() ?? '0'))),
        );
      }
      const ledgerTotal = sumUsd(queries.map((query) => query.totalCostUsd.toFixed()));
      const predicted = sumUsd(
        predictions.filter((line) => line.system.startsWith('switchyard')).map((line) => line.costUsd),
      );
      expect(parseUsd(ledgerTotal)).toBe(parseUsd(predicted));
      expect(parseUsd(predicted)).toBeGreaterThan(0n);
      // One stored artifact per fold that had sampled test records.
      const folds = new Set(predictions.map((line) => line.fold));
      expect(await prisma.routerArtifact.count({ where: { kind: 'switchyard' } })).toBe(folds.size);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('runs on a prefix of the deployment’s, and leaves no Redis key of it behind', async () => {
    expect(distributed.prefix.startsWith(`${queuePrefix}-eval-`)).toBe(true);
    const redis = new Redis(redisUrl);
    try {
      expect((await redis.keys(`${queuePrefix}*`)).length).toBeGreaterThan(0);
      closed = true;
      await distributed.close();
      // It used to leave the call-queue registry, served models, the batch queue's and metrics keys.
      expect(await redis.keys(`${queuePrefix}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
