import { randomBytes } from 'node:crypto';
import type { Plan } from '@switchyard/core';
import {
  beginAttempt,
  connectClient,
  createFileStore,
  createPrismaClient,
  type FileStore,
  type PrismaClient,
  settleAttempt,
} from '@switchyard/db';
import { createTestDatabase, type TestDatabase } from '@switchyard/db/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jobIds } from '../catalog.js';
import { createQueues, type Queues } from '../queues.js';
import { reconcileQueries } from '../reconcile.js';
import { type RunningWorkers, startWorkers } from '../workers.js';
import { decideQuery } from './decide-query.js';
import type { GatewayResult, ModelGateway, PipelineDeps } from './deps.js';
import { routeQuery } from './route-query.js';

// The reconciler puts back work that Postgres says is pending and Redis no longer runs. These tests
// build the broken Redis states directly (a partial loss of keys, an earlier recovery's chain of decide
// jobs) instead of waiting for a race to produce them, and check that the recovery moves the query on.

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = { info() {}, warn() {}, error() {} };
const plan: Plan = {
  version: 1,
  router: 'fixed',
  answerType: 'number',
  stages: [{ model: 'only' }],
  judges: [],
  acceptThreshold: 1,
};
const PRICE_USD = '0.001';

let database: TestDatabase;
let prisma: PrismaClient;
let files: FileStore;
let redis: Redis;
let queues: Queues;
let workers: RunningWorkers | undefined;
/** Model calls made through the fake gateway, by prompt. */
let calls: string[] = [];

const models: ModelGateway = {
  providerOf: () => 'fake',
  callPricing: () => ({ pricing: { kind: 'fixed', worstCaseUsd: PRICE_USD } }),
  minimumCostUsd: () => PRICE_USD,
  async generate(_model, input): Promise<GatewayResult> {
    calls.push(input.prompt ?? '');
    return {
      text: '42',
      provider: 'fake',
      costUsd: PRICE_USD,
      inputTokens: 3,
      outputTokens: 1,
      latencyMs: 1,
      providerRequestId: null,
      finishReason: 'stop',
      finish: 'stop',
      warnings: [],
      simulated: true,
    };
  },
};

function pipeline(planQuery: PipelineDeps['planQuery'] = () => plan): PipelineDeps {
  return { prisma, queues, models, planQuery, logger: silent, files };
}

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_recovery' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 4 });
  files = createFileStore({ databaseUrl: database.url, maxConnections: 1 });
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
});
afterEach(async () => {
  await workers?.close();
  workers = undefined;
  await Promise.all([queues.route, queues.cascade].map((queue) => queue.obliterate({ force: true }).catch(() => {})));
  await queues.close();
});
afterAll(async () => {
  redis.disconnect();
  await files.close();
  await prisma.$disconnect();
  await database.drop();
});

/** A fresh queue prefix per test, so one test's jobs never meet another's. */
function useFreshQueues() {
  queues = createQueues({ redisUrl, prefix: `sy_recovery_${randomBytes(4).toString('hex')}` });
  calls = [];
}

async function runningQuery(prompt: string): Promise<string> {
  const query = await prisma.query.create({ data: { prompt, status: 'running', plan } });
  return query.id;
}

/** The time a sweep must run at to find `queryId` stalled (its last change is older than `stalledAfterMs`). */
async function stalledAt(queryId: string, stalledAfterMs: number): Promise<Date> {
  const { updatedAt } = await prisma.query.findUniqueOrThrow({ where: { id: queryId } });
  return new Date(updatedAt.getTime() + stalledAfterMs + 1);
}

const sweep = (now: Date, stalledAfterMs = 1_000) =>
  reconcileQueries(pipeline(), { queuedAfterMs: 1_000, stalledAfterMs, limit: 100 }, now);

/** The recovery decide jobs waiting in the cascade queue for `queryId`. */
async function recoveryJobs(queryId: string) {
  const jobs = await queues.cascade.getJobs(['waiting']);
  return jobs.filter((job) => job.name === 'decide' && job.data.queryId === queryId && job.data.recovery === true);
}

