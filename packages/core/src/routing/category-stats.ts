/** A model's accuracy and mean cost per query on one class of queries. */
export interface ModelStats {
  accuracy: number;
  costUsd: number;
  /** Training queries behind the numbers. */
  count: number;
}

/**
 * Per-model accuracy and cost, overall and per query category, learned from recorded outcomes.
 * Plain JSON (a router artifact). Category accuracies are shrunk toward the model's overall accuracy
 * so a category with few training queries does not swing the router (`@switchyard/training`'s
 * `measureCategoryStats`).
 */
export interface CategoryStats {
  overall: Record<string, ModelStats>;
  byCategory: Record<string, Record<string, ModelStats>>;
}

/** The stats a router should use for a query: its category's when known, else overall. */
export function statsForCategory(stats: CategoryStats, category: string | undefined): Record<string, ModelStats> {
  return (category === undefined ? undefined : stats.byCategory[category]) ?? stats.overall;
}
