import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `sy_rl_${randomBytes(4).toString('hex')}`;
const connections: Redis[] = [];
function connect(url = redisUrl): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => {});
  connections.push(redis);
  return redis;
}

afterAll(async () => {
  const cleaner = new Redis(redisUrl);
  const keys = await cleaner.keys(`${prefix}:*`);
  if (keys.length > 0) await cleaner.del(...keys);
  cleaner.disconnect();
  for (const redis of connections) redis.disconnect();
});

describe('rate limiter (real Redis)', () => {
  it('allows exactly the limit per minute across limiters sharing Redis, then says when to retry', async () => {
    const one = createRateLimiter(connect(), { keyPrefix: prefix });
    const two = createRateLimiter(connect(), { keyPrefix: prefix });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const decisions = await Promise.all(
      Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? one : two).take('key-a', 10)),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
    const refused = decisions.filter((decision) => !decision.allowed);
    expect(refused).toHaveLength(2);
    for (const decision of refused) {
      if (decision.allowed) continue;
      expect(decision.retryAfterMs).toBeGreaterThan(50_000);
      expect(decision.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    // Another subject has its own window.
    expect(await one.take('key-b', 10)).toMatchObject({ allowed: true, remaining: 9 });
  });

  it('reports Redis as unavailable instead of hanging', async () => {
    const limiter = createRateLimiter(connect('redis://127.0.0.1:1'), { keyPrefix: prefix, timeoutMs: 200 });
    const started = Date.now();
    expect(await limiter.take('key-c', 5)).toMatchObject({ allowed: true, unavailable: true });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
