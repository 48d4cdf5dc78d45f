import { createBatcher } from '@switchyard/db';
import { FlowProducer, type JobState, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  batchJobSchema,
  type CallJob,
  callJobSchema,
  type DecideJob,
  decideJobSchema,
  defaultJobOptions,
  defaultRetrySettings,
  jobIds,
  QUEUE_NAMES,
  type RetrySettings,
  routeJobSchema,
  webhookJobSchema,
} from './catalog.js';
import { createRedisConnection } from './connection.js';
import { callQueueName, callQueueRegistryKey, type ModelCallLimits, servedModelsKey } from './limits/call-queues.js';

export interface QueueSettings {
  redisUrl: string;
  /** Redis key prefix of every queue; tests and side-by-side deployments use their own. */
  prefix: string;
  retry?: RetrySettings;
  /**
   * How long `enqueueRoute` waits for Redis before it rejects, ms (default 2 s). The queue connection
   * waits for an unreachable Redis forever; a route job is the one enqueue the reconciler repeats for
   * a queued query, so its caller (the API, after writing the row) may give up and answer instead.
   */
  routeEnqueueTimeoutMs?: number;
}

/**
 * `replaceStale`: the reconciler re-creates work that Postgres says is still pending. A job of the
 * same id that will still run (waiting, delayed, active, ...) is left alone; any other job of that id
 * is removed first and added again: one that failed for good, one that completed although its work is
 * not done, or one orphaned by a partial loss of Redis keys (its hash kept while the list that
 * scheduled it was lost: no worker will ever take it, and adding the same id again is a no-op).
 */
export interface ReplaceOptions {
  replaceStale?: boolean;
}

/** The producers of the system: the API and workers enqueue only through these. */
export interface Queues {
  settings: Required<QueueSettings>;
  route: Queue;
  cascade: Queue;
  webhook: Queue;
  batch: Queue;
  /** The call queue of a model (its limits hold across every worker: see `callQueueName`). */
  callQueue(modelId: string): Queue;
  /**
   * Stores each model's limits on its call queue (BullMQ's global concurrency and rate limit, read by
   * every worker of the queue; a limit no longer configured is removed) and records the queue as
   * served (the dashboard and metrics list it). Workers do this at startup: the last one started wins.
   */
  configureCallQueues(models: readonly ModelCallLimits[]): Promise<void>;
  /** Every call queue any worker has served on this prefix. */
  listCallQueues(): Promise<Queue[]>;
  /**
   * The model ids worker processes serve (their registries, as configureCallQueues recorded them),
   * sorted, with the unix time a worker first served each (`GET /v1/models`).
   */
  listServedModels(): Promise<{ id: string; created: number }[]>;
  enqueueRoute(queryId: string, options?: ReplaceOptions): Promise<void>;
  /** Route jobs of many queries in one round trip (a batch's chunk). */
  enqueueRoutes(queryIds: readonly string[]): Promise<void>;
  /** The expand job of a batch at its stored cursor (`expandedLines`). */
  enqueueExpandBatch(batchId: string, expandedLines: number, options?: ReplaceOptions): Promise<void>;
  /** The finalize job of a batch. */
  enqueueFinalizeBatch(batchId: string, options?: ReplaceOptions): Promise<void>;
  /**
   * Adds a decide job that runs once every call job under it has finished (a BullMQ flow), and
   * returns how many calls it put under it. Each call goes to its model's queue; `servedModel` false
   * puts it on the shared cascade queue instead (a model no worker serves a queue for, whose call is
   * then refused and recorded there).
   *
   * `recovery` (a stalled query's recovery decide job): a call's job id derives from its ledger key, so
   * it may still exist from before the stall. A call whose job will still run is left out: it belongs
   * to another decide job, and BullMQ's FlowProducer silently drops a child that has another parent,
   * which would leave this parent waiting for nothing. Every other job of a call (failed for good,
   * e.g. its tries used up while the database was down; completed without a settled attempt; orphaned
   * by a partial loss of Redis keys) is removed and the call added again. With no call left to add,
   * no decide job is added either (0): the live call jobs' settlement is ledger progress, and the
   * reconciler recovers the query again if nothing follows it.
   */
  enqueueCallsThenDecide(
    decide: DecideJob,
    calls: CallJob[],
    options?: { recovery?: boolean; servedModel?: (modelId: string) => boolean },
  ): Promise<number>;
  enqueueDecide(decide: DecideJob): Promise<void>;
  enqueueWebhook(deliveryId: string, options?: ReplaceOptions): Promise<void>;
  close(): Promise<void>;
}

