import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PICO_USD_PER_USD, parseUsd, sumUsd } from '@switchyard/core';
import type { BenchRecord } from '@switchyard/datasets';
import { registryFromDataset } from '@switchyard/providers';
import { type CallExecutor, createReplayExecutor } from './executor.js';
import { foldOf } from './folds.js';
import { renderFrontierSvg } from './frontier-svg.js';
import { EvalInputError, loadEvalData } from './load-eval-data.js';
import { type SystemKind, trainSystems } from './systems.js';

export interface EvalOptions {
  train: string;
  /** Exactly one of `test` and `cv`. */
  test?: string;
  cv?: number;
  seed: number;
  models?: string;
  out: string;
  qualities: readonly number[];
  defaultQuality: number;
  /** Switchyard's stages per query category (default) or once for all queries. */
  perCategory?: boolean;
  /** Queries evaluated at once (they are independent). */
  concurrency?: number;
  /** Replaces the replay executor (e.g. a queue-backed one); built per run from all records. */
  createExecutor?: (records: readonly BenchRecord[], defaultExecutor: CallExecutor) => CallExecutor;
}

/** One line of predictions.jsonl. */
export interface Prediction {
  system: string;
  id: string;
  answerFrom: string | null;
  calls: string[];
  costUsd: string;
  correct: boolean;
  outcome: string;
  fold?: number;
}

export interface SystemSummary {
  name: string;
  kind: SystemKind;
  accuracy: number;
  costPerQueryUsd: number;
  setting?: string;
  /** How many queries ended with each cascade outcome. */
  outcomes: Record<string, number>;
}

export interface EvalReport {
  dataset: { train: string; test: string; queries: number; models: string; folds?: number; seed: number };
  systems: SystemSummary[];
  default: string;
  learned: { fold: number | null; paretoPool: string[]; referenceModels: string[]; calibrationKeys: number }[];
  warnings: string[];
  elapsedMs: number;
}

/** Trains on --train (or the other folds), scores the test records, writes report, predictions and plot. */
export async function runEval(options: EvalOptions): Promise<{ report: EvalReport; predictions: Prediction[] }> {
  const started = performance.now();
  if ((options.test === undefined) === (options.cv === undefined)) {
    throw new EvalInputError('give exactly one of --test <file> and --cv <k>');
  }
  const data = await loadEvalData({ train: options.train, test: options.test, models: options.models });
  const parts: { fold: number | null; train: BenchRecord[]; test: BenchRecord[] }[] = [];
  if (data.test !== undefined) {
    parts.push({ fold: null, train: data.train, test: data.test });
  } else {
    const folds = options.cv ?? 0;
    if (!Number.isInteger(folds) || folds < 2)
      throw new EvalInputError(`--cv must be an integer ≥ 2, got ${options.cv}`);
    if (folds > data.train.length) {
      throw new EvalInputError(`--cv ${folds} exceeds the ${data.train.length} records of ${options.train}`);
    }
    const assignment = new Map(data.train.map((record) => [record.id, foldOf(record.id, folds, options.seed)]));
    for (let fold = 0; fold < folds; fold += 1) {
      const test = data.train.filter((record) => assignment.get(record.id) === fold);
      if (test.length === 0) continue;
      parts.push({ fold, train: data.train.filter((record) => assignment.get(record.id) !== fold), test });
    }
  }

  const allRecords = [...data.train, ...(data.test ?? [])];
  const replay = createReplayExecutor(allRecords, registryFromDataset({ file: data.modelsFile, models: data.models }));
  const execute = options.createExecutor ? options.createExecutor(allRecords, replay) : replay;
  const concurrency = options.concurrency ?? 32;

  const predictions: Prediction[] = [];
  const summaries = new Map<string, { system: SystemSummary; correct: number; costs: string[] }>();
  const learned: EvalReport['learned'] = [];
  let defaultSystem = '';
  for (const part of parts) {
    const trained = await trainSystems(part.train, data.models, options, execute);
    defaultSystem = trained.defaultSystem;
    const { paretoPool, referenceModels, calibrationKeys } = trained.learned;
    learned.push({ fold: part.fold, paretoPool, referenceModels, calibrationKeys });
    for (const system of trained.systems) {
      let summary = summaries.get(system.name);
      if (summary === undefined) {
        summary = {
          system: {
            name: system.name,
            kind: system.kind,
            accuracy: 0,
            costPerQueryUsd: 0,
            ...(system.setting === undefined ? {} : { setting: system.setting }),
            outcomes: {},
          },
          correct: 0,
          costs: [],
        };
        summaries.set(system.name, summary);
      }
      const current = summary;
      for (let start = 0; start < part.test.length; start += concurrency) {
        const batch = part.test.slice(start, start + concurrency);
        const answers = await Promise.all(batch.map((record) => system.answer(record, execute)));
        answers.forEach((answer, index) => {
          const record = batch[index] as BenchRecord;
          const correct = answer.answerFrom !== null && record.responses[answer.answerFrom]?.correct === true;
          current.correct += correct ? 1 : 0;
          current.costs.push(answer.costUsd);
          current.system.outcomes[answer.outcome] = (current.system.outcomes[answer.outcome] ?? 0) + 1;
          predictions.push({
            system: system.name,
            id: record.id,
            answerFrom: answer.answerFrom,
            calls: answer.calls,
            costUsd: answer.costUsd,
            correct,
            outcome: answer.outcome,
            ...(part.fold === null ? {} : { fold: part.fold }),
          });
        });
      }
    }
  }

  const queries = parts.reduce((sum, part) => sum + part.test.length, 0);
  const systems = [...summaries.values()].map(({ system, correct, costs }) => ({
    ...system,
    accuracy: correct / queries,
    costPerQueryUsd: picoToNumber(parseUsd(sumUsd(costs))) / queries,
  }));
  const report: EvalReport = {
    dataset: {
      train: options.train,
      test: options.test ?? `${options.train} (${options.cv}-fold cross-validation)`,
      queries,
      models: data.modelsFile,
      ...(options.cv === undefined ? {} : { folds: options.cv }),
      seed: options.seed,
    },
    systems,
    default: defaultSystem,
    learned,
    warnings: data.warnings,
    elapsedMs: 0,
  };
  // Group by system so each system's lines are together, as in the report.
  const order = new Map(systems.map((system, index) => [system.name, index]));
  predictions.sort((a, b) => (order.get(a.system) ?? 0) - (order.get(b.system) ?? 0));
  await mkdir(options.out, { recursive: true });
  await writeFile(
    path.join(options.out, 'predictions.jsonl'),
    `${predictions.map((line) => JSON.stringify(line)).join('\n')}\n`,
  );
  await writeFile(path.join(options.out, 'frontier.svg'), renderFrontierSvg(report));
  report.elapsedMs = Math.round(performance.now() - started);
  await writeFile(path.join(options.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return { report, predictions };
}

function picoToNumber(pico: bigint): number {
  return Number(pico) / Number(PICO_USD_PER_USD);
}