async function waitForStatus(queryId: string, status: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const query = await prisma.query.findUniqueOrThrow({ where: { id: queryId } });
    if (query.status === status) return query;
    if (Date.now() > deadline) throw new Error(`query ${queryId} is ${query.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startCascadeWorkers(roles: ('router' | 'cascade')[] = ['cascade']) {
  workers = startWorkers(pipeline(), {
    roles,
    concurrency: { router: 2, cascade: 4, webhook: 1 },
    webhooks: { signingSecret: 'recovery-test-secret-0123', allowPrivateTargets: true, timeoutMs: 1_000 },
  });
}

describe('a round of one call', () => {
  it('runs as one job that decides the next step itself: no decide job, no flow', async () => {
    useFreshQueues();
    const queryId = await runningQuery('single call');
    expect(await decideQuery(pipeline(), { queryId, round: 0 })).toBe('calls:1');
    const call = await queues.cascade.getJob(jobIds.call({ queryId, stage: 0, role: 'answer', slot: 0 }));
    expect(call?.data).toMatchObject({ queryId, stage: 0, thenDecide: 1 });
    expect(call?.parentKey).toBeUndefined();
    expect(await queues.cascade.getJobState(jobIds.decide(queryId, 1))).toBe('unknown');
    startCascadeWorkers();
    const query = await waitForStatus(queryId, 'completed');
    expect(query.answer).toBe('42');
    expect(await queues.cascade.getJobState(jobIds.decide(queryId, 1))).toBe('unknown');
    expect(calls).toEqual(['single call']);
  });

  it('whose job fails for good (refused) still moves the plan on: its decide step is enqueued as a job', async () => {
    useFreshQueues();
    const queryId = await runningQuery('refused single call');
    // A call the plan does not have (stage 5): refused without calling anything.
    await queues.cascade.add(
      'call',
      { queryId, stage: 5, role: 'answer', slot: 0, model: 'only', input: { kind: 'query' }, thenDecide: 1 },
      { jobId: 'refused-call', attempts: 1 },
    );
    startCascadeWorkers();
    const query = await waitForStatus(queryId, 'completed');
    expect(await queues.cascade.getJobState('refused-call')).toBe('failed');
    expect(await queues.cascade.getJobState(jobIds.decide(queryId, 1)), 'the fallback decide job ran').toBe(
      'completed',
    );
    // The decide step made the planned call (stage 0) and finished with its answer.
    expect(query.answerModel).toBe('only');
    expect(calls).toEqual(['refused single call']);
  });
});

/**
 * Every statement on the pipeline's tables fails for as long as it lasts (each one waits for a lock
 * this holds and is cancelled), as in test/durability.test.ts. Returns the function that ends it.
 */
async function failEveryStatement(): Promise<() => Promise<void>> {
  const locker = await connectClient(database.url, 'the test database');
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE queries, attempts IN ACCESS EXCLUSIVE MODE');
  // Cancelled from another connection: inside the locker's transaction pg_stat_activity is a snapshot.
  const canceller = await connectClient(database.url, 'the test database');
  let on = true;
  const cancelling = (async () => {
    while (on) {
      await canceller
        .query(
          `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )
        .catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return async () => {
    on = false;
    await cancelling;
    await canceller.end();
    await locker.query('COMMIT');
    await locker.end();
  };
}