export function createQueues(settings: QueueSettings): Queues {
  const full: Required<QueueSettings> = { retry: defaultRetrySettings, routeEnqueueTimeoutMs: 2_000, ...settings };
  const connection: Redis = createRedisConnection(full.redisUrl);
  const common = { connection, prefix: full.prefix };
  const route = new Queue(QUEUE_NAMES.route, { ...common, defaultJobOptions: defaultJobOptions('route', full.retry) });
  const cascadeOptions = defaultJobOptions('cascade', full.retry);
  const cascade = new Queue(QUEUE_NAMES.cascade, { ...common, defaultJobOptions: cascadeOptions });
  const webhook = new Queue(QUEUE_NAMES.webhook, {
    ...common,
    defaultJobOptions: defaultJobOptions('webhook', full.retry),
  });
  const batch = new Queue(QUEUE_NAMES.batch, { ...common, defaultJobOptions: defaultJobOptions('batch', full.retry) });
  const flows = new FlowProducer(common);
  const decideOptions = { ...cascadeOptions, attempts: 5, backoff: { type: 'exponential', delay: 500 } };
  const callQueues = new Map<string, Queue>();
  const callQueueByName = (name: string): Queue => {
    let queue = callQueues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { ...common, defaultJobOptions: cascadeOptions });
      callQueues.set(name, queue);
    }
    return queue;
  };
  const registryKey = callQueueRegistryKey(full.prefix);

  /**
   * Adds a job: every job added to a queue in one turn of the event loop goes to Redis in one addBulk
   * (one round trip instead of one per job; hundreds of jobs of a worker process finish at once).
   * The promise resolves when Redis has the job.
   */
  const adders = new WeakMap<Queue, (job: { name: string; data: object; opts: JobsOptions }) => Promise<unknown>>();
  const addJob = (queue: Queue, name: string, data: object, opts: JobsOptions) => {
    let add = adders.get(queue);
    if (add === undefined) {
      add = createBatcher({
        maxBatch: 500,
        run: async (jobs: readonly { name: string; data: object; opts: JobsOptions }[]) =>
          (await queue.addBulk([...jobs])).map((job) => ({ ok: true as const, value: job })),
      });
      adders.set(queue, add);
    }
    return add({ name, data, opts });
  };

  /**
   * Removes the job `id` of `queue` unless it will still run; true when there is no such job any more
   * (removed, or there was none), false when a live job keeps it.
   */
  async function removeUnlessLive(queue: Queue, id: string): Promise<boolean> {
    const [job, state] = await Promise.all([queue.getJob(id), queue.getJobState(id)]);
    if (job !== undefined && LIVE_STATES.has(state)) return false;
    if (job === undefined && state === 'unknown') return true;
    // 0 = locked by a worker: it is running after all, and finishes on its own.
    return (await queue.remove(id)) === 1;
  }

  return {
    settings: full,
    route,
    cascade,
    webhook,
    batch,
    callQueue: (modelId) => callQueueByName(callQueueName(modelId)),
    async configureCallQueues(models) {
      for (const model of models) {
        const queue = callQueueByName(callQueueName(model.id));
        if (model.concurrency === null) await queue.removeGlobalConcurrency();
        else await queue.setGlobalConcurrency(model.concurrency);
        if (model.rpm === null) await queue.removeGlobalRateLimit();
        else await queue.setGlobalRateLimit(model.rpm, 60_000);
      }
      if (models.length > 0) {
        const created = Math.floor(Date.now() / 1000);
        const write = connection.multi().sadd(registryKey, ...models.map((model) => callQueueName(model.id)));
        for (const model of models) write.hsetnx(servedModelsKey(full.prefix), model.id, String(created));
        await write.exec();
      }
    },
    async listServedModels() {
      const served = await connection.hgetall(servedModelsKey(full.prefix));
      return Object.entries(served)
        .map(([id, created]) => ({ id, created: Number(created) }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async listCallQueues() {
      const names = await connection.smembers(registryKey);
      return names.sort().map(callQueueByName);
    },
    async enqueueRoutes(queryIds) {
      if (queryIds.length === 0) return;
      await route.addBulk(
        queryIds.map((queryId) => ({
          name: 'route',
          data: routeJobSchema.parse({ queryId }),
          opts: { jobId: jobIds.route(queryId) },
        })),
      );
    },
    async enqueueExpandBatch(batchId, expandedLines, options = {}) {
      const data = batchJobSchema.parse({ batchId });
      const id = jobIds.expand(batchId, expandedLines);
      if (options.replaceStale) await removeUnlessLive(batch, id);
      await batch.add('expand', data, { jobId: id });
    },
    async enqueueFinalizeBatch(batchId, options = {}) {
      const data = batchJobSchema.parse({ batchId });
      const id = jobIds.finalizeBatch(batchId);
      if (options.replaceStale) await removeUnlessLive(batch, id);
      await batch.add('finalize', data, { jobId: id });
    },
    async enqueueRoute(queryId, options = {}) {
      const data = routeJobSchema.parse({ queryId });
      const id = jobIds.route(queryId);
      await withTimeout(
        (async () => {
          if (options.replaceStale) await removeUnlessLive(route, id);
          await addJob(route, 'route', data, { jobId: id });
        })(),
        full.routeEnqueueTimeoutMs,
        `enqueue route job of query ${queryId}: Redis did not answer`,
      );
    },
    async enqueueCallsThenDecide(decide, requested, options = {}) {
      const parent = decideJobSchema.parse(decide);
      const queueOf = (call: CallJob) =>
        options.servedModel === undefined || options.servedModel(call.model) ? callQueueName(call.model) : cascade.name;
      const queueFor = (call: CallJob) => {
        const name = queueOf(call);
        return name === cascade.name ? cascade : callQueueByName(name);
      };
      let calls = requested;
      if (options.recovery) {
        calls = [];
        for (const call of requested) {
          if (await removeUnlessLive(queueFor(call), jobIds.call(call))) calls.push(call);
        }
        if (calls.length === 0) return 0;
      }
      const [only] = calls;
      if (only !== undefined && calls.length === 1 && !options.recovery) {
        // The round's only call decides the next step itself (see callJobSchema's thenDecide): a
        // plain job in its model's queue instead of a flow of two jobs.
        const data = callJobSchema.parse({ ...only, thenDecide: parent.round });
        await addJob(queueFor(data), 'call', data, { ...cascadeOptions, jobId: jobIds.call(data) });
        return 1;
      }
      await flows.add({
        name: 'decide',
        queueName: QUEUE_NAMES.cascade,
        data: parent,
        opts: { ...decideOptions, jobId: jobIds.decide(parent.queryId, parent.round) },
        children: calls.map((call) => {
          const data = callJobSchema.parse(call);
          return {
            name: 'call',
            queueName: queueOf(data),
            data,
            // A call that finally fails is recorded in the ledger by its processor; the parent
            // decide job must still run and let the plan continue without it.
            opts: { ...cascadeOptions, jobId: jobIds.call(data), ignoreDependencyOnFailure: true },
          };
        }),
      });
      return calls.length;
    },
    async enqueueDecide(decide) {
      const data = decideJobSchema.parse(decide);
      await addJob(cascade, 'decide', data, { ...decideOptions, jobId: jobIds.decide(data.queryId, data.round) });
    },
    async enqueueWebhook(deliveryId, options = {}) {
      const data = webhookJobSchema.parse({ deliveryId });
      const id = jobIds.webhook(deliveryId);
      if (options.replaceStale) await removeUnlessLive(webhook, id);
      await addJob(webhook, 'deliver', data, { jobId: id });
    },
    async close() {
      await Promise.allSettled([
        route.close(),
        cascade.close(),
        webhook.close(),
        batch.close(),
        flows.close(),
        ...[...callQueues.values()].map((queue) => queue.close()),
      ]);
      connection.disconnect();
    },
  };
}

/** States of a job that will run, or is running, without anyone's help. */
const LIVE_STATES: ReadonlySet<JobState | 'unknown'> = new Set<JobState>([
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
]);

/**
 * Rejects after `ms` if `promise` has not settled. The command stays queued in the connection and
 * may still run when Redis is back (harmless: job ids are idempotent); its late outcome is ignored.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
