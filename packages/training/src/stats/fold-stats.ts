import type { CategoryStats, ModelStats } from '@switchyard/core';
import type { PreparedRecord } from '../records/prepare-records.js';
import { CATEGORY_SHRINKAGE } from './measure-category-stats.js';

/**
 * Per-category model statistics kept per cross-validation fold, so the statistics "trained without
 * folds E" are a sum rather than a retraining. Same estimates as `measureCategoryStats` on those folds.
 */
export class FoldStats {
  /** `${category}\u0000${model}` and `\u0000${model}` → per fold [correct, cost, count]. */
  private readonly sums = new Map<string, Float64Array>();
  private readonly cache = new Map<string, CategoryStats>();
  readonly categories: string[];

  constructor(
    private readonly records: readonly PreparedRecord[],
    private readonly pool: readonly string[],
    readonly folds: number,
  ) {
    const categories = new Set<string>();
    for (const record of records) {
      categories.add(record.category);
      pool.forEach((model, index) => {
        for (const key of [`\u0000${model}`, `${record.category}\u0000${model}`]) {
          let entry = this.sums.get(key);
          if (entry === undefined) {
            entry = new Float64Array(3 * folds);
            this.sums.set(key, entry);
          }
          entry[3 * record.fold] = (entry[3 * record.fold] as number) + (record.correct[index] as number);
          entry[3 * record.fold + 1] = (entry[3 * record.fold + 1] as number) + (record.costUsd[index] as number);
          entry[3 * record.fold + 2] = (entry[3 * record.fold + 2] as number) + 1;
        }
      });
    }
    this.categories = [...categories].sort();
  }

  /** The statistics of every fold except `excluded`. */
  withoutFolds(excluded: readonly number[] = []): CategoryStats {
    const id = [...excluded].sort((a, b) => a - b).join(',');
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const total = (key: string) => {
      const entry = this.sums.get(key);
      const sum = [0, 0, 0];
      if (entry === undefined) return sum as [number, number, number];
      for (let fold = 0; fold < this.folds; fold += 1) {
        if (excluded.includes(fold)) continue;
        for (let part = 0; part < 3; part += 1) sum[part] = (sum[part] as number) + (entry[3 * fold + part] as number);
      }
      return sum as [number, number, number];
    };
    const overall: Record<string, ModelStats> = {};
    for (const model of this.pool) {
      const [correct, cost, count] = total(`\u0000${model}`);
      if (count > 0) overall[model] = { accuracy: correct / count, costUsd: cost / count, count };
    }
    const byCategory: Record<string, Record<string, ModelStats>> = {};
    for (const category of this.categories) {
      const perModel: Record<string, ModelStats> = {};
      for (const model of this.pool) {
        const [correct, cost, count] = total(`${category}\u0000${model}`);
        const base = overall[model];
        if (count === 0 || base === undefined) continue;
        perModel[model] = {
          accuracy: (correct + CATEGORY_SHRINKAGE * base.accuracy) / (count + CATEGORY_SHRINKAGE),
          costUsd: cost / count,
          count,
        };
      }
      if (Object.keys(perModel).length > 0) byCategory[category] = perModel;
    }
    const stats = { overall, byCategory };
    this.cache.set(id, stats);
    return stats;
  }

  /** The records these statistics were built from. */
  get size(): number {
    return this.records.length;
  }
}
