import { type DecisionState, isDatabaseUnavailable } from '@switchyard/db';
import { type Job, MetricsTime, type MinimalJob, RateLimitError, UnrecoverableError, Worker } from 'bullmq';
import { expandBatch } from './batches/expand-batch.js';
import { finalizeBatch } from './batches/finalize-batch.js';
import {
  batchJobSchema,
  type CallJob,
  callJobSchema,
  decideJobSchema,
  QUEUE_NAMES,
  routeJobSchema,
  webhookJobSchema,
} from './catalog.js';
import { createRedisConnection } from './connection.js';
import { callQueueName, type ModelCallLimits } from './limits/call-queues.js';
import { createModelGate } from './limits/model-gate.js';
import { createSemaphore } from './limits/semaphore.js';
import { createQueueWaitRecorder } from './metrics/queue-wait.js';
import { decideQuery } from './pipeline/decide-query.js';
import type { PipelineDeps } from './pipeline/deps.js';
import { performCall, RefusedJobError, RetryableCallError, ThrottledCallError } from './pipeline/perform-call.js';
import { routeQuery } from './pipeline/route-query.js';
import { deliverWebhook, type WebhookSettings } from './webhooks/deliver-webhook.js';

export type WorkerRole = 'router' | 'cascade' | 'webhook';
export const WORKER_ROLES: readonly WorkerRole[] = ['router', 'cascade', 'webhook'];

export interface WorkerSettings {
  roles: readonly WorkerRole[];
  /** Jobs processed at once, per role. */
  concurrency: Record<WorkerRole, number>;
  webhooks: WebhookSettings;
  /**
   * How long a worker's lock on an active job lasts, ms (renewed every half of it while the job runs).
   * A worker that dies leaves its jobs locked this long before the stalled-job check may take them
   * back. Default: BullMQ's (30 s).
   */
  lockDurationMs?: number;
  /** How often the stalled-job check runs, ms. Default: BullMQ's (30 s). */
  stalledIntervalMs?: number;
  /** Provider calls in flight in this process, across every model (default 256): calls are I/O. */
  maxCallsInFlight?: number;
}

export const DEFAULT_MAX_CALLS_IN_FLIGHT = 256;

export interface RunningWorkers {
  workers: Worker[];
  /** Stops taking jobs and waits for the active ones to finish (graceful shutdown). */
  close(): Promise<void>;
}

