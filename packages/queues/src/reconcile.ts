import { enqueueFinalizeIfReady } from './batches/batch-progress.js';
import { cancelBatch } from './batches/cancel-batch.js';
import type { PipelineDeps } from './pipeline/deps.js';

export interface ReconcileSettings {
  /**
   * A queued query older than this without progress gets its route job enqueued again; so does a
   * pending callback delivery get its delivery job.
   */
  queuedAfterMs: number;
  /** A routing/running query without ledger progress for this long gets a recovery decide job. */
  stalledAfterMs: number;
  /** At most this many queries of each kind, and deliveries, per sweep. */
  limit: number;
}

export const defaultReconcileSettings: ReconcileSettings = {
  queuedAfterMs: 15_000,
  stalledAfterMs: 5 * 60_000,
  limit: 500,
};

/**
 * The round of a recovery decide job started at `now`. Each decision adds one to the round of the
 * decide job that follows it (`decide_<query>_<round>` job ids), so a recovery starts a chain of its
 * own, and chains must never share a round: a shared id makes the later enqueue a no-op (the recovery
 * is lost) or hangs one chain's calls under the other chain's decide job (BullMQ: "Job decide_… has
 * pending dependencies"). A query takes a few dozen decisions at most, and two recoveries of one query
 * are at least a stall period apart: rounds a thousand per millisecond apart never meet, and stay far
 * below 2^53.
 */
export function recoveryRoundAt(now: Date): number {
  return now.getTime() * 1_000;
}

/**
 * Postgres is the source of truth: after Redis lost its queues (restart without persistence), or the
 * API could not enqueue after writing the row, this sweep puts the work back: route jobs of queued
 * queries, recovery decide jobs of stalled ones, delivery jobs of pending callbacks. Job ids derive
 * from rows, so re-enqueueing work that is still queued is a no-op; a recovery decide job re-derives
 * everything from the ledger, and settled calls are never paid again.
 */
export async function reconcileQueries(
  deps: PipelineDeps,
  settings: ReconcileSettings = defaultReconcileSettings,
  now = new Date(),
): Promise<{ requeued: number; recovered: number; webhooks: number; batches: number }> {
  const { prisma, queues } = deps;
  const queued = await prisma.query.findMany({
    where: { status: 'queued', updatedAt: { lt: new Date(now.getTime() - settings.queuedAfterMs) } },
    select: { id: true },
    take: settings.limit,
    orderBy: { createdAt: 'asc' },
  });
  for (const query of queued) await queues.enqueueRoute(query.id, { replaceStale: true });

  const stalled = await prisma.query.findMany({
    where: {
      status: { in: ['routing', 'running'] },
      updatedAt: { lt: new Date(now.getTime() - settings.stalledAfterMs) },
    },
    select: { id: true },
    take: settings.limit,
    orderBy: { updatedAt: 'asc' },
  });
  const recoveryRound = recoveryRoundAt(now);
  for (const query of stalled) {
    await prisma.query.update({ where: { id: query.id }, data: { updatedAt: now } });
    await queues.enqueueDecide({ queryId: query.id, round: recoveryRound, recovery: true });
  }

  // A callback owed for a finished query or batch whose delivery job Redis lost. While the job still
  // exists (waiting, or delayed for its next try) the enqueue is a no-op, as its id derives from the row.
  const pendingWebhooks = await prisma.webhookDelivery.findMany({
    where: { status: 'pending', updatedAt: { lt: new Date(now.getTime() - settings.queuedAfterMs) } },
    select: { id: true },
    take: settings.limit,
    orderBy: { createdAt: 'asc' },
  });
  for (const delivery of pendingWebhooks) await queues.enqueueWebhook(delivery.id, { replaceStale: true });

  // Batches that have not moved for a while: an expansion whose job Redis lost (re-enqueued at its
  // stored cursor; a no-op while that job exists), or a batch whose lines have all ended but whose
  // finalize job was lost or failed for good.
  const idleBatches = await prisma.batch.findMany({
    where: {
      status: { in: ['validating', 'in_progress', 'finalizing', 'cancelling'] },
      updatedAt: { lt: new Date(now.getTime() - settings.queuedAfterMs) },
    },
    select: { id: true, status: true, expansionDone: true, expandedLines: true },
    take: settings.limit,
    orderBy: { updatedAt: 'asc' },
  });
  let batches = 0;
  // Past its completion window a batch expires: like a cancel, queued requests stop, running ones finish.
  const expiring = await prisma.batch.findMany({
    where: { status: { in: ['validating', 'in_progress'] }, expiresAt: { lt: now } },
    select: { id: true },
    take: settings.limit,
  });
  for (const batch of expiring) {
    await cancelBatch(deps, batch.id, null, { expire: true });
    batches += 1;
  }
  for (const batch of idleBatches) {
    if (batch.status === 'finalizing') {
      await queues.enqueueFinalizeBatch(batch.id, { replaceStale: true });
      batches += 1;
    } else if (!batch.expansionDone) {
      await queues.enqueueExpandBatch(batch.id, batch.expandedLines, { replaceStale: true });
      batches += 1;
    } else if (await enqueueFinalizeIfReady(deps, batch.id, { replaceStale: true })) {
      batches += 1;
    }
  }
  return { requeued: queued.length, recovered: stalled.length, webhooks: pendingWebhooks.length, batches };
}
