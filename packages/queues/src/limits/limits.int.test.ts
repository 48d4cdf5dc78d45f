import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { callQueueName } from './call-queues.js';
import { createModelGate } from './model-gate.js';
import { createSemaphore } from './semaphore.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = () => `sy_limits_${randomBytes(4).toString('hex')}`;
afterAll(() => redis.disconnect());

describe('call queue names', () => {
  it('keeps plain model ids and makes the others safe and distinct', () => {
    expect(callQueueName('gpt-4o')).toBe('call-gpt-4o');
    expect(callQueueName('meta/llama:70b')).toMatch(/^call-meta_llama_70b-[0-9a-f]{8}$/);
    expect(callQueueName('a:b')).not.toBe(callQueueName('a/b'));
    expect(callQueueName('{tag}')).not.toMatch(/[{}:]/);
  });
});

describe('model gate (real Redis)', () => {
  it('holds every call to a paused model until the pause ends, and never shortens a pause', async () => {
    const gate = createModelGate(redis, prefix());
    expect(await gate.admit('m', 10, null)).toBe(0);
    await gate.pause('m', 2_000);
    await gate.pause('m', 100);
    const wait = await gate.admit('m', 10, null);
    expect(wait).toBeGreaterThan(1_500);
    expect(wait).toBeLessThanOrEqual(2_000);
    expect(await gate.admit('other-model', 10, null)).toBe(0);
  });

  it('admits tokens up to the per-window limit across gates, then says how long to wait', async () => {
    const p = prefix();
    const one = createModelGate(redis, p, 500);
    const two = createModelGate(redis, p, 500);
    expect(await one.admit('m', 60, 100)).toBe(0);
    expect(await two.admit('m', 30, 100)).toBe(0);
    const wait = await two.admit('m', 20, 100);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(500);
    await new Promise((resolve) => setTimeout(resolve, wait + 20));
    expect(await one.admit('m', 20, 100)).toBe(0);
    // A request larger than the whole limit goes alone into an empty window.
    const big = createModelGate(redis, prefix(), 500);
    expect(await big.admit('m', 500, 100)).toBe(0);
    expect(await big.admit('m', 1, 100)).toBeGreaterThan(0);
  });
});

describe('semaphore', () => {
  it('lets at most `limit` holders in, the rest in arrival order', async () => {
    const slots = createSemaphore(2);
    const order: number[] = [];
    const releases = await Promise.all([slots.acquire(), slots.acquire()]);
    const waiting = [3, 4].map((n) =>
      slots.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(slots.inUse).toBe(2);
    expect(slots.waiting).toBe(2);
    releases[0]?.();
    releases[0]?.(); // a second release of the same holder is ignored
    const third = await waiting[0];
    expect(order).toEqual([3]);
    expect(slots.waiting).toBe(1);
    releases[1]?.();
    (await waiting[1])?.();
    third?.();
    expect(slots.inUse).toBe(0);
    expect(() => createSemaphore(0)).toThrow(/positive integer/);
  });
});
