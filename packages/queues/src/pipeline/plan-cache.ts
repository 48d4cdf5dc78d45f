import { type Plan, planSchema } from '@switchyard/core';

/**
 * A query's plan, parsed once per process. A plan never changes once stored (storeQueryPlan writes it
 * only while the query has none), so the plan parsed for one of a query's jobs is the plan of all
 * its later jobs: each call and decide step validated it again with the schema (~13 µs, and a
 * tenth of a worker's allocations with the decide step's own). Bounded: the oldest entries go first;
 * a miss only parses again.
 */
export function createPlanCache(capacity = 4_096) {
  const plans = new Map<string, Plan>();
  return {
    /** The parsed plan of `queryId`, `null` when `raw` is not a valid plan (never cached). */
    parse(queryId: string, raw: unknown): Plan | null {
      const cached = plans.get(queryId);
      if (cached !== undefined) return cached;
      const parsed = planSchema.safeParse(raw);
      if (!parsed.success) return null;
      // Frozen: a step that mutated a shared plan would change it for the query's later steps.
      const plan = deepFreeze(parsed.data);
      plans.set(queryId, plan);
      if (plans.size > capacity) plans.delete(plans.keys().next().value as string);
      return plan;
    },
    get size() {
      return plans.size;
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The process's cache, shared by the call and decide steps. */
export const planCache = createPlanCache();
