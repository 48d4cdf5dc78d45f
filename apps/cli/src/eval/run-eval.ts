import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type KnobCalibration, type KnobRequest, PICO_USD_PER_USD, parseUsd, sumUsd } from '@switchyard/core';
import type { BenchRecord } from '@switchyard/datasets';
import { registryFromDataset } from '@switchyard/providers';
import { type CascadeCeiling, cascadeCeiling, ceilingAccuracyAt, ceilingCostFor } from './cascade-ceiling.js';
import type { DistributedEval } from './distributed.js';
import { type CallExecutor, createReplayExecutor } from './executor.js';
import { foldOf, sampleIds } from './folds.js';
import { frontierArea } from './frontier-area.js';
import { renderFrontierSvg } from './frontier-svg.js';
import { EvalInputError, loadEvalData } from './load-eval-data.js';
import { ROUTER_KINDS, type SystemAnswer, type SystemKind, trainSystems } from './systems.js';

export interface EvalOptions {
  train: string;
  /** Exactly one of `test` and `cv`. */
  test?: string;
  cv?: number;
  seed: number;
  models?: string;
  out: string;
  /** Knob positions of every knob router. */
  qualities: readonly number[];
  /** Also Switchyard at these target costs per query (`targetCostUsd`). */
  targetCostsUsd?: readonly number[];
  /** Queries evaluated at once (they are independent). */
  concurrency?: number;
  /** Replaces the replay executor (e.g. a queue-backed one); built per run from all records. */
  createExecutor?: (records: readonly BenchRecord[], defaultExecutor: CallExecutor) => CallExecutor;
  /**
   * Runs the Switchyard rows through the real queues and workers (the trained artifact stored in
   * router_artifacts, one query per test record and knob position) and compares every prediction
   * with the in-process one. The caller starts and closes it.
   */
  distributed?: DistributedEval;
  /** Score only this many test records (a deterministic sample by seed); training is unchanged. */
  sample?: number;
}

/** In-process and distributed predictions of the same rows, compared. */
export interface DistributedAgreement {
  runId: string;
  compared: number;
  identical: number;
  /** The first differences, for a bug report. */
  differences: { system: string; id: string; inProcess: SystemAnswer; distributed: SystemAnswer }[];
}

/** One line of predictions.jsonl. */
export interface Prediction {
  system: string;
  id: string;
  answerFrom: string | null;
  calls: string[];
  /** LLM judge verdicts used (`judge>answer model`), when the dataset records them. */
  judgeCalls?: string[];
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
  /** Knob rows: the position, preset or target cost the row asked for. */
  quality?: number | string;
  targetCostUsd?: number;
  /** How many queries ended with each cascade outcome. */
  outcomes: Record<string, number>;
  /** Per test part (CV fold, or the one test file): queries, accuracy, mean cost per query. */
  parts: {
    fold: number | null;
    queries: number;
    accuracy: number;
    costPerQueryUsd: number;
    /** Standard error of the part's mean cost per query (sample standard deviation ÷ √queries). */
    costStdErrUsd: number;
  }[];
}

export interface EvalReport {
  dataset: { train: string; test: string; queries: number; models: string; folds?: number; seed: number };
  systems: SystemSummary[];
  default: string;
  /**
   * Frontier area of each router kind: the upper concave hull of its points and every single model,
   * averaged over 200 log-spaced budgets between the cheapest and the dearest single model's cost.
   */
  frontierAreas: Record<string, number>;
  /**
   * The ceiling of per-category agreement cascades on the test records (reads the labels: a bound,
   * like the oracle), its accuracy at each `--target-cost-usd`, and its cheapest cost reaching the best
   * single model's accuracy (null: never).
   */
  ceiling: CascadeCeiling & {
    atTargets: { targetCostUsd: number; accuracy: number }[];
    bestSingle: { model: string; accuracy: number; costUsd: number; ceilingCostUsd: number | null };
  };
  learned: {
    fold: number | null;
    /** Each trained kind's knob calibration (training CV): hull points and the match quality. */
    knobs: Record<string, KnobCalibration>;
    /** The Switchyard settings on its knob's hull: family and price of accuracy. */
    hullSettings: { setting: number; family: string; accuracyPerUsd: number }[];
    baselines: { name: string; cheap: string[]; fallback: string }[];
  }[];
  warnings: string[];
  /** Set by --distributed. */
  distributed?: DistributedAgreement;
  elapsedMs: number;
}