/** Exponential backoff that honours the provider's `retry-after` when it gave one. */
function providerBackoff(attemptsMade: number, _type: string | undefined, error: Error | undefined, job?: MinimalJob) {
  if (error instanceof RetryableCallError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const options = job?.opts.backoff;
  const base = typeof options === 'object' && options.delay !== undefined ? options.delay : 1_000;
  return base * 2 ** Math.max(0, attemptsMade - 1);
}

/** This run of the job is its last try: a failure now fails it for good. */
function isLastTry(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** How long a queue's workers pause when a job found the database unreachable, ms. */
const DATABASE_PAUSE_MS = 2_000;

/**
 * What every processor's errors go through:
 * - The database is unreachable (a restart, an outage): the job goes back to waiting without using a
 *   try, and the queue's workers pause for DATABASE_PAUSE_MS (BullMQ's rate limiter, shared by every
 *   worker of the queue). So a job outlives an outage of any length instead of spending its tries
 *   in seconds and waiting for the reconciler.
 * - Failed jobs show their error on the dashboard: keep the message, drop the stack (file paths of the
 *   deployment). Job options can also drop stacks (`stackTraceLimit: 0`), but a job added by someone
 *   else carries its own options, so the processors strip them too.
 */
function guarded<T extends unknown[], R>(
  processor: (...args: T) => Promise<R>,
  worker: () => Worker | undefined,
  logger: PipelineDeps['logger'],
): (...args: T) => Promise<R> {
  return async (...args) => {
    try {
      return await processor(...args);
    } catch (error) {
      const owner = worker();
      if (owner && isDatabaseUnavailable(error)) {
        logger.warn(
          { queue: owner.name, error: (error as Error).message },
          'database unreachable: job back to waiting, queue paused',
        );
        await owner.rateLimit(DATABASE_PAUSE_MS);
        throw Worker.RateLimitError();
      }
      if (error instanceof Error) error.stack = `${error.name}: ${error.message}`;
      throw error;
    }
  };
}

export function startWorkers(deps: PipelineDeps, settings: WorkerSettings): RunningWorkers {
  const { redisUrl, prefix } = deps.queues.settings;
  const workers: Worker[] = [];
  const closers: (() => Promise<void>)[] = [];
  const common = (role: WorkerRole) => ({
    connection: createRedisConnection(redisUrl),
    prefix,
    concurrency: settings.concurrency[role],
    // A worker that dies mid-job leaves it stalled; another worker picks it up again (the ledger
    // makes the repeat safe), a few times before the job is failed.
    maxStalledCount: 3,
    ...(settings.lockDurationMs === undefined ? {} : { lockDuration: settings.lockDurationMs }),
    ...(settings.stalledIntervalMs === undefined ? {} : { stalledInterval: settings.stalledIntervalMs }),
    settings: { backoffStrategy: providerBackoff },
    // Completed/failed counts per minute, kept a day (BullMQ's metrics: `queue.getMetrics`).
    metrics: { maxDataPoints: MetricsTime.ONE_HOUR * 24 },
  });

  if (settings.roles.includes('router')) {
    let worker: Worker | undefined;
    worker = new Worker(
      QUEUE_NAMES.route,
      guarded(
        async (job: Job) => {
          await routeQuery(deps, parse(routeJobSchema, job));
        },
        () => worker,
        deps.logger,
      ),
      common('router'),
    );
    workers.push(worker);
  }
  if (settings.roles.includes('router')) {
    // Batch expansion and finalization run beside routing: they turn input lines into queries.
    const { files } = deps;
    if (files === undefined) throw new Error('the router role needs a file store (batch inputs)');
    let worker: Worker | undefined;
    worker = new Worker(
      QUEUE_NAMES.batch,
      guarded(
        async (job: Job) => {
          const { batchId } = parse(batchJobSchema, job);
          switch (job.name) {
            case 'expand':
              return expandBatch({ ...deps, files }, batchId);
            case 'finalize':
              return finalizeBatch(deps, batchId);
            default:
              throw new UnrecoverableError(`unknown batch job name ${job.name}`);
          }
        },
        () => worker,
        deps.logger,
      ),
      { ...common('router'), concurrency: 2 },
    );
    workers.push(worker);
  }
  if (settings.roles.includes('cascade')) {
    const maxInFlight = settings.maxCallsInFlight ?? DEFAULT_MAX_CALLS_IN_FLIGHT;
    const callSlots = createSemaphore(maxInFlight);
    const limitsRedis = createRedisConnection(redisUrl);
    closers.push(async () => limitsRedis.disconnect());
    const gate = createModelGate(limitsRedis, prefix);
    /** One call job: an in-process slot, the model's gate (pause, tokens per minute), a 429 that pauses the model. */
    const runCall = async (
      job: Job,
      call: CallJob,
      owner: Worker | undefined,
      limits: ModelCallLimits | undefined,
      signal?: AbortSignal,
      onDecisionState?: (state: DecisionState) => void,
    ) => {
      const release = await callSlots.acquire();
      try {
        const lastTry = isLastTry(job);
        const observation = await performCall(deps, call, {
          lastTry,
          ...(onDecisionState ? { onDecisionState } : {}),
          ...(signal ? { signal } : {}),
          ...(limits === undefined
            ? {}
            : {
                admit: async (tokens: number) => {
                  const waitMs = await gate.admit(limits.id, tokens, limits.tpm);
                  if (waitMs > 0) throw new ThrottledCallError(waitMs);
                },
              }),
        });
        return { ok: observation.ok, costUsd: observation.costUsd, errorCode: observation.errorCode ?? null };
      } catch (error) {
        if (error instanceof RefusedJobError) {
          deps.logger.warn({ jobId: job.id, reason: error.message }, 'refused a call job');
          throw new UnrecoverableError(error.message);
        }
        if (error instanceof ThrottledCallError && owner) {
          // Nothing was reserved or sent: the job waits without using a try; the model's queue pauses.
          await owner.rateLimit(error.waitMs);
          throw Worker.RateLimitError();
        }
        if (
          error instanceof RetryableCallError &&
          error.kind === 'rate_limit' &&
          error.retryAfterMs &&
          owner &&
          limits
        ) {
          // The provider said how long to wait: every worker waits, not only this job. The gate holds
          // calls already taken from the queue; the queue's limiter stops taking new ones.
          deps.logger.warn(
            { queue: owner.name, retryAfterMs: error.retryAfterMs },
            'provider rate limit: model paused',
          );
          await gate.pause(limits.id, error.retryAfterMs);
          await owner.rateLimit(error.retryAfterMs);
        }
        throw error;
      } finally {
        release();
      }
    };

    /**
     * A call job, and for the only call of its round (`thenDecide`) the decide step after it. If that
     * decide step cannot run here for good (the job's last try, or a job refused), it is enqueued as a
     * decide job of its own, as a flow parent would have run: the plan goes on without the call.
     * A database outage sends the whole job back to waiting (guarded); its repeat reuses the settled
     * call (the ledger never pays twice) and decides again.
     */
    const callThenDecide = async (
      job: Job,
      owner: Worker | undefined,
      limits: ModelCallLimits | undefined,
      signal?: AbortSignal,
    ) => {
      const call = parse(callJobSchema, job);
      const { queryId, thenDecide } = call;
      try {
        let state: DecisionState | undefined;
        const result = await runCall(
          job,
          call,
          owner,
          limits,
          signal,
          thenDecide === undefined
            ? undefined
            : (settled) => {
                state = settled;
              },
        );
        if (thenDecide !== undefined) await decideQuery(deps, { queryId, round: thenDecide }, state);
        return result;
      } catch (error) {
        const final =
          error instanceof UnrecoverableError ||
          (!isDatabaseUnavailable(error) && !(error instanceof RateLimitError) && isLastTry(job));
        if (thenDecide !== undefined && final) {
          await deps.queues.enqueueDecide({ queryId, round: thenDecide }).catch((enqueueError: Error) => {
            // The reconciler finds the query stalled and recovers it.
            deps.logger.warn(
              { queryId, error: enqueueError.message },
              'could not enqueue the decide step of a failed call',
            );
          });
        }
        throw error;
      }
    };

    let worker: Worker | undefined;
    worker = new Worker(
      QUEUE_NAMES.cascade,
      guarded(
        async (job: Job, _token?: string, signal?: AbortSignal) => {
          switch (job.name) {
            // Calls of models without a queue served here (and jobs enqueued before per-model queues).
            case 'call':
              return callThenDecide(job, undefined, undefined, signal);
            case 'decide':
              return decideQuery(deps, parse(decideJobSchema, job));
            default:
              throw new UnrecoverableError(`unknown cascade job name ${job.name}`);
          }
        },
        () => worker,
        deps.logger,
      ),
      common('cascade'),
    );
    workers.push(worker);

    for (const limits of deps.callModels ?? []) {
      let callWorker: Worker | undefined;
      callWorker = new Worker(
        callQueueName(limits.id),
        guarded(
          async (job: Job, _token?: string, signal?: AbortSignal) => {
            if (job.name !== 'call') throw new UnrecoverableError(`unknown call queue job name ${job.name}`);
            return callThenDecide(job, callWorker, limits, signal);
          },
          () => callWorker,
          deps.logger,
        ),
        { ...common('cascade'), concurrency: Math.min(limits.concurrency ?? maxInFlight, maxInFlight) },
      );
      workers.push(callWorker);
    }
  }
  if (settings.roles.includes('webhook')) {
    let worker: Worker | undefined;
    worker = new Worker(
      QUEUE_NAMES.webhook,
      guarded(
        async (job: Job) => {
          const lastTry = isLastTry(job);
          return deliverWebhook(deps, parse(webhookJobSchema, job).deliveryId, settings.webhooks, { lastTry });
        },
        () => worker,
        deps.logger,
      ),
      common('webhook'),
    );
    workers.push(worker);
  }
  // Queue wait: from a job's creation (or the end of its delay) to the moment a worker took it, on its
  // first try. Decide jobs are left out: they wait for their calls by design.
  const metricsRedis = createRedisConnection(redisUrl);
  const queueWaits = createQueueWaitRecorder(metricsRedis, prefix);
  for (const worker of workers) {
    worker.on('active', (job) => {
      if (job.attemptsMade > 0 || job.name === 'decide') return;
      const readyAt = job.timestamp + (job.opts.delay ?? 0);
      queueWaits.record(worker.name, (job.processedOn ?? Date.now()) - readyAt);
    });
  }
  for (const worker of workers) {
    worker.on('failed', (job, error) => {
      deps.logger.warn(
        { queue: worker.name, jobId: job?.id, attemptsMade: job?.attemptsMade, error: error.message },
        'job failed',
      );
    });
    worker.on('error', (error) => {
      deps.logger.error({ queue: worker.name, error: error.message }, 'worker error');
    });
  }
  return {
    workers,
    async close() {
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await Promise.allSettled(closers.map((close) => close()));
      await queueWaits.close();
      metricsRedis.disconnect();
    },
  };
}

function parse<T>(
  schema: { safeParse(data: unknown): { success: true; data: T } | { success: false; error: Error } },
  job: Job,
): T {
  const result = schema.safeParse(job.data);
  if (!result.success) throw new UnrecoverableError(`invalid ${job.name} job data: ${result.error.message}`);
  return result.data;
}
