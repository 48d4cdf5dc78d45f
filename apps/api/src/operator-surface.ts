import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { PrismaClient } from '@switchyard/db';
import { renderBatch } from '@switchyard/openai-compat';
import type { Queues } from '@switchyard/queues';

type Queue = Queues['route'];

import type { Express, RequestHandler } from 'express';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { batchStats } from './handlers/batches.js';
import { readOnly, requireOperator } from './http/operator.js';
import { createPipelineMetrics } from './metrics/pipeline-metrics.js';

/** Job data fields the dashboard shows; anything else (text, if it ever got there) is hidden. */
const VISIBLE_JOB_FIELDS = new Set([
  'queryId',
  'batchId',
  'deliveryId',
  'stage',
  'role',
  'slot',
  'model',
  'round',
  'recovery',
]);

/** Job data as the dashboard shows it: ids and call keys only, never prompt or answer text. */
export function redactJobData(data: unknown): unknown {
  if (data === null || typeof data !== 'object') return data;
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (VISIBLE_JOB_FIELDS.has(key) && (typeof value !== 'object' || value === null)) shown[key] = value;
    else if (key === 'input' && value !== null && typeof value === 'object') {
      shown.input = { kind: (value as { kind?: unknown }).kind };
    } else shown[key] = '[hidden]';
  }
  return shown;
}

/**
 * `/admin/queues` (bull-board) and `/metrics`, both behind the operator token. The dashboard is
 * read-only unless `dashboardWrite`: bull-board's own read-only mode plus a guard refusing every
 * method but GET/HEAD.
 */
export function mountOperatorSurface(
  app: Express,
  deps: { prisma: PrismaClient; queues: Queues; operatorToken: string; dashboardWrite: boolean },
): void {
  const queues = [deps.queues.route, deps.queues.cascade, deps.queues.webhook, deps.queues.batch];
  const operator = requireOperator(deps.operatorToken);

  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  const adapterOf = (queue: Queue) => {
    const adapter = new BullMQAdapter(queue, { readOnlyMode: !deps.dashboardWrite });
    adapter.setFormatter('data', redactJobData);
    return adapter;
  };
  const dashboard = createBullBoard({ queues: queues.map(adapterOf), serverAdapter: board });
  // Each model's calls have a queue of their own, named by the workers when they start: the dashboard
  // and the metrics pick up new ones (read from Redis at most every 10 s).
  const shown = new Set(queues.map((queue) => queue.name));
  let callQueues: Queue[] = [];
  let listedAt = 0;
  const refreshCallQueues = async (): Promise<Queue[]> => {
    if (Date.now() - listedAt < 10_000) return callQueues;
    listedAt = Date.now();
    callQueues = await deps.queues.listCallQueues();
    for (const queue of callQueues) {
      if (shown.has(queue.name)) continue;
      shown.add(queue.name);
      dashboard.addQueue(adapterOf(queue));
    }
    return callQueues;
  };
  const withCallQueues: RequestHandler = (_request, _response, next) => {
    refreshCallQueues().then(() => next(), next);
  };
  if (deps.dashboardWrite) app.use('/admin/queues', operator, withCallQueues, board.getRouter());
  else app.use('/admin/queues', operator, readOnly, withCallQueues, board.getRouter());

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'switchyard_api_' });
  new Gauge({
    name: 'switchyard_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [metrics],
    async collect() {
      for (const queue of [...queues, ...(await refreshCallQueues())]) {
        const counts = await queue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'failed',
          'completed',
          'waiting-children',
        );
        for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
      }
    },
  });
  const pipeline = createPipelineMetrics(deps);
  app.get('/metrics', operator, async (_request, response) => {
    response.setHeader('content-type', metrics.contentType);
    response.send((await metrics.metrics()) + (await pipeline.render()));
  });

  // The ops view of batches: progress, spend and escalation rate of every batch not ended, and of
  // those that ended in the last 24 hours, across all keys.
  app.get('/admin/batches', operator, async (_request, response) => {
    const since = new Date(Date.now() - 24 * 3_600_000);
    const batches = await deps.prisma.batch.findMany({
      where: {
        OR: [
          { status: { in: ['validating', 'in_progress', 'finalizing', 'cancelling'] } },
          { updatedAt: { gte: since } },
        ],
      },
      include: { apiKey: { select: { name: true } } },
      orderBy: { createdAt: 'desc' },
      take: 200,
    });
    const data = [];
    for (const batch of batches) {
      data.push({ ...renderBatch(batch, await batchStats(deps.prisma, batch)), api_key: batch.apiKey.name });
    }
    response.json({ object: 'list', data });
  });
}
