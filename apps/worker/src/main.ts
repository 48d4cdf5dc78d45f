/**
 * Worker process: runs the router, cascade and/or webhook roles (SWITCHYARD_WORKER_ROLES) and the
 * reconciler. SIGTERM/SIGINT stop taking jobs and wait for the active ones.
 */
import { createFileStore, createPrismaClient, redactUrl } from '@switchyard/db';
import {
  createQueues,
  createRedisConnection,
  defaultReconcileSettings,
  loadJudgePrompts,
  reconcileQueries,
  registerWebhookSigner,
  type SignerRegistration,
  startWorkers,
  WORKER_ROLES,
  type WorkerRole,
} from '@switchyard/queues';
import { pino } from 'pino';
import { readWorkerEnv } from './env.js';
import { createModelSetup } from './model-gateway.js';
import { createArtifactSource, createPlanQuery, createVerifierFor } from './router.js';

const env = readWorkerEnv();
const logger = pino({ level: env.LOG_LEVEL, base: { app: 'worker' } });

// Started by a launcher (pnpm start/demo/bench): exit when it goes away (its pipe to our stdin closes),
// watched from the first moment: start-up can wait a long time (Redis or Postgres unreachable), and a
// worker orphaned then would run on unsupervised. Before start-up is done there is nothing to drain.
let onParentExit: () => void = () => process.exit(0);
if (env.SWITCHYARD_EXIT_WITH_PARENT) {
  process.stdin.on('close', () => onParentExit());
  process.stdin.resume();
}

const roles = env.SWITCHYARD_WORKER_ROLES.split(',')
  .map((role) => role.trim())
  .filter(Boolean);
const unknownRoles = roles.filter((role) => !WORKER_ROLES.includes(role as WorkerRole));
if (unknownRoles.length > 0 || roles.length === 0) {
  console.error(
    `error: SWITCHYARD_WORKER_ROLES: unknown role(s) ${unknownRoles.join(', ') || '(none given)'}; use any of ${WORKER_ROLES.join(', ')}`,
  );
  process.exit(2);
}
let signer: SignerRegistration | undefined;
if (roles.includes('webhook')) {
  // Every worker that sends callbacks must sign with one secret; refused here otherwise (see registry).
  const redis = createRedisConnection(env.REDIS_URL);
  try {
    signer = await registerWebhookSigner(redis, {
      prefix: env.SWITCHYARD_QUEUE_PREFIX,
      secret: env.SWITCHYARD_WEBHOOK_SECRET,
    });
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(2);
  }
  if (!env.SWITCHYARD_WEBHOOK_SECRET) {
    logger.warn(
      'SWITCHYARD_WEBHOOK_SECRET is not set: callbacks are signed with a random secret of this process, which receivers cannot verify; another callback-sending worker will be refused until it is set',
    );
  }
}

let setup: Awaited<ReturnType<typeof createModelSetup>>;
let judgePrompts: ReturnType<typeof loadJudgePrompts>;
try {
  judgePrompts = loadJudgePrompts(env.SWITCHYARD_JUDGE_PROMPT_VERSION);
} catch (error) {
  console.error(`error: SWITCHYARD_JUDGE_PROMPT_VERSION: ${(error as Error).message}`);
  process.exit(2);
}
try {
  setup = await createModelSetup({
    modelsFile: env.SWITCHYARD_MODELS,
    replay: env.SWITCHYARD_REPLAY,
    replayModelsFile: env.SWITCHYARD_REPLAY_MODELS,
    replayLatencyMs: env.SWITCHYARD_REPLAY_LATENCY_MS,
    simLatencyMs: env.SWITCHYARD_SIM_LATENCY_MS,
    callTimeoutMs: env.SWITCHYARD_CALL_TIMEOUT_MS,
    limits: {
      minOutputTokens: env.SWITCHYARD_MIN_OUTPUT_TOKENS,
      judgeMaxOutputTokens: env.SWITCHYARD_JUDGE_MAX_OUTPUT_TOKENS,
    },
    env: process.env,
  });
} catch (error) {
  console.error(`error: cannot configure models: ${(error as Error).message}`);
  process.exit(2);
}

