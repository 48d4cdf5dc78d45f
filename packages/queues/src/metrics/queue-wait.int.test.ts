import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createQueueWaitRecorder, QUEUE_WAIT_BUCKETS_SECONDS, queueWaitKey, readQueueWaits } from './queue-wait.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(() => redis.disconnect());

describe('queue-wait recorder (real Redis)', () => {
  it('sums waits in memory and writes them on flush as one cumulative histogram shared by every recorder', async () => {
    const prefix = `sy_qwait_${randomBytes(4).toString('hex')}`;
    const first = createQueueWaitRecorder(redis, prefix, 60_000);
    const second = createQueueWaitRecorder(redis, prefix, 60_000);
    try {
      first.record('route', 4); // <= 0.01 s
      first.record('route', 700); // <= 1 s
      second.record('route', 20_000); // <= 60 s
      second.record('call-m', -5); // a clock skew counts as 0
      expect(await redis.exists(queueWaitKey(prefix))).toBe(0);
      await first.flush();
      await second.close();
      const waits = await readQueueWaits(redis, prefix);
      const route = waits.get('route');
      expect(route?.count).toBe(3);
      expect(route?.sumSeconds).toBeCloseTo(20.704, 6);
      const expected = QUEUE_WAIT_BUCKETS_SECONDS.map(
        (bound) => [0.004, 0.7, 20].filter((seconds) => seconds <= bound).length,
      );
      expect(route?.buckets).toEqual(expected);
      expect(waits.get('call-m')).toEqual({
        buckets: QUEUE_WAIT_BUCKETS_SECONDS.map(() => 1),
        count: 1,
        sumSeconds: 0,
      });
      // Nothing new since the last flush: nothing is written twice.
      await first.flush();
      expect((await readQueueWaits(redis, prefix)).get('route')?.count).toBe(3);
    } finally {
      await first.close();
      await redis.del(queueWaitKey(prefix));
    }
  });
});
