/** A pool model's measured accuracy and mean cost per query on training data. */
export interface ModelPerformance {
  model: string;
  accuracy: number;
  costPerQueryUsd: number;
}

/**
 * The pool models on the cost/accuracy Pareto frontier, cheapest first: a model is kept only if it is
 * more accurate than every cheaper kept model. A cascade through a dominated model pays more for a
 * worse answer.
 */
export function selectParetoPool(performances: readonly ModelPerformance[]): string[] {
  const byCost = [...performances].sort(
    (a, b) => a.costPerQueryUsd - b.costPerQueryUsd || a.model.localeCompare(b.model),
  );
  const kept: string[] = [];
  let bestAccuracy = Number.NEGATIVE_INFINITY;
  for (const performance of byCost) {
    if (performance.accuracy > bestAccuracy) {
      kept.push(performance.model);
      bestAccuracy = performance.accuracy;
    }
  }
  return kept;
}
