import { formatUsd, type KnobRequest, parseUsd, type RouterArtifact } from '@switchyard/core';
import type { BenchRecord } from '@switchyard/datasets';
import { createPrismaClient, type PrismaClient, saveRouterArtifact } from '@switchyard/db';
import { createQueues, deleteQueueKeys, type Queues } from '@switchyard/queues';
import { launch, stopProcess } from '../stack/launch-processes.js';
import { compareCallKeys } from './call-order.js';
import type { SystemAnswer } from './systems.js';

/** Where a distributed eval runs: the deployment's Postgres and Redis, its own workers. */
export interface DistributedSettings {
  databaseUrl: string;
  redisUrl: string;
  /** The records the workers replay (the test file, or the train file under --cv). */
  replayFile: string;
  modelsFile: string;
  /** Worker processes to start (each runs the router and cascade roles). */
  workers: number;
  /** The deployment's queue prefix (SWITCHYARD_QUEUE_PREFIX): the run's own prefix extends it, so a
   * Redis Cluster hash tag in it (`{sy}`) keeps every key of the run in one slot. */
  queuePrefix: string;
  /** Progress lines. */
  log(line: string): void;
}

/** One query of a distributed run: a test record routed at one knob request. */
export interface DistributedJob {
  record: BenchRecord;
  knob: KnobRequest;
}

/** A distributed eval in progress: its workers run until `close`. */
export interface DistributedEval {
  /** Stores a fold's trained artifact in router_artifacts (inactive) and returns its id. */
  storeArtifact(artifact: RouterArtifact, source: string): Promise<string>;
  /**
   * Submits every job as a query routed by the stored artifact (direct enqueue: a query row, then its
   * route job, as the API does), waits until all are final and reads each one's answer, calls and
   * cost back from the ledger. Answers come in job order.
   */
  answerAll(jobs: readonly DistributedJob[], artifactId: string): Promise<SystemAnswer[]>;
  readonly runId: string;
  readonly prefix: string;
  close(): Promise<void>;
}

/** Starts the workers of a distributed eval on a queue prefix of its own. */
export async function startDistributedEval(settings: DistributedSettings): Promise<DistributedEval> {
  const runId = `eval-${new Date().toISOString().replace(/[-:.TZ]/g, '')}-${process.pid}`;
  const prefix = `${settings.queuePrefix}-${runId}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: settings.redisUrl,
    SWITCHYARD_QUEUE_PREFIX: prefix,
    SWITCHYARD_REPLAY: settings.replayFile,
    SWITCHYARD_REPLAY_MODELS: settings.modelsFile,
    SWITCHYARD_WORKER_ROLES: 'router,cascade',
    SWITCHYARD_CASCADE_CONCURRENCY: '32',
    SWITCHYARD_ROUTER_CONCURRENCY: '16',
    LOG_LEVEL: 'info',
  };
  // Never inherit a model registry: the workers must serve exactly the replayed records.
  delete env.SWITCHYARD_MODELS;
  const workers = Array.from({ length: settings.workers }, () =>
    launch('apps/worker/src/main.ts', env, /(worker started)/, false),
  );
  const stopWorkers = async () => {
    await Promise.all(workers.map(({ child }) => stopProcess(child)));
  };
  try {
    await Promise.all(workers.map((worker) => worker.started));
  } catch (error) {
    await stopWorkers();
    throw error;
  }
  settings.log(`distributed: ${settings.workers} worker process(es) on queue prefix ${prefix}`);
  let crashed: string | null = null;
  for (const [index, worker] of workers.entries()) {
    worker.child.once('exit', (code, signal) => {
      crashed ??= `worker ${index + 1} exited (${signal ?? `code ${code}`}):\n${worker.tail()}`;
    });
  }

  const prisma: PrismaClient = createPrismaClient({ databaseUrl: settings.databaseUrl });
  const queues: Queues = createQueues({ redisUrl: settings.redisUrl, prefix });
  let closing = false;

  return {
    runId,
    prefix,
    async storeArtifact(artifact, source) {
      const row = await saveRouterArtifact(prisma, {
        kind: 'switchyard',
        data: artifact as object,
        source,
        metrics: { eval: runId },
      });
      return row.id;
    },
    async answerAll(jobs, artifactId) {
      const rows = await prisma.query.createManyAndReturn({
        data: jobs.map(({ record, knob }) => ({
          prompt: record.prompt,
          options: {
            ...(knob.quality === undefined ? {} : { quality: knob.quality }),
            ...(knob.targetCostUsd === undefined ? {} : { targetCostUsd: knob.targetCostUsd }),
            router: artifactId,
            // As in-process: no category or answer-type label; the router infers both from the prompt.
            metadata: { recordId: record.id, eval: runId },
          },
        })),
        select: { id: true },
      });
      const ids = rows.map((row) => row.id);
      for (const id of ids) await queues.enqueueRoute(id);

      const started = Date.now();
      // Generous: a stuck query is a bug to report, not to wait out forever.
      const deadline = started + 120_000 + 200 * ids.length;
      let lastLog = started;
      for (;;) {
        if (crashed !== null && !closing) throw new Error(`distributed eval: ${crashed}`);
        const done = await prisma.query.count({ where: { id: { in: ids }, status: { in: ['completed', 'failed'] } } });
        if (done === ids.length) break;
        if (Date.now() > deadline) {
          throw new Error(
            `distributed eval: ${ids.length - done} of ${ids.length} queries not final after ${Math.round((Date.now() - started) / 1000)} s`,
          );
        }
        if (Date.now() - lastLog > 5_000) {
          settings.log(`distributed: ${done}/${ids.length} queries final`);
          lastLog = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }

      const finished = await prisma.query.findMany({
        where: { id: { in: ids } },
        include: { attempts: true },
      });
      const byId = new Map(finished.map((row) => [row.id, row]));
      return ids.map((id): SystemAnswer => {
        const row = byId.get(id);
        if (row === undefined) throw new Error(`distributed eval: query ${id} vanished`);
        const calls: string[] = [];
        for (const attempt of [...row.attempts].sort(compareCallKeys)) {
          if (attempt.outcome === 'succeeded' && !calls.includes(attempt.model)) calls.push(attempt.model);
        }
        const outcome =
          row.status === 'completed'
            ? String((row.outcome as { outcome?: unknown } | null)?.outcome ?? 'completed')
            : row.errorCode === 'budget_exhausted'
              ? 'budget'
              : row.errorCode === 'no_answer'
                ? 'failed'
                : (row.errorCode ?? 'failed');
        return {
          answerFrom: row.status === 'completed' ? row.answerModel : null,
          calls,
          costUsd: formatUsd(parseUsd(row.totalCostUsd.toFixed())),
          outcome,
        };
      });
    },
    async close() {
      closing = true;
      await stopWorkers();
      // The run's queues are its own: drop their keys from Redis (the ledger in Postgres stays).
      await Promise.allSettled(
        [queues.route, queues.cascade, queues.webhook, ...(await queues.listCallQueues())].map((queue) =>
          queue.obliterate({ force: true }),
        ),
      );
      await queues.close();
      // What obliterate leaves (the call-queue registry, served models, the batch queue, metrics keys).
      await deleteQueueKeys(settings.redisUrl, prefix).catch((error: Error) => {
        settings.log(`distributed: could not remove the run's Redis keys (${error.message})`);
      });
      await prisma.$disconnect();
    },
  };
}
