import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BenchRecord, readRecords, sharedDatasetsDirectory } from '@switchyard/datasets';
import { describe, expect, it } from 'vitest';
import type { DistributedEval, DistributedJob } from './distributed.js';
import { foldOf } from './folds.js';
import { runEval } from './run-eval.js';

const mixDirectory = path.join(sharedDatasetsDirectory(), 'mix');

/** A stand-in for the queues that always answers with gpt-4o alone, so it disagrees with Switchyard. */
function alwaysTopModel(): DistributedEval & { jobs: DistributedJob[]; artifacts: unknown[] } {
  const jobs: DistributedJob[] = [];
  const artifacts: unknown[] = [];
  return {
    runId: 'fake',
    prefix: 'fake',
    jobs,
    artifacts,
    async storeArtifact(artifact) {
      artifacts.push(artifact);
      return `artifact-${artifacts.length}`;
    },
    async answerAll(batch) {
      jobs.push(...batch);
      return batch.map(({ record }) => ({
        answerFrom: 'gpt-4o',
        calls: ['gpt-4o'],
        costUsd: String(record.responses['gpt-4o']?.costUsd ?? 0),
        outcome: 'accepted',
      }));
    },
    async close() {},
  };
}

describe('runEval with a distributed runner', () => {
  it('uses the runner’s answers for the Switchyard rows, compares each with in-process, and reports differences', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-evalfake-'));
    const records = (await readRecords(path.join(mixDirectory, 'train.jsonl'))).filter(
      (record) => foldOf(record.id, 10, 3) === 0,
    );
    const write = (file: string, part: BenchRecord[]) =>
      writeFile(path.join(folder, file), `${part.map((record) => JSON.stringify(record)).join('\n')}\n`);
    await write(
      'a.jsonl',
      records.filter((record) => foldOf(record.id, 2, 4) === 0),
    );
    await write(
      'b.jsonl',
      records.filter((record) => foldOf(record.id, 2, 4) === 1),
    );
    await copyFile(path.join(mixDirectory, 'models.json'), path.join(folder, 'models.json'));
    const fake = alwaysTopModel();
    const { report, predictions } = await runEval({
      train: path.join(folder, 'a.jsonl'),
      test: path.join(folder, 'b.jsonl'),
      seed: 0,
      sample: 30,
      out: path.join(folder, 'out'),
      qualities: [0, 0.5],
      distributed: fake,
    });
    expect(fake.artifacts).toHaveLength(1);
    // Every Switchyard row goes through the runner: two positions and the four presets.
    const asked = fake.jobs.map((job) => String(job.knob.quality));
    for (const knob of ['0', '0.5', 'economy', 'balanced', 'max', 'match']) {
      expect(asked.filter((quality) => quality === knob)).toHaveLength(30);
    }
    const switchyard = predictions.filter(
      (line) => line.system === 'switchyard q=0' || line.system === 'switchyard q=0.5',
    );
    expect(switchyard).toHaveLength(60);
    expect(switchyard.every((line) => line.answerFrom === 'gpt-4o' && line.calls.join() === 'gpt-4o')).toBe(true);
    // At quality 0 Switchyard never starts at gpt-4o, so those 30 must all be reported as differences.
    const agreement = report.distributed;
    expect(agreement?.compared).toBe(180);
    expect(agreement?.identical).toBeLessThanOrEqual(150);
    expect(agreement?.differences.length).toBeGreaterThanOrEqual(20);
    expect(agreement?.differences[0]?.distributed.answerFrom).toBe('gpt-4o');
    // Rows the runner does not serve are computed in-process as before.
    expect(
      predictions
        .filter((line) => line.system === 'gemini-1.5-flash')
        .every((line) => line.answerFrom === 'gemini-1.5-flash'),
    ).toBe(true);
    // Trains and evaluates every system on a sample: a few seconds alone, much longer on a loaded 2-core machine.
  }, 120_000);
});
