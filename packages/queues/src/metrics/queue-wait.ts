import type { Redis } from 'ioredis';

/** Upper bounds (seconds) of the queue-wait histogram buckets. */
export const QUEUE_WAIT_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800] as const;

/** The Redis hash holding every worker's queue-wait histogram (fields `<queue>|<le|sum_ms|count>`). */
export const queueWaitKey = (prefix: string) => `${prefix}:metrics:queue-wait`;

/** Counts queue waits into the shared histogram; see {@link createQueueWaitRecorder}. */
export interface QueueWaitRecorder {
  record(queue: string, waitMs: number): void;
  /** Writes what was counted since the last flush (called on a timer, and by close). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Counts how long a job waited in its queue before a worker took it, in Redis, so that every worker
 * on every host adds to one histogram that any API process can expose. Counts are summed in memory
 * and written every `flushMs` (one pipelined HINCRBY per changed field): per job it was a pipeline of
 * up to twelve commands, the most numerous command a worker sent. A worker that dies loses at most
 * its last `flushMs` of counts. Failures are ignored: a metric must never fail a job.
 */
export function createQueueWaitRecorder(redis: Redis, prefix: string, flushMs = 1_000): QueueWaitRecorder {
  const key = queueWaitKey(prefix);
  let pending = new Map<string, number>();
  const add = (field: string, by: number) => pending.set(field, (pending.get(field) ?? 0) + by);
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const pipeline = redis.pipeline();
    for (const [field, by] of batch) pipeline.hincrby(key, field, by);
    await pipeline.exec().catch(() => {});
  };
  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();
  return {
    record(queue, waitMs) {
      const seconds = Math.max(0, waitMs) / 1000;
      for (const bound of QUEUE_WAIT_BUCKETS_SECONDS) {
        if (seconds <= bound) add(`${queue}|${bound}`, 1);
      }
      add(`${queue}|count`, 1);
      add(`${queue}|sum_ms`, Math.round(Math.max(0, waitMs)));
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
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
