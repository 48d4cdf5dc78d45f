import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BenchRecord, readRecords, sharedDatasetsDirectory } from '@switchyard/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldOf } from './folds.js';
import { EvalInputError } from './load-eval-data.js';
import { type EvalReport, type Prediction, runEval } from './run-eval.js';

const mixDirectory = path.join(sharedDatasetsDirectory(), 'mix');
const routerbenchDirectory = path.join(sharedDatasetsDirectory(), 'routerbench');

async function readOutputs(out: string): Promise<{ report: EvalReport; predictions: Prediction[] }> {
  const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as EvalReport;
  const lines = (await readFile(path.join(out, 'predictions.jsonl'), 'utf8')).trim().split('\n');
  return { report, predictions: lines.map((line) => JSON.parse(line) as Prediction) };
}

const writeJsonl = (file: string, records: BenchRecord[]) =>
  writeFile(file, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);

describe('eval --train --test on a split of mix', () => {
  let folder: string;
  let test: BenchRecord[];
  let outputs: { report: EvalReport; predictions: Prediction[] };

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'sy-eval-'));
    // A fifth of mix, split in halves by a hash of the id other than the dataset's own split.
    const records = (await readRecords(path.join(mixDirectory, 'train.jsonl'))).filter(
      (record) => foldOf(record.id, 5, 11) === 0,
    );
    const train = records.filter((record) => foldOf(record.id, 2, 12) === 0);
    test = records.filter((record) => foldOf(record.id, 2, 12) === 1);
    await writeJsonl(path.join(folder, 'a.jsonl'), train);
    await writeJsonl(path.join(folder, 'b.jsonl'), test);
    await copyFile(path.join(mixDirectory, 'models.json'), path.join(folder, 'models.json'));
    await runEval({
      train: path.join(folder, 'a.jsonl'),
      test: path.join(folder, 'b.jsonl'),
      out: path.join(folder, 'out'),
      seed: 0,
      qualities: [0, 0.5, 1],
      targetCostsUsd: [0.002],
    });
    outputs = await readOutputs(path.join(folder, 'out'));
  }, 60_000);

  it('reports each system with accuracy and cost recomputed from predictions.jsonl and the test file', () => {
    const byId = new Map(test.map((record) => [record.id, record]));
    const { report, predictions } = outputs;
    expect(report.dataset.queries).toBe(test.length);
    expect(report.systems.map((system) => system.kind)).toEqual(
      expect.arrayContaining(['single', 'oracle', 'taxonomy', 'learned', 'cascade', 'agreement', 'switchyard']),
    );
    for (const system of report.systems) {
      const lines = predictions.filter((line) => line.system === system.name);
      expect(lines.map((line) => line.id).sort()).toEqual([...byId.keys()].sort());
      let correct = 0;
      let cost = 0;
      for (const line of lines) {
        const record = byId.get(line.id) as BenchRecord;
        if (line.answerFrom !== null) {
          expect(line.calls).toContain(line.answerFrom);
          if (record.responses[line.answerFrom]?.correct) correct += 1;
        }
        expect(new Set(line.calls).size).toBe(line.calls.length);
        for (const model of line.calls) cost += record.responses[model]?.costUsd ?? Number.NaN;
      }
      expect(system.accuracy).toBeCloseTo(correct / test.length, 12);
      expect(system.costPerQueryUsd).toBeCloseTo(cost / test.length, 12);
    }
  });

  it('scores single models exactly as the recorded data does', () => {
    for (const model of Object.keys(test[0]?.responses ?? {})) {
      const row = outputs.report.systems.find((system) => system.name === model);
      const accuracy = test.filter((record) => record.responses[model]?.correct).length / test.length;
      const cost = test.reduce((sum, record) => sum + (record.responses[model]?.costUsd ?? 0), 0) / test.length;
      expect(row).toMatchObject({ kind: 'single' });
      expect(row?.accuracy).toBeCloseTo(accuracy, 12);
      expect(row?.costPerQueryUsd).toBeCloseTo(cost, 12);
    }
  });

  it('reports every knob position and preset, the default (match), and a knob that buys accuracy with cost', () => {
    const { systems, default: defaultName } = outputs.report;
    const knob = systems.filter((system) => system.kind === 'switchyard');
    expect(knob.map((system) => system.name)).toEqual([
      'switchyard q=0',
      'switchyard q=0.5',
      'switchyard q=1',
      'switchyard economy',
      'switchyard balanced',
      'switchyard max',
      'switchyard match',
      'switchyard target=0.002',
    ]);
    expect(defaultName).toBe('switchyard match');
    const at = (name: string) => systems.find((system) => system.name === name) as (typeof systems)[number];
    expect(at('switchyard q=0').costPerQueryUsd).toBeLessThan(at('switchyard q=0.5').costPerQueryUsd);
    expect(at('switchyard q=0.5').costPerQueryUsd).toBeLessThan(at('switchyard q=1').costPerQueryUsd);
    expect(at('switchyard q=1').accuracy).toBeGreaterThan(at('switchyard q=0').accuracy);
    // A preset is a position: balanced is q=0.5, max is q=1.
    expect(at('switchyard balanced').costPerQueryUsd).toBe(at('switchyard q=0.5').costPerQueryUsd);
    expect(at('switchyard max').costPerQueryUsd).toBe(at('switchyard q=1').costPerQueryUsd);
    expect(at('switchyard match').quality).toBe('match');
    for (const kind of ['taxonomy', 'learned', 'cascade']) {
      expect(systems.filter((system) => system.kind === kind)).toHaveLength(3);
    }
  });

  it('reports a target-cost row with its target and its cost on the test part', () => {
    const target = outputs.report.systems.find((system) => system.name === 'switchyard target=0.002');
    expect(target?.targetCostUsd).toBe(0.002);
    expect(target?.parts).toHaveLength(1);
    expect(target?.parts[0]?.costPerQueryUsd).toBeCloseTo(target?.costPerQueryUsd ?? -1, 12);
    // The part's standard error, recomputed from the predictions' costs.
    const costs = outputs.predictions
      .filter((prediction) => prediction.system === 'switchyard target=0.002')
      .map((prediction) => Number(prediction.costUsd));
    const mean = costs.reduce((sum, cost) => sum + cost, 0) / costs.length;
    const variance = costs.reduce((sum, cost) => sum + (cost - mean) ** 2, 0) / (costs.length - 1);
    expect(target?.parts[0]?.costStdErrUsd).toBeGreaterThan(0);
    expect(target?.parts[0]?.costStdErrUsd).toBeCloseTo(Math.sqrt(variance / costs.length), 9);
  });

  it('reports the agreement-cascade ceiling: over every single model at its cost, under the oracle', () => {
    const { ceiling, systems } = outputs.report;
    const top = ceiling.points[ceiling.points.length - 1];
    const oracle = systems.find((system) => system.kind === 'oracle');
    expect(top?.accuracy).toBeLessThanOrEqual((oracle?.accuracy ?? 0) + 1e-12);
    for (const single of systems.filter((system) => system.kind === 'single')) {
      const at = ceiling.points.find((point) => point.costUsd >= single.costPerQueryUsd - 1e-15);
      // The hull's first point at or past the single's cost is at least as accurate as it.
      expect(at === undefined || at.accuracy >= single.accuracy - 1e-12).toBe(true);
    }
    expect(ceiling.atTargets).toEqual([{ targetCostUsd: 0.002, accuracy: expect.any(Number) }]);
    // Switchyard at the target is a policy the ceiling covers (or nearly: its mixtures are by prompt).
    const target = systems.find((system) => system.name === 'switchyard target=0.002');
    expect(ceiling.atTargets[0]?.accuracy).toBeGreaterThan((target?.accuracy ?? 1) - 0.02);
    const best = systems.filter((system) => system.kind === 'single').sort((a, b) => b.accuracy - a.accuracy)[0];
    expect(ceiling.bestSingle.model).toBe(best?.name);
    expect(ceiling.bestSingle.ceilingCostUsd).not.toBeNull();
    expect(ceiling.bestSingle.ceilingCostUsd as number).toBeLessThanOrEqual((best?.costPerQueryUsd ?? 0) + 1e-15);
  });

  it('computes each router kind’s frontier area from its points and the single models', () => {
    const { frontierAreas, systems } = outputs.report;
    const singles = systems.filter((system) => system.kind === 'single');
    for (const kind of ['single', 'switchyard', 'learned', 'taxonomy', 'cascade', 'agreement']) {
      expect(frontierAreas[kind]).toBeGreaterThan(0);
      // Adding points to the single models' hull can only raise it.
      expect(frontierAreas[kind]).toBeGreaterThanOrEqual((frontierAreas.single as number) - 1e-12);
    }
    const best = Math.max(...singles.map((system) => system.accuracy));
    expect(frontierAreas.single).toBeLessThanOrEqual(best);
  });

  it('writes a frontier plot with the single models, the oracle, the default, each kind’s hull and the ceiling', async () => {
    const svg = await readFile(path.join(folder, 'out', 'frontier.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const system of outputs.report.systems.filter((entry) => entry.kind === 'single' || entry.kind === 'oracle')) {
      expect(svg).toContain(system.name);
    }
    expect(svg).toContain('match');
    // Five kinds' hulls and the ceiling (dotted).
    expect(svg.match(/<polyline/g)?.length).toBe(6);
    expect(svg.match(/stroke-dasharray="1 3"/g)?.length).toBe(1);
  });

  it('refuses train and test files that share ids', async () => {
    await expect(
      runEval({
        train: path.join(folder, 'a.jsonl'),
        test: path.join(folder, 'a.jsonl'),
        out: path.join(folder, 'overlap'),
        seed: 0,
        qualities: [0.5],
      }),
    ).rejects.toThrow(/train and test share \d+ id/);
  });

  it('says which pool model a record lacks when models.json does not fit the data', async () => {
    const models = JSON.parse(await readFile(path.join(folder, 'models.json'), 'utf8')) as { id: string }[];
    const wrongModels = path.join(folder, 'wrong-models.json');
    await writeFile(wrongModels, JSON.stringify([...models, { ...models[0], id: 'not-recorded', tier: 99 }]));
    await expect(
      runEval({
        train: path.join(folder, 'a.jsonl'),
        test: path.join(folder, 'b.jsonl'),
        models: wrongModels,
        out: path.join(folder, 'wrong'),
        seed: 0,
        qualities: [0.5],
      }),
    ).rejects.toThrow(/has no response for not-recorded/);
  });
});

