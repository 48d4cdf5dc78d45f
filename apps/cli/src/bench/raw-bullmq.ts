import { randomBytes } from 'node:crypto';
import { createRedisConnection } from '@switchyard/queues';
import { Queue, QueueEvents, Worker } from 'bullmq';

/**
 * Plain BullMQ on the same Redis, as the yardstick of the pipeline's own overhead: `jobs` trivial
 * jobs added with addBulk (chunks of 1,000) and processed by one in-process worker that does nothing,
 * at `concurrency`. Returns jobs per second from the first add to the last completion.
 */
export async function measureRawBullmq(
  redisUrl: string,
  options: { jobs: number; concurrency: number },
): Promise<{ jobs: number; seconds: number; jobsPerSec: number }> {
  const prefix = `sy-bench-raw-${randomBytes(4).toString('hex')}`;
  // Plain BullMQ: connections as its docs set them up, none of the pipeline's own connection settings.
  const plain = { enableAutoPipelining: false };
  const connection = createRedisConnection(redisUrl, plain);
  const queue = new Queue('raw', { connection, prefix });
  const eventsConnection = createRedisConnection(redisUrl, plain);
  const workerConnection = createRedisConnection(redisUrl, plain);
  const events = new QueueEvents('raw', { connection: eventsConnection, prefix });
  let completed = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const worker = new Worker(
    'raw',
    async () => {
      completed += 1;
      if (completed >= options.jobs) resolveDone();
    },
    { connection: workerConnection, prefix, concurrency: options.concurrency, autorun: false },
  );
  try {
    await events.waitUntilReady();
    const started = process.hrtime.bigint();
    void worker.run();
    for (let offset = 0; offset < options.jobs; offset += 1_000) {
      const size = Math.min(1_000, options.jobs - offset);
      await queue.addBulk(
        Array.from({ length: size }, (_, index) => ({
          name: 'noop',
          data: { index: offset + index },
          opts: { removeOnComplete: true, removeOnFail: true },
        })),
      );
    }
    await done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { jobs: options.jobs, seconds, jobsPerSec: options.jobs / seconds };
  } finally {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    // BullMQ leaves connections it was given open.
    for (const client of [connection, eventsConnection, workerConnection]) client.disconnect();
  }
}
