import { type AgreementPattern, type CascadePolicy, type CategoryStats, calibrationLevelKeys } from '@switchyard/core';
import { type FoldCounts, scoreFromEntries } from '../calibration/fold-counts.js';
import type { PreparedRecord } from '../records/prepare-records.js';

/**
 * Per-category cascade policies, chosen by cross-validation inside the training data.
 *
 * A candidate is a single pool model, or a first model f answering with up to two references R (any
 * cheaper-than-g pool models), accepted when the policy verifier's P(f correct | category, which of R
 * agree) reaches the escalation threshold, else escalated to a dearer model g. At a price of accuracy λ
 * the threshold is g's category accuracy − λ × g's category cost (the same rule as every Switchyard
 * stage). For each category and λ the candidate with the best cross-validated accuracy − λ × cost wins,
 * less a small complexity penalty per extra model (selection among many candidates overfits; the penalty
 * keeps a richer policy only when it is clearly better). Everything a decision depends on is the
 * agreement pattern, so values are sums over (fold, pattern) aggregates and nested cross-validation is
 * cheap.
 */

/** A candidate policy, by pool index. */
export interface PolicyCandidate {
  first: number;
  references: number[];
  /** The model escalated to, or null for a single model. */
  escalation: number | null;
}

/** Options of the search. */
export interface PolicySearchOptions {
  /** At most this many references (default 2). */
  maxReferences: number;
  /** Accuracy (per query) a policy must gain per extra model over a simpler one (default 0.005). */
  complexityPenalty: number;
}

export const POLICY_SEARCH_DEFAULTS: PolicySearchOptions = { maxReferences: 2, complexityPenalty: 0.005 };

/** Every candidate over a pool ordered cheapest first: singles, then cascades f → g (g dearer than f). */
export function candidatePolicies(models: number, maxReferences: number): PolicyCandidate[] {
  const candidates: PolicyCandidate[] = [];
  for (let first = 0; first < models; first += 1) candidates.push({ first, references: [], escalation: null });
  for (let escalation = 1; escalation < models; escalation += 1) {
    for (let first = 0; first < escalation; first += 1) {
      const pool = Array.from({ length: escalation }, (_, index) => index).filter((index) => index !== first);
      for (const references of subsets(pool, maxReferences)) candidates.push({ first, references, escalation });
    }
  }
  return candidates;
}

function subsets(items: readonly number[], size: number): number[][] {
  const result: number[][] = [[]];
  for (let count = 1; count <= size; count += 1) {
    const walk = (from: number, chosen: number[]) => {
      if (chosen.length === count) {
        result.push(chosen);
        return;
      }
      for (let index = from; index < items.length; index += 1) walk(index + 1, [...chosen, items[index] as number]);
    };
    walk(0, []);
  }
  return result;
}

/** Pattern code of a record under a candidate: f answered, then per reference absent / disagrees / agrees. */
function patternCode(record: PreparedRecord, candidate: PolicyCandidate, size: number): number {
  let code = record.answered[candidate.first] as number;
  let scale = 2;
  for (const reference of candidate.references) {
    const state = record.answered[reference] === 0 ? 0 : record.agree[candidate.first * size + reference] === 1 ? 2 : 1;
    code += state * scale;
    scale *= 3;
  }
  return code;
}

function patternOf(
  code: number,
  candidate: PolicyCandidate,
  pool: readonly string[],
  category: string,
): AgreementPattern {
  const references: { model: string; agrees: boolean }[] = [];
  let rest = Math.floor(code / 2);
  for (const reference of candidate.references) {
    const state = rest % 3;
    rest = Math.floor(rest / 3);
    if (state !== 0) references.push({ model: pool[reference] as string, agrees: state === 2 });
  }
  return { category, model: pool[candidate.first] as string, answered: code % 2 === 1, references };
}

/** Sums over one fold's records that show one pattern. */
const N = 0;
const CORRECT_FIRST = 1;
const CORRECT_ESCALATION = 2;
const COST_BASE = 3;
const COST_ESCALATION = 4;
const FIELDS = 5;