/** Trains on --train (or the other folds), scores the test records, writes report, predictions and plot. */
export async function runEval(options: EvalOptions): Promise<{ report: EvalReport; predictions: Prediction[] }> {
  const started = performance.now();
  if ((options.test === undefined) === (options.cv === undefined)) {
    throw new EvalInputError('give exactly one of --test <file> and --cv <k>');
  }
  // The output folder first: an eval that runs for minutes must not fail at its end on a bad --out.
  try {
    await mkdir(options.out, { recursive: true });
  } catch (error) {
    throw new EvalInputError(`--out ${options.out} cannot be a folder: ${(error as Error).message}`);
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

  if (options.sample !== undefined) {
    if (!Number.isInteger(options.sample) || options.sample < 1) {
      throw new EvalInputError(`--sample must be an integer ≥ 1, got ${options.sample}`);
    }
    const keep = sampleIds(
      parts.flatMap((part) => part.test.map((record) => record.id)),
      options.sample,
      options.seed,
    );
    for (const part of parts) part.test = part.test.filter((record) => keep.has(record.id));
    // A fold with no sampled test record trains nothing (with many folds and a small sample, most).
    parts.splice(0, parts.length, ...parts.filter((part) => part.test.length > 0));
  }

  const allRecords = [...data.train, ...(data.test ?? [])];
  const replay = createReplayExecutor(allRecords, registryFromDataset({ file: data.modelsFile, models: data.models }));
  const execute = options.createExecutor ? options.createExecutor(allRecords, replay) : replay;
  const concurrency = options.concurrency ?? 32;

  const predictions: Prediction[] = [];
  const agreement: DistributedAgreement = {
    runId: options.distributed?.runId ?? '',
    compared: 0,
    identical: 0,
    differences: [],
  };
  const summaries = new Map<
    string,
    {
      system: SystemSummary;
      correct: number;
      costs: string[];
      parts: Map<number | null, { queries: number; correct: number; costs: string[] }>;
    }
  >();
  const learned: EvalReport['learned'] = [];
  let defaultSystem = '';
  for (const part of parts) {
    const trained = trainSystems(part.train, data.models, {
      qualities: options.qualities,
      ...(options.targetCostsUsd === undefined ? {} : { targetCostsUsd: options.targetCostsUsd }),
      trainFile: options.train,
    });
    defaultSystem = trained.defaultSystem;
    let distributedAnswers: Map<string, SystemAnswer> | undefined;
    if (options.distributed !== undefined && part.test.length > 0) {
      const artifactId = await options.distributed.storeArtifact(
        trained.learned.artifact,
        `switchyard eval ${options.train}${part.fold === null ? '' : ` fold ${part.fold}/${options.cv}`}`,
      );
      const jobs = trained.systems.flatMap((system) =>
        system.kind !== 'switchyard' || system.knob === undefined
          ? []
          : part.test.map((record) => ({ system: system.name, record, knob: system.knob as KnobRequest })),
      );
      const answers = await options.distributed.answerAll(jobs, artifactId);
      distributedAnswers = new Map(
        jobs.map((job, index) => [`${job.system}\u0000${job.record.id}`, answers[index] as SystemAnswer]),
      );
    }
    const { knobs, settings, baselines } = trained.learned;
    learned.push({
      fold: part.fold,
      knobs,
      hullSettings: knobs.switchyard.points.map(({ setting }) => ({
        setting,
        family: settings[setting]?.family ?? '?',
        accuracyPerUsd: settings[setting]?.accuracyPerUsd ?? 0,
      })),
      baselines,
    });
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
            ...(system.knob?.quality === undefined ? {} : { quality: system.knob.quality }),
            ...(system.knob?.targetCostUsd === undefined ? {} : { targetCostUsd: system.knob.targetCostUsd }),
            outcomes: {},
            parts: [],
          },
          correct: 0,
          costs: [],
          parts: new Map(),
        };
        summaries.set(system.name, summary);
      }
      const current = summary;
      const partSums = { queries: 0, correct: 0, costs: [] as string[] };
      current.parts.set(part.fold, partSums);
      for (let start = 0; start < part.test.length; start += concurrency) {
        const batch = part.test.slice(start, start + concurrency);
        const answers = await Promise.all(batch.map((record) => system.answer(record, execute)));
        if (distributedAnswers !== undefined && system.kind === 'switchyard' && system.knob !== undefined) {
          // The distributed run's answers are the predictions; the in-process ones are the check.
          answers.forEach((inProcess, index) => {
            const record = batch[index] as BenchRecord;
            const distributed = distributedAnswers.get(`${system.name}\u0000${record.id}`) as SystemAnswer;
            agreement.compared += 1;
            if (sameAnswer(inProcess, distributed)) agreement.identical += 1;
            else if (agreement.differences.length < 20) {
              agreement.differences.push({ system: system.name, id: record.id, inProcess, distributed });
            }
            answers[index] = distributed;
          });
        }
        answers.forEach((answer, index) => {
          const record = batch[index] as BenchRecord;
          const correct = answer.answerFrom !== null && record.responses[answer.answerFrom]?.correct === true;
          current.correct += correct ? 1 : 0;
          current.costs.push(answer.costUsd);
          partSums.queries += 1;
          partSums.correct += correct ? 1 : 0;
          partSums.costs.push(answer.costUsd);
          current.system.outcomes[answer.outcome] = (current.system.outcomes[answer.outcome] ?? 0) + 1;
          predictions.push({
            system: system.name,
            id: record.id,
            answerFrom: answer.answerFrom,
            calls: answer.calls,
            ...(answer.judgeCalls === undefined ? {} : { judgeCalls: answer.judgeCalls }),
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
  const systems = [...summaries.values()].map(({ system, correct, costs, parts: sums }) => ({
    ...system,
    accuracy: correct / queries,
    costPerQueryUsd: picoToNumber(parseUsd(sumUsd(costs))) / queries,
    parts: [...sums].map(([fold, entry]) => ({
      fold,
      queries: entry.queries,
      accuracy: entry.queries === 0 ? 0 : entry.correct / entry.queries,
      costPerQueryUsd: entry.queries === 0 ? 0 : picoToNumber(parseUsd(sumUsd(entry.costs))) / entry.queries,
      costStdErrUsd: standardError(entry.costs.map((cost) => picoToNumber(parseUsd(cost)))),
    })),
  }));
  const singles = systems
    .filter((system) => system.kind === 'single')
    .map((system) => ({ costUsd: system.costPerQueryUsd, accuracy: system.accuracy }));
  const frontierAreas: Record<string, number> = { single: frontierArea([], singles) };
  for (const kind of ROUTER_KINDS) {
    const points = systems.filter((system) => system.kind === kind);
    if (points.length === 0) continue;
    frontierAreas[kind] = frontierArea(
      points.map((system) => ({ costUsd: system.costPerQueryUsd, accuracy: system.accuracy })),
      singles,
    );
  }
  const bestSingle = systems
    .filter((system) => system.kind === 'single')
    .reduce<SystemSummary | undefined>(
      (best, system) => (best === undefined || system.accuracy > best.accuracy ? system : best),
      undefined,
    );
  const ceiling = cascadeCeiling(
    parts.flatMap((part) => part.test),
    data.models.map((model) => model.id),
  );
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
    frontierAreas,
    ceiling: {
      ...ceiling,
      atTargets: (options.targetCostsUsd ?? []).map((targetCostUsd) => ({
        targetCostUsd,
        accuracy: ceilingAccuracyAt(ceiling, targetCostUsd),
      })),
      bestSingle: {
        model: bestSingle?.name ?? '',
        accuracy: bestSingle?.accuracy ?? 0,
        costUsd: bestSingle?.costPerQueryUsd ?? 0,
        ceilingCostUsd: bestSingle === undefined ? null : ceilingCostFor(ceiling, bestSingle.accuracy),
      },
    },
    learned,
    warnings: data.warnings,
    ...(options.distributed === undefined ? {} : { distributed: agreement }),
    elapsedMs: 0,
  };
  // Group by system so each system's lines are together, as in the report.
  const order = new Map(systems.map((system, index) => [system.name, index]));
  predictions.sort((a, b) => (order.get(a.system) ?? 0) - (order.get(b.system) ?? 0));
  await writeFile(
    path.join(options.out, 'predictions.jsonl'),
    `${predictions.map((line) => JSON.stringify(line)).join('\n')}\n`,
  );
  await writeFile(path.join(options.out, 'frontier.svg'), renderFrontierSvg(report));
  report.elapsedMs = Math.round(performance.now() - started);
  await writeFile(path.join(options.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return { report, predictions };
}

function sameAnswer(a: SystemAnswer, b: SystemAnswer): boolean {
  return (
    a.answerFrom === b.answerFrom &&
    a.outcome === b.outcome &&
    parseUsd(a.costUsd) === parseUsd(b.costUsd) &&
    JSON.stringify(a.calls) === JSON.stringify(b.calls)
  );
}

/** Standard error of a mean: sample standard deviation ÷ √n (0 for fewer than two values). */
function standardError(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  return Math.sqrt(variance / values.length);
}

function picoToNumber(pico: bigint): number {
  return Number(pico) / Number(PICO_USD_PER_USD);
}
