import {
  type CategoryClassifier,
  type CategoryStats,
  classifyCategory,
  fnv1a32,
  inferAnswerType,
  type LearnedRouterModel,
  predictCorrectness,
} from '@switchyard/core';
import { trainCategoryClassifier } from '../classifier/train-category-classifier.js';
import { TrainingError } from '../errors.js';
import {
  crossFitCorrectness,
  type LearnedRouterExample,
  trainLearnedRouter,
} from '../learned-router/train-learned-router.js';
import { type PreparedRecord, prepareRecords, usableRecords } from '../records/prepare-records.js';
import { type TrainingRecord, UNLABELLED_CATEGORY } from '../records/training-record.js';
import { type PoolIndex, poolIndex } from '../simulation/simulate-plan.js';
import { FoldStats } from '../stats/fold-stats.js';

/** Options shared by every trainer. */
export interface TrainingOptions {
  /** Cross-validation folds inside the training data (default 5). */
  folds?: number;
  /** Seed of the fold assignment (default 0). */
  seed?: number;
  /** Recorded in the artifacts' `trainedOn`. */
  trainFile?: string;
}

/**
 * What every trainer starts from, computed once: the usable records, the prompt classifiers, the records
 * prepared as the router will see them (classified category and answer type, extracted answers), the
 * folds, per-fold statistics, and the learned router with its out-of-fold predictions.
 */
export interface TrainingContext {
  pool: PoolIndex;
  records: PreparedRecord[];
  folds: number;
  /** Records that could not be trained on, with why. */
  skipped: { id: string; reason: string }[];
  categoryClassifier: CategoryClassifier;
  answerTypeClassifier?: CategoryClassifier;
  stats: FoldStats;
  /** The statistics of all training records. */
  allStats: CategoryStats;
  learnedRouter: LearnedRouterModel;
  /** Per record (same order as `records`): P(correct) of every model by a router that did not see it. */
  outOfFoldPriors: Record<string, number>[];
  trainedOn: { file: string; records: number };
}

/** The cross-validation fold of a record id: FNV-1a of `fold:<seed>:<id>` modulo `folds`. */
export function trainingFoldOf(id: string, folds: number, seed: number): number {
  return fnv1a32(`fold:${seed}:${id}`) % folds;
}

/** Builds the context. Pure and deterministic: the same records in the same order give the same context. */
export function createTrainingContext(
  records: readonly TrainingRecord[],
  pool: readonly string[],
  options: TrainingOptions = {},
): TrainingContext {
  const folds = options.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2)
    throw new TrainingError(`training: folds must be an integer ≥ 2, got ${folds}`);
  if (pool.length === 0) throw new TrainingError('training: the pool is empty');
  const { usable, skipped } = usableRecords(records, pool);
  if (usable.length < 2 * folds) {
    throw new TrainingError(
      `training: ${usable.length} usable records (every pool model answered and labelled); need at least ${2 * folds}`,
    );
  }
  const categoryOf = (record: TrainingRecord) => record.category ?? UNLABELLED_CATEGORY;
  const categoryClassifier = trainCategoryClassifier(
    usable.map((record) => ({ prompt: record.prompt, category: categoryOf(record) })),
  );
  const labelled = usable.filter((record) => record.answerType !== undefined);
  const answerTypeClassifier =
    labelled.length === 0
      ? undefined
      : trainCategoryClassifier(
          labelled.map((record) => ({ prompt: record.prompt, category: record.answerType as string })),
        );
  const seed = options.seed ?? 0;
  // The category and answer type the router will see: the classifiers' readings, not the labels.
  const prepared = prepareRecords(usable, pool, {
    category: (record) => classifyCategory(categoryClassifier, record.prompt).category,
    answerType: (record) =>
      inferAnswerType(record.prompt, answerTypeClassifier === undefined ? {} : { classifier: answerTypeClassifier }),
    fold: (record) => trainingFoldOf(record.id, folds, seed),
  });
  const stats = new FoldStats(prepared, pool, folds);
  const examples: LearnedRouterExample[] = usable.map((record) => ({
    prompt: record.prompt,
    outcomes: pool.map((model) => ({
      model,
      correct: record.responses[model]?.correct === true,
      costUsd: record.responses[model]?.costUsd ?? 0,
    })),
  }));
  const learnedRouter = trainLearnedRouter(examples);
  const crossFit = crossFitCorrectness(examples, { folds, assignment: prepared.map((record) => record.fold) });
  // A fold holding every record (tiny data) has no out-of-fold router: fall back to the final one.
  const outOfFoldPriors = prepared.map(
    (record, index) => crossFit[index] ?? predictCorrectness(learnedRouter, record.prompt),
  );
  return {
    pool: poolIndex(pool),
    records: prepared,
    folds,
    skipped,
    categoryClassifier,
    ...(answerTypeClassifier === undefined ? {} : { answerTypeClassifier }),
    stats,
    allStats: stats.withoutFolds(),
    learnedRouter,
    outOfFoldPriors,
    trainedOn: { file: options.trainFile ?? '(in memory)', records: usable.length },
  };
}

/** Each pool model's accuracy and mean cost on all training records; the most accurate is the best single. */
export function singleModelPerformance(context: TrainingContext): {
  models: { model: string; accuracy: number; costUsd: number }[];
  best: { model: string; accuracy: number; costUsd: number };
} {
  const count = context.records.length;
  const models = context.pool.models.map((model, index) => {
    let correct = 0;
    let cost = 0;
    for (const record of context.records) {
      correct += record.correct[index] as number;
      cost += record.costUsd[index] as number;
    }
    return { model, accuracy: correct / count, costUsd: cost / count };
  });
  const best = models.reduce((chosen, entry) =>
    entry.accuracy > chosen.accuracy || (entry.accuracy === chosen.accuracy && entry.costUsd < chosen.costUsd)
      ? entry
      : chosen,
  );
  return { models, best };
}
