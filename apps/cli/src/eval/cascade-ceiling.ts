import { answersEqual, extractAnswer, upperConcaveHull } from '@switchyard/core';
import type { BenchRecord } from '@switchyard/datasets';
import { type FrontierPoint, hullAccuracyAt } from './frontier-area.js';

/**
 * The ceiling of per-category agreement cascades on the evaluated records: what the best such policy
 * could reach at each cost if it were chosen with the test labels in hand. Like the oracle it reads the
 * labels, so it is a bound, not a system: it says whether a bar is reachable on a dataset at all by the
 * kind of policy Switchyard's routers learn, however well they learned it.
 *
 * A policy, per category (the record's own, as the labels give it): one model; or a set of 2 to
 * `maxModels` models called together whose extracted answers must all be equal (the cheapest member's
 * answer is kept), else one model outside the set is called and its answer kept. Any two policies of a
 * category may be mixed (a share of its queries takes each), and every category spends its share of the
 * budget where it buys the most accuracy: per category the upper concave hull of its policies' (cost,
 * accuracy), combined by marginal accuracy per dollar (a fractional knapsack, exact for mixtures).
 */
export interface CascadeCeiling {
  /** At most this many models agree in a policy. */
  maxModels: number;
  /** Policies evaluated per category. */
  policies: number;
  /** The combined hull: mean cost per query and accuracy, cheapest first. */
  points: FrontierPoint[];
}

export const CEILING_MAX_MODELS = 4;

interface Prepared {
  answers: (string | null)[];
  correct: boolean[];
  cost: number[];
  answerType: BenchRecord['answerType'];
}

export function cascadeCeiling(
  records: readonly BenchRecord[],
  models: readonly string[],
  maxModels = CEILING_MAX_MODELS,
): CascadeCeiling {
  const byCategory = new Map<string, Prepared[]>();
  for (const record of records) {
    const prepared: Prepared = {
      answers: models.map((model) => {
        const response = record.responses[model];
        return response === undefined ? null : extractAnswer(response.text, record.answerType);
      }),
      correct: models.map((model) => record.responses[model]?.correct === true),
      cost: models.map((model) => record.responses[model]?.costUsd ?? 0),
      answerType: record.answerType,
    };
    const list = byCategory.get(record.category);
    if (list === undefined) byCategory.set(record.category, [prepared]);
    else list.push(prepared);
  }
  const sets = subsets(models.length, Math.min(maxModels, models.length));
  let policies = 0;
  // Per category: its hull in (total cost, total correct), cheapest first.
  const hulls: FrontierPoint[][] = [];
  for (const list of byCategory.values()) {
    const points: FrontierPoint[] = [];
    for (let model = 0; model < models.length; model += 1) {
      let correct = 0;
      let cost = 0;
      for (const record of list) {
        correct += record.correct[model] ? 1 : 0;
        cost += record.cost[model] as number;
      }
      points.push({ costUsd: cost, accuracy: correct });
    }
    for (const set of sets) {
      // Which records the set accepts, the set's cost and its correct answers there.
      let baseCost = 0;
      const accepted: boolean[] = [];
      let acceptedCorrect = 0;
      for (const record of list) {
        for (const member of set) baseCost += record.cost[member] as number;
        const first = record.answers[set[0] as number] ?? null;
        const agree = set.every((member) => answersEqual(first, record.answers[member] ?? null, record.answerType));
        accepted.push(agree);
        if (agree && record.correct[set[0] as number]) acceptedCorrect += 1;
      }
      for (let fallback = 0; fallback < models.length; fallback += 1) {
        if (set.includes(fallback)) continue;
        let correct = acceptedCorrect;
        let cost = baseCost;
        list.forEach((record, index) => {
          if (accepted[index]) return;
          correct += record.correct[fallback] ? 1 : 0;
          cost += record.cost[fallback] as number;
        });
        points.push({ costUsd: cost, accuracy: correct });
      }
    }
    policies = Math.max(policies, points.length);
    hulls.push(upperConcaveHull(points));
  }
  // Start every category at its hull's first point, then buy segments by accuracy per dollar.
  let cost = 0;
  let correct = 0;
  const segments: { slope: number; cost: number; correct: number }[] = [];
  for (const hull of hulls) {
    const first = hull[0] as FrontierPoint;
    cost += first.costUsd;
    correct += first.accuracy;
    for (let index = 1; index < hull.length; index += 1) {
      const left = hull[index - 1] as FrontierPoint;
      const right = hull[index] as FrontierPoint;
      const segmentCost = right.costUsd - left.costUsd;
      const segmentCorrect = right.accuracy - left.accuracy;
      segments.push({
        slope: segmentCost === 0 ? Number.POSITIVE_INFINITY : segmentCorrect / segmentCost,
        cost: segmentCost,
        correct: segmentCorrect,
      });
    }
  }
  segments.sort((a, b) => b.slope - a.slope);
  const count = Math.max(1, records.length);
  const combined: FrontierPoint[] = [{ costUsd: cost / count, accuracy: correct / count }];
  for (const segment of segments) {
    cost += segment.cost;
    correct += segment.correct;
    combined.push({ costUsd: cost / count, accuracy: correct / count });
  }
  return { maxModels, policies, points: upperConcaveHull(combined) };
}

/** The ceiling's accuracy at a mean cost per query (0 below its cheapest point). */
export function ceilingAccuracyAt(ceiling: CascadeCeiling, budgetUsd: number): number {
  return hullAccuracyAt(ceiling.points, budgetUsd);
}

/** The ceiling's cheapest mean cost per query that reaches an accuracy, or null if it never does. */
export function ceilingCostFor(ceiling: CascadeCeiling, accuracy: number): number | null {
  const points = ceiling.points;
  for (let index = 0; index < points.length; index += 1) {
    const right = points[index] as FrontierPoint;
    if (right.accuracy < accuracy) continue;
    if (index === 0) return right.costUsd;
    const left = points[index - 1] as FrontierPoint;
    return (
      left.costUsd + ((accuracy - left.accuracy) / (right.accuracy - left.accuracy)) * (right.costUsd - left.costUsd)
    );
  }
  return null;
}

/** Every subset of {0..n-1} with 2 to `largest` members, ascending. */
function subsets(n: number, largest: number): number[][] {
  const result: number[][] = [];
  const walk = (from: number, chosen: number[]) => {
    if (chosen.length >= 2) result.push(chosen);
    if (chosen.length === largest) return;
    for (let index = from; index < n; index += 1) walk(index + 1, [...chosen, index]);
  };
  walk(0, []);
  return result;
}