/** The result of a category's search. */
export interface CategoryPolicies {
  /** Per setting: the chosen candidate (selected on all folds). */
  chosen: PolicyCandidate[];
  /** Per setting: cross-validated sums over the category's records (selection nested inside the folds). */
  outOfFold: { correct: number; costUsd: number }[];
}

/**
 * Searches the candidates for one category. `stats(excluded)` gives the category statistics trained
 * without some folds (thresholds), `counts` the policy verifier's per-fold counts.
 */
export function searchCategoryPolicies(input: {
  category: string;
  records: readonly PreparedRecord[];
  pool: readonly string[];
  folds: number;
  counts: FoldCounts;
  stats: (excluded: readonly number[]) => CategoryStats;
  accuracyPerUsd: readonly number[];
  candidates: readonly PolicyCandidate[];
  options: PolicySearchOptions;
}): CategoryPolicies {
  const { category, records, pool, folds, counts, accuracyPerUsd, candidates, options } = input;
  const size = pool.length;
  const settings = accuracyPerUsd.length;
  // Exclusion sets: none, {k}, {j,k}.
  const exclusions: number[][] = [[]];
  for (let k = 0; k < folds; k += 1) exclusions.push([k]);
  for (let j = 0; j < folds; j += 1) for (let k = j + 1; k < folds; k += 1) exclusions.push([j, k]);
  const exclusionIndex = new Map(exclusions.map((set, index) => [set.join(','), index]));
  const indexOf = (set: number[]) => exclusionIndex.get([...set].sort((a, b) => a - b).join(',')) as number;
  const keeps = exclusions.map((set) => Array.from({ length: folds }, (_, fold) => !set.includes(fold)));
  // Escalation thresholds per (exclusion, escalation model, setting).
  const thresholdCache = new Map<string, Float64Array>();
  const thresholds = (exclusion: number, model: number): Float64Array => {
    const key = `${exclusion}:${model}`;
    let cached = thresholdCache.get(key);
    if (cached === undefined) {
      const stats = input.stats(exclusions[exclusion] as number[]);
      const modelStats = (stats.byCategory[category] ?? stats.overall)[pool[model] as string];
      cached = Float64Array.from(accuracyPerUsd, (price) =>
        modelStats === undefined ? 0 : Math.min(1, Math.max(0, modelStats.accuracy - price * modelStats.costUsd)),
      );
      thresholdCache.set(key, cached);
    }
    return cached;
  };

  // value[candidate][exclusionOfSelection...] is built per (candidate, setting, evaluated fold, exclusion).
  // For each candidate: per fold j and per exclusion E ∋ j, the value of fold j at every setting.
  const perCandidate = candidates.map((candidate) => {
    const aggregates = new Map<number, Float64Array>();
    for (const record of records) {
      const code = patternCode(record, candidate, size);
      let sums = aggregates.get(code);
      if (sums === undefined) {
        sums = new Float64Array(FIELDS * folds);
        aggregates.set(code, sums);
      }
      const base = FIELDS * record.fold;
      let costBase = record.costUsd[candidate.first] as number;
      for (const reference of candidate.references) costBase += record.costUsd[reference] as number;
      sums[base + N] = (sums[base + N] as number) + 1;
      sums[base + CORRECT_FIRST] = (sums[base + CORRECT_FIRST] as number) + (record.correct[candidate.first] as number);
      sums[base + COST_BASE] = (sums[base + COST_BASE] as number) + costBase;
      if (candidate.escalation !== null) {
        sums[base + CORRECT_ESCALATION] =
          (sums[base + CORRECT_ESCALATION] as number) + (record.correct[candidate.escalation] as number);
        sums[base + COST_ESCALATION] =
          (sums[base + COST_ESCALATION] as number) + (record.costUsd[candidate.escalation] as number);
      }
    }
    // Verifier scores per pattern and exclusion (independent of the setting).
    const scores = new Map<number, Float64Array>();
    if (candidate.escalation !== null) {
      for (const code of aggregates.keys()) {
        const entries = calibrationLevelKeys(patternOf(code, candidate, pool, category)).map((key) =>
          counts.entry(key),
        );
        scores.set(
          code,
          Float64Array.from(keeps, (keep) => scoreFromEntries(entries, counts.strength, keep)),
        );
      }
    }
    /** Value (correct − λ·cost) and sums of fold `fold` at setting `setting`, trained without `exclusion`. */
    const evaluate = (fold: number, exclusion: number, setting: number) => {
      const price = accuracyPerUsd[setting] as number;
      const threshold =
        candidate.escalation === null ? 0 : (thresholds(exclusion, candidate.escalation)[setting] as number);
      let correct = 0;
      let cost = 0;
      for (const [code, sums] of aggregates) {
        const base = FIELDS * fold;
        if (sums[base + N] === 0) continue;
        cost += sums[base + COST_BASE] as number;
        const accept = candidate.escalation === null || (scores.get(code)?.[exclusion] as number) >= threshold;
        if (accept) correct += sums[base + CORRECT_FIRST] as number;
        else {
          correct += sums[base + CORRECT_ESCALATION] as number;
          cost += sums[base + COST_ESCALATION] as number;
        }
      }
      return { value: correct - price * cost, correct, cost };
    };
    return { candidate, evaluate, complexity: candidate.references.length + (candidate.escalation === null ? 0 : 1) };
  });

  const foldSizes = Array.from({ length: folds }, (_, fold) => records.filter((record) => record.fold === fold).length);
  const select = (setting: number, heldOut: number | null): PolicyCandidate => {
    let best: { candidate: PolicyCandidate; value: number } | undefined;
    for (const entry of perCandidate) {
      let value = 0;
      let size = 0;
      for (let fold = 0; fold < folds; fold += 1) {
        if (fold === heldOut) continue;
        const exclusion = heldOut === null ? indexOf([fold]) : indexOf([fold, heldOut]);
        value += entry.evaluate(fold, exclusion, setting).value;
        size += foldSizes[fold] as number;
      }
      value -= options.complexityPenalty * entry.complexity * size;
      if (best === undefined || value > best.value + 1e-9) best = { candidate: entry.candidate, value };
    }
    return (best as { candidate: PolicyCandidate }).candidate;
  };
  const chosen: PolicyCandidate[] = [];
  const outOfFold: { correct: number; costUsd: number }[] = [];
  for (let setting = 0; setting < settings; setting += 1) {
    chosen.push(select(setting, null));
    let correct = 0;
    let costUsd = 0;
    for (let fold = 0; fold < folds; fold += 1) {
      if (foldSizes[fold] === 0) continue;
      const candidate = select(setting, fold);
      const entry = perCandidate[candidates.indexOf(candidate)] as (typeof perCandidate)[number];
      const result = entry.evaluate(fold, indexOf([fold]), setting);
      correct += result.correct;
      costUsd += result.cost;
    }
    outOfFold.push({ correct, costUsd });
  }
  return { chosen, outOfFold };
}

/** The stored policy of a candidate at a setting: its stages with thresholds from the statistics. */
export function policyOf(
  candidate: PolicyCandidate,
  pool: readonly string[],
  stats: CategoryStats,
  category: string,
  accuracyPerUsd: number,
): CascadePolicy {
  const first = pool[candidate.first] as string;
  if (candidate.escalation === null) return { stages: [{ model: first, acceptThreshold: 0 }], referenceModels: [] };
  const escalation = pool[candidate.escalation] as string;
  const modelStats = (stats.byCategory[category] ?? stats.overall)[escalation];
  const threshold =
    modelStats === undefined ? 0 : Math.min(1, Math.max(0, modelStats.accuracy - accuracyPerUsd * modelStats.costUsd));
  return {
    stages: [
      { model: first, acceptThreshold: threshold },
      { model: escalation, acceptThreshold: 0 },
    ],
    referenceModels: candidate.references.map((reference) => pool[reference] as string),
  };
}
