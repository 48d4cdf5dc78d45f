import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BenchRecord, readRecords, sharedDatasetsDirectory } from '@switchyard/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldOf } from './folds.js';
import { type Prediction, runEval } from './run-eval.js';

const mixDirectory = path.join(sharedDatasetsDirectory(), 'mix');

/** Every label of a record scrambled: correctness, recorded answers, category, reference, answer type. */
function corrupt(record: BenchRecord, index: number): BenchRecord {
  return {
    ...record,
    category: `wrong-${index % 3}`,
    reference: `not ${record.reference}`,
    answerType: record.answerType === 'choice' ? 'number' : 'choice',
    responses: Object.fromEntries(
      Object.entries(record.responses).map(([model, response]) => [
        model,
        { ...response, correct: !response.correct, answer: response.answer === null ? 'Z' : null },
      ]),
    ),
  };
}

const writeJsonl = (file: string, records: BenchRecord[]) =>
  writeFile(file, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);

async function predictionsOf(out: string): Promise<Prediction[]> {
  return (await readFile(path.join(out, 'predictions.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Prediction);
}

/** What a system did, without whether it was right (that is read from the labels). */
const decision = (line: Prediction) =>
  JSON.stringify([line.system, line.id, line.answerFrom, line.calls, line.costUsd, line.outcome]);

describe('no system but the oracle reads a test label', () => {
  let folder: string;
  let records: BenchRecord[];

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'sy-eval-labels-'));
    records = (await readRecords(path.join(mixDirectory, 'train.jsonl'))).filter(
      (record) => foldOf(record.id, 8, 31) === 0,
    );
    await copyFile(path.join(mixDirectory, 'models.json'), path.join(folder, 'models.json'));
  });

  it('with --test: corrupting every test label changes only the oracle’s predictions', async () => {
    const train = records.filter((record) => foldOf(record.id, 2, 32) === 0);
    const test = records.filter((record) => foldOf(record.id, 2, 32) === 1);
    await writeJsonl(path.join(folder, 'train.jsonl'), train);
    await writeJsonl(path.join(folder, 'test.jsonl'), test);
    await writeJsonl(path.join(folder, 'test-corrupt.jsonl'), test.map(corrupt));
    const options = {
      train: path.join(folder, 'train.jsonl'),
      seed: 0,
      qualities: [0, 0.5, 1],
      targetCostsUsd: [0.002],
    };
    await runEval({ ...options, test: path.join(folder, 'test.jsonl'), out: path.join(folder, 'clean') });
    await runEval({ ...options, test: path.join(folder, 'test-corrupt.jsonl'), out: path.join(folder, 'corrupt') });
    const clean = await predictionsOf(path.join(folder, 'clean'));
    const corrupted = await predictionsOf(path.join(folder, 'corrupt'));
    expect(corrupted).toHaveLength(clean.length);
    const systems = new Set(clean.map((line) => line.system));
    expect(systems.size).toBeGreaterThan(20);
    for (const system of systems) {
      const before = clean.filter((line) => line.system === system).map(decision);
      const after = corrupted.filter((line) => line.system === system).map(decision);
      if (system === 'oracle') expect(after).not.toEqual(before);
      else expect(after, system).toEqual(before);
    }
  }, 120_000);

  it('with --cv: corrupting one fold’s labels leaves that fold’s predictions unchanged', async () => {
    const folds = 3;
    const seed = 5;
    const corrupted = records.map((record, index) =>
      foldOf(record.id, folds, seed) === 0 ? corrupt(record, index) : record,
    );
    await writeJsonl(path.join(folder, 'cv.jsonl'), records);
    await writeJsonl(path.join(folder, 'cv-corrupt.jsonl'), corrupted);
    const options = { cv: folds, seed, qualities: [0.5], sample: 60 };
    await runEval({ ...options, train: path.join(folder, 'cv.jsonl'), out: path.join(folder, 'cv-clean') });
    // The corrupted file needs its own models.json beside it: the same folder has it.
    await runEval({ ...options, train: path.join(folder, 'cv-corrupt.jsonl'), out: path.join(folder, 'cv-corrupt') });
    const inFold = (line: Prediction) => line.fold === 0;
    const clean = (await predictionsOf(path.join(folder, 'cv-clean'))).filter(inFold);
    const after = (await predictionsOf(path.join(folder, 'cv-corrupt'))).filter(inFold);
    expect(clean.length).toBeGreaterThan(0);
    expect(after.filter((line) => line.system !== 'oracle').map(decision)).toEqual(
      clean.filter((line) => line.system !== 'oracle').map(decision),
    );
  }, 120_000);
});
