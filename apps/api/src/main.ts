/** API process: HTTP on PORT, enqueueing onto the shared queues. */
import { createRateLimiter } from '@switchyard/auth';
import { createFileStore, createPrismaClient } from '@switchyard/db';
import { createQueues, createRedisConnection } from '@switchyard/queues';
import { pino } from 'pino';
import { createApp } from './app.js';
import { readApiEnv } from './env.js';

const env = readApiEnv();
const logger = pino({ level: env.LOG_LEVEL, base: { app: 'api' } });
const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
const queues = createQueues({ redisUrl: env.REDIS_URL, prefix: env.SWITCHYARD_QUEUE_PREFIX });
// Rate limits fail fast while Redis is away (no offline queue): the request is then let through.
const limiterRedis = createRedisConnection(env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
const files = createFileStore({ databaseUrl: env.DATABASE_URL });
const app = createApp({
  prisma,
  queues,
  files,
  maxFileBytes: env.SWITCHYARD_MAX_FILE_MB * 1024 * 1024,
  chatTimeoutMs: env.SWITCHYARD_CHAT_TIMEOUT_MS,
  rateLimiter: createRateLimiter(limiterRedis, { keyPrefix: env.SWITCHYARD_QUEUE_PREFIX }),
  allowPrivateCallbacks: env.SWITCHYARD_ALLOW_PRIVATE_CALLBACKS,
  bodyLimit: env.SWITCHYARD_BODY_LIMIT,
  defaultMaxCostUsd: env.SWITCHYARD_DEFAULT_MAX_COST_USD,
  dashboardWrite: env.SWITCHYARD_DASHBOARD_WRITE,
  ...(env.SWITCHYARD_ADMIN_TOKEN === undefined ? {} : { operatorToken: env.SWITCHYARD_ADMIN_TOKEN }),
  ...(env.SWITCHYARD_TRUST_PROXY === undefined ? {} : { trustProxy: env.SWITCHYARD_TRUST_PROXY }),
  logger,
});
if (env.SWITCHYARD_ADMIN_TOKEN === undefined) {
  logger.warn('SWITCHYARD_ADMIN_TOKEN is not set: the dashboard (/admin/queues) and /metrics are not mounted');
} else {
  logger.info(
    { dashboardWrite: env.SWITCHYARD_DASHBOARD_WRITE },
    `operator surface at /admin/queues and /metrics (operator token required; dashboard ${env.SWITCHYARD_DASHBOARD_WRITE ? 'read-write' : 'read-only'})`,
  );
}

const server = app.listen(env.PORT, env.HOST);
server.once('listening', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  logger.info({ port }, 'api listening');
  // One machine-readable line for launchers and tests that start the API on port 0.
  console.log(`switchyard-api listening on http://${env.HOST}:${port}`);
});
server.once('error', (error: NodeJS.ErrnoException) => {
  const reason =
    error.code === 'EADDRINUSE'
      ? `port ${env.PORT} on ${env.HOST} is already in use (another Switchyard, or another program); stop it or set PORT`
      : error.code === 'EACCES'
        ? `no permission to listen on ${env.HOST}:${env.PORT}; use a port above 1023`
        : error.message;
  console.error(`error: the API cannot listen: ${reason}`);
  process.exit(1);
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close();
  await queues.close();
  limiterRedis.disconnect();
  await files.close();
  await prisma.$disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
if (env.SWITCHYARD_EXIT_WITH_PARENT) {
  process.stdin.on('close', () => void shutdown());
  process.stdin.resume();
}
