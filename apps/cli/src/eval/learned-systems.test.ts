import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  artifactAnswerType,
  type CategoryClassifier,
  classifyCategory,
  type LearnedRouterModel,
  parseRouterArtifact,
  predictCorrectness,
} from '@switchyard/core';
import { type BenchRecord, readModels, readRecords, sharedDatasetsDirectory } from '@switchyard/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldOf } from './folds.js';
import { type EvalReport, type Prediction, runEval } from './run-eval.js';
import { trainSystems } from './systems.js';

const mixDirectory = path.join(sharedDatasetsDirectory(), 'mix');
const qualities = [0, 0.5, 1];

describe('learned and taxonomy rows under --cv', () => {
  let records: BenchRecord[];
  let report: EvalReport;
  let predictions: Prediction[];

  beforeAll(async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-eval-learned-'));
    // A fifth of mix keeps the run short.
    records = (await readRecords(path.join(mixDirectory, 'train.jsonl'))).filter(
      (record) => foldOf(record.id, 5, 21) === 0,
    );
    await writeFile(
      path.join(folder, 'train.jsonl'),
      `${records.map((record) => JSON.stringify(record)).join('\n')}\n`,
    );
    await copyFile(path.join(mixDirectory, 'models.json'), path.join(folder, 'models.json'));
    const out = path.join(folder, 'out');
    await runEval({ train: path.join(folder, 'train.jsonl'), cv: 3, seed: 4, out, qualities });
    report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as EvalReport;
    predictions = (await readFile(path.join(out, 'predictions.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Prediction);
  }, 60_000);

  it('reports one learned row per knob position, of kind learned', () => {
    const learned = report.systems.filter((system) => system.kind === 'learned');
    expect(learned.map((system) => system.name)).toEqual(qualities.map((quality) => `learned q=${quality}`));
    for (const system of learned) expect(system.setting).toMatch(/P\(correct \| prompt\)/);
    const taxonomy = report.systems.filter((system) => system.kind === 'taxonomy');
    expect(taxonomy.map((system) => system.name)).toEqual(qualities.map((quality) => `taxonomy q=${quality}`));
    for (const system of taxonomy) expect(system.setting).toMatch(/classified category/);
  });

  it('predicts every record exactly once per learned row, from its own fold, with one model call', () => {
    const ids = records.map((record) => record.id).sort();
    for (const name of qualities.flatMap((quality) => [`learned q=${quality}`, `taxonomy q=${quality}`])) {
      const lines = predictions.filter((line) => line.system === name);
      expect(lines.map((line) => line.id).sort()).toEqual(ids);
      for (const line of lines) {
        expect(line.fold).toBe(foldOf(line.id, 3, 4));
        // One model per query, no judges: the answer is the only call.
        expect(line.calls).toEqual([line.answerFrom]);
        expect(line.outcome).toBe('accepted');
      }
    }
  });
});

describe('trainSystems exposes the learned components', () => {
  it('returns the artifact workers load, whose classifiers and learned router survive JSON', async () => {
    const models = await readModels(path.join(mixDirectory, 'models.json'));
    const train = (await readRecords(path.join(mixDirectory, 'train.jsonl'))).filter(
      (record) => foldOf(record.id, 10, 2) === 0,
    );
    const trained = trainSystems(train, models, { qualities: [0.5] });
    const artifact = parseRouterArtifact(JSON.parse(JSON.stringify(trained.learned.artifact)));
    if (artifact.kind !== 'switchyard') throw new Error('expected a switchyard artifact');
    const classifier: CategoryClassifier = artifact.categoryClassifier;
    const router: LearnedRouterModel = artifact.learned.router;
    expect(classifier.categories).toEqual([...new Set(train.map((record) => record.category))].sort());
    const correct = train.filter((record) => classifyCategory(classifier, record.prompt).category === record.category);
    expect(correct.length / train.length).toBeGreaterThan(0.95);
    expect(router.models.map((entry) => entry.model)).toEqual(models.map((model) => model.id));
    const first = train[0] as BenchRecord;
    expect(predictCorrectness(router, first.prompt)).toEqual(
      predictCorrectness(trained.learned.artifact.learned.router, first.prompt),
    );
    // The answer types the dataset labels are what the artifact infers from the prompts alone.
    const inferred = train.filter((record) => artifactAnswerType(artifact, record.prompt) === record.answerType);
    expect(inferred.length / train.length).toBeGreaterThan(0.97);
    expect(trained.learned.knobs.switchyard.points.length).toBeGreaterThan(3);
  }, 60_000);
});
