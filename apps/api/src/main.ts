/** API process: HTTP on PORT, enqueueing onto the shared queues. */
import { createPrismaClient } from '@switchyard/db';
import { createQueues } from '@switchyard/queues';
import { pino } from 'pino';
import { createApp } from './app.js';
import { readApiEnv } from './env.js';

const env = readApiEnv();
const logger = pino({ level: env.LOG_LEVEL, base: { app: 'api' } });
const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
const queues = createQueues({ redisUrl: env.REDIS_URL, prefix: env.SWITCHYARD_QUEUE_PREFIX });
const app = createApp({
  prisma,
  queues,
  allowPrivateCallbacks: env.SWITCHYARD_ALLOW_PRIVATE_CALLBACKS,
  bodyLimit: env.SWITCHYARD_BODY_LIMIT,
  logger,
});
const server = app.listen(env.PORT, env.HOST, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  logger.info({ port }, 'api listening');
  // One machine-readable line for launchers and tests that start the API on port 0.
  console.log(`switchyard-api listening on http://${env.HOST}:${port}`);
});

async function shutdown() {
  server.close();
  await queues.close();
  await prisma.$disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