describe('eval input errors', () => {
  const base = { out: path.join(tmpdir(), 'sy-eval-never'), seed: 0, qualities: [0.5] };

  it('names a missing file', async () => {
    await expect(runEval({ ...base, train: '/nonexistent/train.jsonl', cv: 5 })).rejects.toThrow(
      '--train file not found: /nonexistent/train.jsonl',
    );
  });

  it('needs exactly one of --test and --cv, and a sensible k', async () => {
    const train = path.join(routerbenchDirectory, 'train.jsonl');
    await expect(runEval({ ...base, train })).rejects.toThrow(EvalInputError);
    await expect(runEval({ ...base, train, cv: 2, test: train })).rejects.toThrow(/exactly one of/);
    await expect(runEval({ ...base, train, cv: 1 })).rejects.toThrow(/--cv must be an integer ≥ 2/);
    await expect(runEval({ ...base, train, cv: 100_000 })).rejects.toThrow(/exceeds the 1592 records/);
  });

  it('refuses an --out that cannot be a folder before evaluating anything', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'sy-eval-out-')), 'a-file');
    await writeFile(file, 'x');
    const started = performance.now();
    await expect(
      runEval({ ...base, out: file, train: path.join(routerbenchDirectory, 'train.jsonl'), cv: 5 }),
    ).rejects.toThrow(/--out .*a-file cannot be a folder/);
    // Refused up front (it used to fail after the whole evaluation).
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('trains only the folds a --sample draws test records from', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-eval-sample-'));
    const records = (await readRecords(path.join(routerbenchDirectory, 'train.jsonl'))).slice(0, 300);
    await writeJsonl(path.join(folder, 'train.jsonl'), records);
    await copyFile(path.join(routerbenchDirectory, 'models.json'), path.join(folder, 'models.json'));
    const { report } = await runEval({
      ...base,
      out: path.join(folder, 'out'),
      train: path.join(folder, 'train.jsonl'),
      cv: 10,
      sample: 1,
    });
    expect(report.dataset.queries).toBe(1);
    expect(report.learned).toHaveLength(1);
  }, 60_000);
});