const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
const queues = createQueues({
  redisUrl: env.REDIS_URL,
  prefix: env.SWITCHYARD_QUEUE_PREFIX,
  retry: {
    callAttempts: env.SWITCHYARD_CALL_ATTEMPTS,
    callBackoffMs: env.SWITCHYARD_CALL_BACKOFF_MS,
    webhookAttempts: 8,
    webhookBackoffMs: 2_000,
  },
});
const artifacts = createArtifactSource(prisma, { activeTtlMs: env.SWITCHYARD_ROUTER_REFRESH_MS });
const deps = {
  prisma,
  queues,
  models: setup.gateway,
  planQuery: createPlanQuery({
    pool: setup.pool,
    judgePanel: setup.judgePanel,
    judgeAggregation: env.SWITCHYARD_JUDGE_AGGREGATION,
    defaultQuality: env.SWITCHYARD_QUALITY,
    artifacts,
  }),
  verifierFor: createVerifierFor(artifacts, logger),
  judgePrompts,
  logger,
  files: createFileStore({ databaseUrl: env.DATABASE_URL, maxConnections: 2 }),
  // Each model's calls have a queue of their own, with the registry's limits across every worker.
  callModels: setup.registry.entries.map((entry) => ({
    id: entry.id,
    concurrency: entry.concurrency,
    rpm: entry.rpm,
    tpm: entry.tpm,
  })),
};
if (roles.includes('cascade')) {
  try {
    await queues.configureCallQueues(deps.callModels);
  } catch (error) {
    console.error(`error: cannot configure the call queues in Redis: ${(error as Error).message}`);
    process.exit(2);
  }
}
const running = startWorkers(deps, {
  roles: roles as WorkerRole[],
  concurrency: {
    router: env.SWITCHYARD_ROUTER_CONCURRENCY,
    cascade: env.SWITCHYARD_CASCADE_CONCURRENCY,
    webhook: env.SWITCHYARD_WEBHOOK_CONCURRENCY,
  },
  webhooks: {
    signingSecret: env.SWITCHYARD_WEBHOOK_SECRET ?? crypto.randomUUID(),
    allowPrivateTargets: env.SWITCHYARD_ALLOW_PRIVATE_CALLBACKS,
    timeoutMs: 10_000,
  },
  lockDurationMs: env.SWITCHYARD_LOCK_DURATION_MS,
  stalledIntervalMs: env.SWITCHYARD_STALLED_INTERVAL_MS,
  maxCallsInFlight: env.SWITCHYARD_MAX_CALLS_IN_FLIGHT,
});
logger.info(
  {
    roles,
    models: setup.pool,
    judges: setup.judgePanel,
    source: setup.description,
    database: redactUrl(env.DATABASE_URL),
    redis: redactUrl(env.REDIS_URL),
    prefix: env.SWITCHYARD_QUEUE_PREFIX,
  },
  'worker started',
);

const reconcileSettings = {
  ...defaultReconcileSettings,
  queuedAfterMs: env.SWITCHYARD_RECONCILE_QUEUED_AFTER_MS,
  stalledAfterMs: env.SWITCHYARD_RECONCILE_STALLED_AFTER_MS,
};
let reconcileTimer: NodeJS.Timeout | undefined;
if (env.SWITCHYARD_RECONCILE_INTERVAL_MS > 0 && roles.includes('router')) {
  const sweep = async () => {
    try {
      const result = await reconcileQueries(deps, reconcileSettings);
      if (result.requeued + result.recovered + result.webhooks > 0) logger.info(result, 'reconciled queries');
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'reconcile sweep failed');
    }
  };
  reconcileTimer = setInterval(sweep, env.SWITCHYARD_RECONCILE_INTERVAL_MS);
  reconcileTimer.unref();
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping: finishing active jobs');
  if (reconcileTimer) clearInterval(reconcileTimer);
  await running.close();
  await signer?.release();
  await queues.close();
  await deps.files.close();
  await prisma.$disconnect();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
onParentExit = () => void shutdown('parent exited');
