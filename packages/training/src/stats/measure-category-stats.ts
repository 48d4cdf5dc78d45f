import type { CategoryStats, ModelStats } from '@switchyard/core';

/** Pseudo-queries of the shrinkage of a category's accuracy toward the model's overall accuracy. */
export const CATEGORY_SHRINKAGE = 10;

/** One recorded outcome: a model's answer to a query of a category. */
export interface ModelOutcome {
  category: string;
  model: string;
  correct: boolean;
  costUsd: number;
}

/** Aggregates outcomes into {@link CategoryStats}; `strength` = pseudo-queries of the shrinkage. */
export function measureCategoryStats(outcomes: Iterable<ModelOutcome>, strength = CATEGORY_SHRINKAGE): CategoryStats {
  const totals = new Map<string, { correct: number; cost: number; count: number }>();
  const add = (key: string, outcome: ModelOutcome) => {
    const entry = totals.get(key) ?? { correct: 0, cost: 0, count: 0 };
    entry.correct += outcome.correct ? 1 : 0;
    entry.cost += outcome.costUsd;
    entry.count += 1;
    totals.set(key, entry);
  };
  const categories = new Set<string>();
  const models = new Set<string>();
  for (const outcome of outcomes) {
    add(`\u0000${outcome.model}`, outcome);
    add(`${outcome.category}\u0000${outcome.model}`, outcome);
    categories.add(outcome.category);
    models.add(outcome.model);
  }
  const overall: Record<string, ModelStats> = {};
  for (const model of models) {
    const entry = totals.get(`\u0000${model}`) ?? { correct: 0, cost: 0, count: 0 };
    overall[model] = { accuracy: entry.correct / entry.count, costUsd: entry.cost / entry.count, count: entry.count };
  }
  const byCategory: Record<string, Record<string, ModelStats>> = {};
  for (const category of categories) {
    const perModel: Record<string, ModelStats> = {};
    for (const model of models) {
      const base = overall[model] as ModelStats;
      const entry = totals.get(`${category}\u0000${model}`);
      if (entry === undefined) continue;
      perModel[model] = {
        accuracy: (entry.correct + strength * base.accuracy) / (entry.count + strength),
        costUsd: entry.cost / entry.count,
        count: entry.count,
      };
    }
    byCategory[category] = perModel;
  }
  return { overall, byCategory };
}
