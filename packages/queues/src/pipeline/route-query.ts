import { planSchema } from '@switchyard/core';
import { isDatabaseUnavailable, Prisma, readPipelineQuery, readQueryForRouting, storeQueryPlan } from '@switchyard/db';
import type { RouteJob } from '../catalog.js';
import { decideQuery } from './decide-query.js';
import type { PipelineDeps, QueryOptions } from './deps.js';
import { failQuery } from './finalize-query.js';

/**
 * Routes one query: asks the router for a plan, stores it, and starts the cascade (decide round 0,
 * run in this job right after the plan is stored, on what routing read: no call has been made yet).
 * Re-running it for a query already past routing only re-enqueues round 0, which is then a no-op.
 */
export async function routeQuery(deps: PipelineDeps, job: RouteJob): Promise<void> {
  const { prisma } = deps;
  // Guarded: a query failed meanwhile (its batch was cancelled) is never routed; one that fails while
  // it is planned is not planned either (storeQueryPlan's guard).
  const routable = await readQueryForRouting(prisma, job.queryId);
  if (routable === null) {
    const query = await readPipelineQuery(prisma, job.queryId);
    if (!query) {
      deps.logger.warn({ queryId: job.queryId }, 'route job for a query that does not exist');
      return;
    }
    // Planned before (a retried or repeated route job): round 0 as a job, a no-op if it ran already.
    if (query.status !== 'completed' && query.status !== 'failed' && query.plan !== null) {
      await deps.queues.enqueueDecide({ queryId: query.id, round: 0 });
    }
    return;
  }
  const { query, keyRemainingUsd } = routable;
  let plan: unknown;
  try {
    plan = await deps.planQuery({
      id: query.id,
      prompt: query.prompt,
      system: query.system,
      options: (query.options ?? {}) as QueryOptions,
      maxCostUsd: query.maxCostUsd === null ? null : new Prisma.Decimal(query.maxCostUsd).toFixed(),
    });
  } catch (error) {
    // A router that could not read the database (its artifact, say) is retried, not failed.
    if (isDatabaseUnavailable(error)) throw error;
    await failQuery(
      deps,
      query.id,
      // A planner error may name its own code (e.g. model_not_found for a pinned model).
      (error as { code?: unknown }).code === 'model_not_found' ? 'model_not_found' : 'routing_failed',
      `the router could not plan this query: ${(error as Error).message}`,
    );
    return;
  }
  const parsed = planSchema.parse(plan);
  if (!(await storeQueryPlan(prisma, query.id, parsed))) return;
  // This job stored the plan, so no decide round has run yet and no call was made: round 0 runs here
  // instead of as a job of its own (one job and one queue round trip less per query), on the state
  // routing read. If this job dies after the plan was stored, its retry takes the branch above.
  await decideQuery(
    deps,
    { queryId: query.id, round: 0 },
    { query: { ...query, plan: parsed, status: 'running' }, attempts: [], keyRemainingUsd },
  );
}
