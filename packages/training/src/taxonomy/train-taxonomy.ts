import {
  calibrateKnob,
  chooseTaxonomyModel,
  PRICE_OF_ACCURACY_SETTINGS,
  statsForCategory,
  type TaxonomyArtifact,
} from '@switchyard/core';
import { singleModelPerformance, type TrainingContext } from '../context/training-context.js';

/**
 * Trains the taxonomy router: per classified category, the model with the best accuracy − λ × cost at
 * each price of accuracy λ (`chooseTaxonomyModel`). Its knob calibration is cross-validated: each fold's
 * records are routed with statistics of the other folds.
 */
export function trainTaxonomy(context: TrainingContext): TaxonomyArtifact {
  const { pool, records } = context;
  const prices = PRICE_OF_ACCURACY_SETTINGS;
  const sums = taxonomyOutOfFold(context);
  const count = records.length;
  return {
    kind: 'taxonomy',
    version: 1,
    pool: [...pool.models],
    accuracyPerUsd: [...prices],
    knob: calibrateKnob(
      sums.map((entry, setting) => ({ setting, costUsd: entry.costUsd / count, accuracy: entry.correct / count })),
      singleModelPerformance(context).best,
    ),
    ...(context.answerTypeClassifier === undefined ? {} : { answerTypeClassifier: context.answerTypeClassifier }),
    stats: context.allStats,
    categoryClassifier: context.categoryClassifier,
    trainedOn: context.trainedOn,
  };
}

/**
 * The taxonomy router's cross-validated sums at every price of accuracy (`PRICE_OF_ACCURACY_SETTINGS`):
 * each fold routed with the statistics of the other folds.
 */
export function taxonomyOutOfFold(context: TrainingContext): { correct: number; costUsd: number }[] {
  const sums = PRICE_OF_ACCURACY_SETTINGS.map(() => ({ correct: 0, costUsd: 0 }));
  for (const perCategory of taxonomyOutOfFoldByCategory(context).values()) {
    perCategory.forEach((entry, setting) => {
      const total = sums[setting] as { correct: number; costUsd: number };
      total.correct += entry.correct;
      total.costUsd += entry.costUsd;
    });
  }
  return sums;
}

/** {@link taxonomyOutOfFold} per category. */
export function taxonomyOutOfFoldByCategory(
  context: TrainingContext,
): Map<string, { correct: number; costUsd: number }[]> {
  const { pool, records, folds } = context;
  const prices = PRICE_OF_ACCURACY_SETTINGS;
  const byCategory = new Map<string, { correct: number; costUsd: number }[]>();
  for (let fold = 0; fold < folds; fold += 1) {
    const stats = context.stats.withoutFolds([fold]);
    const choices = new Map<string, number[]>();
    for (const record of records) {
      if (record.fold !== fold) continue;
      let chosen = choices.get(record.category);
      if (chosen === undefined) {
        const categoryStats = statsForCategory(stats, record.category);
        chosen = prices.map(
          (price) => pool.indexOf.get(chooseTaxonomyModel(pool.models, categoryStats, price)) as number,
        );
        choices.set(record.category, chosen);
      }
      let sums = byCategory.get(record.category);
      if (sums === undefined) {
        sums = prices.map(() => ({ correct: 0, costUsd: 0 }));
        byCategory.set(record.category, sums);
      }
      const categorySums = sums;
      chosen.forEach((model, setting) => {
        const entry = categorySums[setting] as { correct: number; costUsd: number };
        entry.correct += record.correct[model] as number;
        entry.costUsd += record.costUsd[model] as number;
      });
    }
  }
  return byCategory;
}
