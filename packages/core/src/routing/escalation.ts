import type { ModelStats } from './category-stats.js';

/**
 * Accept threshold of each stage: the best value escalating could buy, i.e. the highest expected
 * accuracy of a later stage minus the price of every stage up to it. A stage's answer whose calibrated
 * P(correct) reaches that is kept. The last stage has nothing to escalate to (0): its answer is kept
 * rather than fused.
 */
export function escalationThresholds(
  stages: readonly string[],
  stats: Readonly<Record<string, ModelStats>>,
  accuracyPerUsd: number,
): number[] {
  return stages.map((_, stage) => {
    let best = 0;
    let cumulativeCostUsd = 0;
    for (const later of stages.slice(stage + 1)) {
      const modelStats = stats[later];
      if (modelStats === undefined) continue;
      cumulativeCostUsd += modelStats.costUsd;
      best = Math.max(best, modelStats.accuracy - accuracyPerUsd * cumulativeCostUsd);
    }
    return Math.min(1, best);
  });
}
