import { upperConcaveHull } from '@switchyard/core';

/** A point of a frontier: a system's mean cost per query and accuracy. */
export interface FrontierPoint {
  costUsd: number;
  accuracy: number;
}

/** Budgets at which frontier areas are averaged. */
export const FRONTIER_BUDGETS = 200;

/**
 * The accuracy a set of systems reaches within a budget per query when any two may be mixed (each
 * query goes to one or the other at a chosen rate): the upper concave hull in (cost, accuracy) at that
 * cost; 0 below the cheapest point; the best accuracy beyond the dearest.
 */
export function hullAccuracyAt(hull: readonly FrontierPoint[], budgetUsd: number): number {
  const first = hull[0];
  if (first === undefined || budgetUsd < first.costUsd) return 0;
  for (let index = 1; index < hull.length; index += 1) {
    const right = hull[index] as FrontierPoint;
    if (budgetUsd > right.costUsd) continue;
    const left = hull[index - 1] as FrontierPoint;
    if (right.costUsd === left.costUsd) return right.accuracy;
    return (
      left.accuracy + ((budgetUsd - left.costUsd) / (right.costUsd - left.costUsd)) * (right.accuracy - left.accuracy)
    );
  }
  return (hull[hull.length - 1] as FrontierPoint).accuracy;
}

/**
 * A system kind's frontier area (in the spirit of RouterBench's AIQ): the upper concave hull of the
 * kind's points together with every single model, its accuracy averaged over `FRONTIER_BUDGETS`
 * log-spaced budgets from the cheapest to the dearest single model's cost.
 */
export function frontierArea(points: readonly FrontierPoint[], singles: readonly FrontierPoint[]): number {
  const costs = singles.map((single) => single.costUsd).filter((cost) => cost > 0);
  if (costs.length === 0) return 0;
  const low = Math.min(...costs);
  const high = Math.max(...costs);
  const hull = upperConcaveHull([...points, ...singles]);
  let sum = 0;
  for (let index = 0; index < FRONTIER_BUDGETS; index += 1) {
    const budget = high === low ? high : low * (high / low) ** (index / (FRONTIER_BUDGETS - 1));
    sum += hullAccuracyAt(hull, budget);
  }
  return sum / FRONTIER_BUDGETS;
}
