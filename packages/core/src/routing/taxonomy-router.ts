import { CoreError } from '../errors.js';
import type { ModelStats } from './category-stats.js';

/**
 * The taxonomy router's choice for a query class: the pool model with the best accuracy − price of
 * accuracy × mean cost on the class's training statistics (ties → the cheaper, then the earlier in the
 * pool). At price 0 it is the class's most accurate model; a high price picks its cheapest.
 */
export function chooseTaxonomyModel(
  pool: readonly string[],
  stats: Readonly<Record<string, ModelStats>>,
  accuracyPerUsd: number,
): string {
  let best: { model: string; value: number; costUsd: number } | undefined;
  for (const model of pool) {
    const modelStats = stats[model];
    if (modelStats === undefined) continue;
    const value = modelStats.accuracy - accuracyPerUsd * modelStats.costUsd;
    if (
      best === undefined ||
      value > best.value + 1e-12 ||
      (Math.abs(value - best.value) <= 1e-12 && modelStats.costUsd < best.costUsd)
    ) {
      best = { model, value, costUsd: modelStats.costUsd };
    }
  }
  if (best === undefined) throw new CoreError('taxonomy router: no pool model has statistics');
  return best.model;
}
