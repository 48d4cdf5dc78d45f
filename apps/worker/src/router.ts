import { type AnswerType, answerTypeSchema, createFixedRouter, type Plan } from '@switchyard/core';
import type { RoutableQuery } from '@switchyard/queues';

/**
 * The router the workers use: the fixed cheap→expensive cascade over the pool, with the query's
 * quality knob (or the deployment default) and budget. The answer type (how answers are extracted and
 * compared by the judges) comes from `metadata.answerType` when the client gives it.
 */
export function createPlanQuery(pool: readonly string[], defaultQuality: number) {
  return (query: RoutableQuery): Plan => {
    const metadata = query.options.metadata ?? {};
    const answerType = parseAnswerType(metadata.answerType);
    const category = typeof metadata.category === 'string' ? metadata.category : undefined;
    const router = createFixedRouter({
      models: pool,
      quality: query.options.quality ?? defaultQuality,
      ...(query.maxCostUsd === null ? {} : { maxCostUsd: Number(query.maxCostUsd) }),
    });
    return router({ answerType, ...(category === undefined ? {} : { category }) });
  };
}

function parseAnswerType(value: unknown): AnswerType {
  const parsed = answerTypeSchema.safeParse(value);
  return parsed.success ? parsed.data : 'literal';
}
