import type { CallRequest } from '../cascade/calls.js';
import { parseUsd } from './usd.js';

/** Limits on what a query may still spend; built from the plan, the context and the money spent. */
export interface CallBudgetInput {
  /** Plan cap over the whole query, USD. */
  maxCostUsd?: number;
  /** Outside cap on what may still be spent now, decimal USD. */
  remainingBudgetUsd?: string;
  /** Already spent on the query (counts against `maxCostUsd`), pico-USD. */
  spentPicoUsd: bigint;
  worstCaseCostUsd?: (request: CallRequest) => string | number;
}

/**
 * Picks, in order, the calls whose worst-case costs fit together into the remaining budget.
 * Deterministic: a call that does not fit is skipped and a later, cheaper one may still fit.
 */
export function selectAffordableCalls(requests: readonly CallRequest[], budget: CallBudgetInput): CallRequest[] {
  const remaining = remainingPicoUsd(budget);
  if (remaining === null) return [...requests];
  const selected: CallRequest[] = [];
  let reserved = 0n;
  for (const request of requests) {
    const worstCase = budget.worstCaseCostUsd ? parseUsd(budget.worstCaseCostUsd(request)) : 0n;
    if (remaining > 0n && reserved + worstCase <= remaining) {
      selected.push(request);
      reserved += worstCase;
    }
  }
  return selected;
}

/** What may still be spent, pico-USD; null = no limit. */
export function remainingPicoUsd(budget: CallBudgetInput): bigint | null {
  const limits: bigint[] = [];
  if (budget.maxCostUsd !== undefined) limits.push(parseUsd(budget.maxCostUsd) - budget.spentPicoUsd);
  if (budget.remainingBudgetUsd !== undefined) limits.push(parseUsd(budget.remainingBudgetUsd));
  if (limits.length === 0) return null;
  let smallest = limits[0] ?? 0n;
  for (const limit of limits) if (limit < smallest) smallest = limit;
  return smallest;
}
