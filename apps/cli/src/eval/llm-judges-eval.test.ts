import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BenchRecord, readRecords, sharedDatasetsDirectory } from '@switchyard/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldOf } from './folds.js';
import { type EvalReport, type Prediction, runEval } from './run-eval.js';

const mixDirectory = path.join(sharedDatasetsDirectory(), 'mix');
const JUDGE_COST = 0.0001;

/**
 * Adds a recorded verdict of one judge model to every response: pass when the response is correct,
 * fail otherwise, except that the judge left no verdict on the records whose id hash is 0 mod 7.
 */
function withVerdicts(record: BenchRecord): BenchRecord {
  const silent = foldOf(record.id, 7, 3) === 0;
  return {
    ...record,
    responses: Object.fromEntries(
      Object.entries(record.responses).map(([model, response]) => [
        model,
        silent
          ? response
          : {
              ...response,
              judges: {
                'judge-x': { verdict: response.correct ? 'pass' : 'fail', confidence: 0.97, costUsd: JUDGE_COST },
              },
            },
      ]),
    ),
  } as BenchRecord;
}

describe('eval with LLM judge verdicts recorded in the dataset', () => {
  let test: BenchRecord[];
  let report: EvalReport;
  let predictions: Prediction[];

  beforeAll(async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-eval-judges-'));
    const records = (await readRecords(path.join(mixDirectory, 'train.jsonl')))
      .filter((record) => foldOf(record.id, 10, 21) === 0)
      .map(withVerdicts);
    const train = records.filter((record) => foldOf(record.id, 2, 22) === 0);
    test = records.filter((record) => foldOf(record.id, 2, 22) === 1);
    const write = (file: string, lines: BenchRecord[]) =>
      writeFile(path.join(folder, file), `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
    await write('train.jsonl', train);
    await write('test.jsonl', test);
    await copyFile(path.join(mixDirectory, 'models.json'), path.join(folder, 'models.json'));
    await runEval({
      train: path.join(folder, 'train.jsonl'),
      test: path.join(folder, 'test.jsonl'),
      out: path.join(folder, 'out'),
      seed: 0,
      qualities: [0.5],
    });
    report = JSON.parse(await readFile(path.join(folder, 'out', 'report.json'), 'utf8')) as EvalReport;
    predictions = (await readFile(path.join(folder, 'out', 'predictions.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Prediction);
  }, 90_000);

  it('reports a cascade judged by the recorded verdicts, paying each verdict it reads', () => {
    const row = report.systems.find((system) => system.name === 'cascade llm-judges');
    expect(row).toMatchObject({ kind: 'cascade' });
    const byId = new Map(test.map((record) => [record.id, record]));
    const lines = predictions.filter((line) => line.system === 'cascade llm-judges');
    expect(lines).toHaveLength(test.length);
    let cost = 0;
    let correct = 0;
    for (const line of lines) {
      const record = byId.get(line.id) as BenchRecord;
      for (const model of line.calls) cost += record.responses[model]?.costUsd ?? Number.NaN;
      cost += (line.judgeCalls ?? []).length * JUDGE_COST;
      if (line.answerFrom !== null && record.responses[line.answerFrom]?.correct) correct += 1;
      const silent = foldOf(line.id, 7, 3) === 0;
      if (silent) {
        // No verdict recorded: the judge abstains at every stage, nothing is accepted, the answer is fused.
        expect(line.outcome).toBe('exhausted');
        expect(line.judgeCalls).toBeUndefined();
      } else {
        // A judge that passes exactly the correct responses accepts only correct ones; answers that fail
        // the format checks (no extractable answer) are escalated without a verdict.
        if (line.outcome === 'accepted') expect(record.responses[line.answerFrom ?? '']?.correct).toBe(true);
        expect(line.judgeCalls?.length ?? 0).toBeLessThanOrEqual(line.calls.length);
        expect(line.judgeCalls?.every((call) => call.startsWith('judge-x>'))).not.toBe(false);
      }
    }
    expect(lines.filter((line) => line.outcome === 'accepted').length).toBeGreaterThan(test.length / 2);
    expect(row?.accuracy).toBeCloseTo(correct / test.length, 12);
    expect(row?.costPerQueryUsd).toBeCloseTo(cost / test.length, 12);
  });

  it('leaves the other systems as they were: no judge verdict is read by them', () => {
    for (const line of predictions.filter((prediction) => prediction.system !== 'cascade llm-judges')) {
      expect(line.judgeCalls).toBeUndefined();
    }
  });
});