describe('eval --cv on routerbench', () => {
  it('predicts every record exactly once per system, and single models match the dataset README', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'sy-eval-cv-'));
    const train = path.join(routerbenchDirectory, 'train.jsonl');
    // Two folds keep the two trainings on the whole file short.
    await runEval({ train, cv: 2, out, seed: 3, qualities: [0.5] });
    const { report, predictions } = await readOutputs(out);
    const ids = (await readRecords(train)).map((record) => record.id).sort();
    for (const system of report.systems) {
      const lines = predictions.filter((line) => line.system === system.name);
      expect(lines.map((line) => line.id).sort()).toEqual(ids);
      // Trained on the other folds only: each record's fold is its own hash fold.
      for (const line of lines) expect(line.fold).toBe(foldOf(line.id, 2, 3));
    }
    // Summary table of routerbench/README.md (train split, all 1592 records).
    const readme: [string, number, number][] = [
      ['mistralai/mistral-7b-chat', 0.5861, 8.146e-5],
      ['gpt-3.5-turbo-1106', 0.728, 4.201e-4],
      ['gpt-4-1106-preview', 0.8719, 5.012e-3],
      ['oracle', 0.9755, 1.972e-4],
    ];
    for (const [name, accuracy, cost] of readme) {
      const row = report.systems.find((system) => system.name === name);
      expect(row?.accuracy).toBeCloseTo(accuracy, 4);
      expect((row?.costPerQueryUsd ?? 0) / cost).toBeCloseTo(1, 3);
    }
  }, 240_000);
});
