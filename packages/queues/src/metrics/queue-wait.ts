import type { Redis } from 'ioredis';

/** Upper bounds (seconds) of the queue-wait histogram buckets. */
export const QUEUE_WAIT_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800] as const;

/** The Redis hash holding every worker's queue-wait histogram (fields `<queue>|<le|sum_ms|count>`). */
export const queueWaitKey = (prefix: string) => `${prefix}:metrics:queue-wait`;

/**
 * Counts how long a job waited in its queue before a worker took it, in Redis, so that every worker
 * on every host adds to one histogram that any API process can expose. Failures are ignored: a
 * metric must never fail a job.
 */
export function recordQueueWait(redis: Redis, prefix: string, queue: string, waitMs: number): void {
  const key = queueWaitKey(prefix);
  const seconds = Math.max(0, waitMs) / 1000;
  const pipeline = redis.pipeline();
  for (const bound of QUEUE_WAIT_BUCKETS_SECONDS) {
    if (seconds <= bound) pipeline.hincrby(key, `${queue}|${bound}`, 1);
  }
  pipeline.hincrby(key, `${queue}|count`, 1);
  pipeline.hincrby(key, `${queue}|sum_ms`, Math.round(Math.max(0, waitMs)));
  pipeline.exec().catch(() => {});
}

/** Every queue's histogram, as recorded by `recordQueueWait`. */
export async function readQueueWaits(
  redis: Redis,
  prefix: string,
): Promise<Map<string, { buckets: number[]; count: number; sumSeconds: number }>> {
  const fields = await redis.hgetall(queueWaitKey(prefix));
  const result = new Map<string, { buckets: number[]; count: number; sumSeconds: number }>();
  for (const [field, value] of Object.entries(fields)) {
    const [queue, part] = field.split('|') as [string, string];
    const entry = result.get(queue) ?? {
      buckets: QUEUE_WAIT_BUCKETS_SECONDS.map(() => 0),
      count: 0,
      sumSeconds: 0,
    };
    if (part === 'count') entry.count = Number(value);
    else if (part === 'sum_ms') entry.sumSeconds = Number(value) / 1000;
    else {
      const index = QUEUE_WAIT_BUCKETS_SECONDS.indexOf(Number(part) as (typeof QUEUE_WAIT_BUCKETS_SECONDS)[number]);
      if (index >= 0) entry.buckets[index] = Number(value);
    }
    result.set(queue, entry);
  }
  return result;
}
