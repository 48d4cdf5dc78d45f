import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { registerWebhookSigner, SigningSecretConflictError } from './signer-registry.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = () => `sy_signers_${randomBytes(4).toString('hex')}`;
afterAll(() => redis.disconnect());

describe('webhook signer registry (real Redis)', () => {
  it('lets workers with the same secret sign side by side', async () => {
    const p = prefix();
    const one = await registerWebhookSigner(redis, { prefix: p, secret: 'a-shared-secret-0001' });
    const two = await registerWebhookSigner(redis, { prefix: p, secret: 'a-shared-secret-0001' });
    await one.release();
    await two.release();
  });

  it('refuses a second worker without a secret, and a worker with a different secret', async () => {
    const p = prefix();
    const first = await registerWebhookSigner(redis, { prefix: p, secret: undefined });
    await expect(registerWebhookSigner(redis, { prefix: p, secret: undefined })).rejects.toThrow(
      /SWITCHYARD_WEBHOOK_SECRET is not set/,
    );
    await expect(registerWebhookSigner(redis, { prefix: p, secret: 'some-other-secret-01' })).rejects.toThrow(
      SigningSecretConflictError,
    );
    await first.release();
    // Once the first one is gone, a worker may start.
    const next = await registerWebhookSigner(redis, { prefix: p, secret: 'some-other-secret-01' });
    await expect(registerWebhookSigner(redis, { prefix: p, secret: 'yet-another-secret-1' })).rejects.toThrow(
      /different secret|a random secret/,
    );
    await next.release();
  });

  it('forgets a crashed signer once its lease runs out', async () => {
    // A worker that died without releasing: its entry stays, with a lease already run out.
    const q = prefix();
    await redis.hset(`${q}:webhook-signers`, 'dead-worker', `unset:dead-worker|${Date.now() - 1}`);
    const alive = await registerWebhookSigner(redis, { prefix: q, secret: undefined });
    await alive.release();
  });
});