describe('a call job whose tries an outage uses up', () => {
  it('is replaced by the stall sweep; the query completes with the call made once', async () => {
    queues = createQueues({
      redisUrl,
      prefix: `sy_recovery_${randomBytes(4).toString('hex')}`,
      retry: { callAttempts: 2, callBackoffMs: 50, webhookAttempts: 1, webhookBackoffMs: 50 },
    });
    calls = [];
    const queryId = await runningQuery('outage single call');
    expect(await decideQuery(pipeline(), { queryId, round: 0 })).toBe('calls:1');
    const callId = jobIds.call({ queryId, stage: 0, role: 'answer', slot: 0 });

    const end = await failEveryStatement();
    try {
      startCascadeWorkers();
      for (const deadline = Date.now() + 15_000; (await queues.cascade.getJobState(callId)) !== 'failed'; ) {
        if (Date.now() > deadline) throw new Error(`call job is ${await queues.cascade.getJobState(callId)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await end();
    }
    expect((await queues.cascade.getJob(callId))?.attemptsMade, 'both tries used up').toBe(2);
    expect(calls, 'nothing was sent: the call never got past reading its query').toEqual([]);

    // Its decide step ran as a job of its own and asked for the call again; the failed job's id keeps
    // that from running until the stall sweep replaces it.
    for (const deadline = Date.now() + 10_000; ; ) {
      if ((await queues.cascade.getJobState(jobIds.decide(queryId, 1))) === 'completed') break;
      if (Date.now() > deadline) throw new Error('the fallback decide job did not run');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await prisma.query.findUniqueOrThrow({ where: { id: queryId } })).status).toBe('running');
    expect(await sweep(await stalledAt(queryId, 1_000))).toMatchObject({ recovered: 1 });
    await waitForStatus(queryId, 'completed');
    const attempts = await prisma.attempt.findMany({ where: { queryId }, include: { providerTries: true } });
    expect(attempts.map((attempt) => [attempt.outcome, attempt.providerTries.length])).toEqual([['succeeded', 1]]);
    expect(calls).toEqual(['outage single call']);
  }, 30_000);
});

describe('recovering a stalled query', () => {
  it('replaces a call job orphaned by a partial loss of Redis keys, and the query completes with one call', async () => {
    useFreshQueues();
    const queryId = await runningQuery('orphaned call');
    expect(await decideQuery(pipeline(), { queryId, round: 0 })).toBe('calls:1');
    const callId = jobIds.call({ queryId, stage: 0, role: 'answer', slot: 0 });
    expect(await queues.cascade.getJobState(callId)).toBe('waiting');

    // What a non-atomic loss left in the flaky durability test: the call's hash and its parent's
    // dependency set survive, the parent decide job and the wait list that scheduled the call do not.
    const prefix = queues.settings.prefix;
    await redis.del(`${prefix}:cascade:${jobIds.decide(queryId, 1)}`, `${prefix}:cascade:wait`);
    expect(await queues.cascade.getJob(callId)).toBeDefined();
    expect(await queues.cascade.getJobState(callId), 'the call job is orphaned: no worker will take it').toBe(
      'unknown',
    );

    const now = await stalledAt(queryId, 1_000);
    expect(await sweep(now)).toMatchObject({ recovered: 1 });
    const [recovery] = await recoveryJobs(queryId);
    expect(recovery).toBeDefined();
    expect(await decideQuery(pipeline(), recovery?.data)).toBe('calls:1');
    expect(await queues.cascade.getJobState(callId), 'the call is scheduled again').toBe('waiting');

    // The recovery's own decide job waits for that call (it was not dropped by the FlowProducer).
    startCascadeWorkers();
    await waitForStatus(queryId, 'completed');
    const attempts = await prisma.attempt.findMany({ where: { queryId }, include: { providerTries: true } });
    expect(attempts.map((attempt) => [attempt.outcome, attempt.providerTries.length])).toEqual([['succeeded', 1]]);
    expect(calls).toEqual(['orphaned call']);
  });

  it('leaves a call that is still queued under another decide job alone, adding no decide job that waits for nothing', async () => {
    useFreshQueues();
    const queryId = await runningQuery('queued call');
    expect(await decideQuery(pipeline(), { queryId, round: 0 })).toBe('calls:1');
    const now = await stalledAt(queryId, 1_000);
    await sweep(now);
    const [recovery] = await recoveryJobs(queryId);
    expect(await decideQuery(pipeline(), recovery?.data)).toBe('calls-in-flight');
    expect(await queues.cascade.getJob(jobIds.decide(queryId, (recovery?.data.round as number) + 1))).toBeUndefined();

    startCascadeWorkers();
    await waitForStatus(queryId, 'completed');
    expect(calls).toEqual(['queued call']);
  });

  it('each sweep starts a recovery of its own, even when an earlier recovery has taken several decisions since', async () => {
    useFreshQueues();
    const queryId = await runningQuery('long chain');
    const first = await stalledAt(queryId, 1_000);
    await sweep(first);
    const [earlier] = await recoveryJobs(queryId);
    const earlierRound = earlier?.data.round as number;
    // The chain the first recovery started went on for a few dozen decisions, then stalled again.
    for (let step = 1; step <= 40; step++) await queues.enqueueDecide({ queryId, round: earlierRound + step });

    const second = new Date((await stalledAt(queryId, 1_000)).getTime() + 2_000);
    await sweep(second);
    const recoveries = await recoveryJobs(queryId);
    expect(recoveries.map((job) => job.id).sort(), 'two recovery jobs, one per sweep').toHaveLength(2);
  });

  it('re-enqueues a queued query whose route job was orphaned', async () => {
    useFreshQueues();
    const query = await prisma.query.create({ data: { prompt: 'orphaned route', status: 'queued' } });
    await queues.enqueueRoute(query.id);
    await redis.del(`${queues.settings.prefix}:route:wait`);
    expect(await queues.route.getJobState(jobIds.route(query.id))).toBe('unknown');

    await sweep(new Date(query.updatedAt.getTime() + 2_000));
    expect(await queues.route.getJobState(jobIds.route(query.id))).toBe('waiting');
  });
});

describe('stall detection follows the ledger', () => {
  it('a try begun or an attempt settled is progress; a query without either is recovered', async () => {
    useFreshQueues();
    const busy = await runningQuery('busy');
    const idle = await runningQuery('idle');
    const ago = async () =>
      prisma.$executeRaw`UPDATE queries SET updated_at = now() - interval '10 minutes' WHERE id IN (${busy}::uuid, ${idle}::uuid)`;
    const stalledOnes = async () => {
      await sweep(new Date(), 60_000);
      const waiting = await queues.cascade.getJobs(['waiting']);
      const ids = new Set(waiting.filter((job) => job.data.recovery === true).map((job) => job.data.queryId));
      await queues.cascade.obliterate({ force: true });
      return [busy, idle].filter((id) => ids.has(id)).map((id) => (id === busy ? 'busy' : 'idle'));
    };

    await ago();
    const begun = await beginAttempt(
      prisma,
      { queryId: busy, stage: 0, role: 'answer', slot: 0 },
      { model: 'only', provider: 'fake', pricing: { kind: 'fixed', worstCaseUsd: PRICE_USD } },
    );
    expect(begun.kind).toBe('proceed');
    expect(await stalledOnes()).toEqual(['idle']);

    await ago();
    if (begun.kind !== 'proceed') throw new Error('unreachable');
    await settleAttempt(prisma, begun.attempt.id, {
      outcome: 'succeeded',
      try: { id: begun.try.id, chargedUsd: PRICE_USD, basis: 'usage' },
      output: '42',
    });
    expect(await stalledOnes()).toEqual(['idle']);

    await ago();
    expect(await stalledOnes()).toEqual(['busy', 'idle']);
  });
});

describe('routing while the database is away', () => {
  it('a planner that cannot read the database is retried, not a failed query', async () => {
    useFreshQueues();
    const query = await prisma.query.create({ data: { prompt: 'route me', status: 'queued' } });
    let failures = 2;
    const planQuery = () => {
      if (failures-- > 0) {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      }
      return plan;
    };
    await expect(routeQuery(pipeline(planQuery), { queryId: query.id })).rejects.toThrow(/ECONNREFUSED/);
    expect((await prisma.query.findUniqueOrThrow({ where: { id: query.id } })).status).toBe('queued');

    // Through a worker: the transient error sends the job back without using a try, and it routes.
    workers = startWorkers(pipeline(planQuery), {
      roles: ['router', 'cascade'],
      concurrency: { router: 1, cascade: 2, webhook: 1 },
      webhooks: { signingSecret: 'recovery-test-secret-0123', allowPrivateTargets: true, timeoutMs: 1_000 },
    });
    await queues.enqueueRoute(query.id);
    await waitForStatus(query.id, 'completed');
    const routeJob = await queues.route.getJob(jobIds.route(query.id));
    // A try is counted when a job fails or completes: 1 is the try that routed, none for the outage.
    expect(routeJob?.attemptsMade, 'no try used by the outage').toBe(1);
    expect(routeJob?.attemptsStarted, 'the job did run during the outage').toBe(2);
  });

  it('a planner error that is not the database fails the query with routing_failed', async () => {
    useFreshQueues();
    const query = await prisma.query.create({ data: { prompt: 'unroutable', status: 'queued' } });
    await routeQuery(
      pipeline(() => {
        throw new Error('no model can answer this');
      }),
      { queryId: query.id },
    );
    const failed = await prisma.query.findUniqueOrThrow({ where: { id: query.id } });
    expect([failed.status, failed.errorCode]).toEqual(['failed', 'routing_failed']);
  });
});
