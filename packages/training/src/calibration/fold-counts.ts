import {
  type AgreementCalibration,
  type AgreementPattern,
  type CalibrationCounts,
  calibrationLevelKeys,
} from '@switchyard/core';

/**
 * Agreement-calibration counts kept per cross-validation fold, so a calibration "trained without folds
 * E" is a view (`withoutFolds(E)`) rather than a retraining: the counts are sums over examples, so
 * leaving folds out is subtracting them. `toCalibration()` gives the stored artifact (all folds).
 */
export class FoldCounts {
  private readonly counts = new Map<string, Float64Array>();
  private readonly views = new Map<string, CalibrationCounts>();

  constructor(
    readonly folds: number,
    readonly strength = 4,
  ) {}

  /** Counts one example of fold `fold` at every level of its keys. */
  add(example: AgreementPattern & { correct: boolean }, fold: number): void {
    this.addKeys(calibrationLevelKeys(example), example.correct, fold);
  }

  /** Counts one example given its level keys (as `calibrationLevelKeys` gives them). */
  addKeys(keys: readonly string[], correct: boolean, fold: number): void {
    for (const key of keys) {
      let entry = this.counts.get(key);
      if (entry === undefined) {
        entry = new Float64Array(2 * this.folds);
        this.counts.set(key, entry);
      }
      entry[2 * fold] = (entry[2 * fold] as number) + (correct ? 1 : 0);
      entry[2 * fold + 1] = (entry[2 * fold + 1] as number) + 1;
    }
  }

  /** The counts of every fold except `excluded` (cached per set). */
  withoutFolds(excluded: readonly number[] = []): CalibrationCounts {
    const id = [...excluded].sort((a, b) => a - b).join(',');
    let view = this.views.get(id);
    if (view === undefined) {
      const keep = Array.from({ length: this.folds }, (_, fold) => !excluded.includes(fold));
      const cache = new Map<string, readonly [number, number] | undefined>();
      view = {
        strength: this.strength,
        count: (key) => {
          if (cache.has(key)) return cache.get(key);
          const entry = this.counts.get(key);
          let result: readonly [number, number] | undefined;
          if (entry !== undefined) {
            let correct = 0;
            let total = 0;
            for (let fold = 0; fold < this.folds; fold += 1) {
              if (!keep[fold]) continue;
              correct += entry[2 * fold] as number;
              total += entry[2 * fold + 1] as number;
            }
            result = total === 0 ? undefined : [correct, total];
          }
          cache.set(key, result);
          return result;
        },
      };
      this.views.set(id, view);
    }
    return view;
  }

  /** The per-fold counts of a key (`[correct₀, total₀, correct₁, total₁, …]`), or undefined. */
  entry(key: string): Float64Array | undefined {
    return this.counts.get(key);
  }

  /** The calibration of all folds, as stored in an artifact (keys sorted, so the JSON is deterministic). */
  toCalibration(id: string): AgreementCalibration {
    const counts: Record<string, [number, number]> = {};
    for (const key of [...this.counts.keys()].sort()) {
      const [correct, total] = this.withoutFolds().count(key) ?? [0, 0];
      if (total > 0) counts[key] = [correct, total];
    }
    return { version: 1, id, strength: this.strength, counts };
  }
}

/**
 * `scoreAgreementPattern` from per-fold entries of a pattern's level keys (most general first), counting
 * only the folds `keep` marks: the same estimate as a calibration trained on those folds.
 */
export function scoreFromEntries(
  entries: readonly (Float64Array | undefined)[],
  strength: number,
  keep: readonly boolean[],
): number {
  let estimate = 0.5;
  for (const entry of entries) {
    let correct = 0;
    let total = 0;
    if (entry !== undefined) {
      for (let fold = 0; fold < keep.length; fold += 1) {
        if (!keep[fold]) continue;
        correct += entry[2 * fold] as number;
        total += entry[2 * fold + 1] as number;
      }
    }
    estimate = (correct + strength * estimate) / (total + strength);
  }
  return estimate;
}
