import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Every worker that sends callbacks must sign with the same secret, or receivers would reject some of
 * them. Signers register a fingerprint of their secret (a hash, never the secret) in Redis with a
 * short lease they keep renewing; a worker whose secret differs from a live signer's, or that has none
 * while another signer is alive, is refused at start-up.
 */
const CLAIM = `
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local worker = entries[i]
  local fingerprint, expires = string.match(entries[i + 1], '^(.*)|(%d+)$')
  if tonumber(expires) < now then
    redis.call('HDEL', KEYS[1], worker)
  elseif worker ~= ARGV[3] and fingerprint ~= ARGV[4] then
    return {0, fingerprint, tonumber(expires) - now}
  end
end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4] .. '|' .. (now + lease))
redis.call('PEXPIRE', KEYS[1], lease * 4)
return {1, '', 0}
`;

export interface SignerRegistration {
  /** Stops renewing and removes this worker's entry (graceful shutdown). */
  release(): Promise<void>;
}

export class SigningSecretConflictError extends Error {
  override readonly name = 'SigningSecretConflictError';
}

/** How long a signer's entry lives without renewal, ms; a crashed worker's entry is gone after this. */
export const SIGNER_LEASE_MS = 30_000;

/**
 * Registers this process as a callback signer. `secret` undefined = a random per-process secret,
 * allowed only while no other signer is alive. Throws {@link SigningSecretConflictError} with what to do.
 */
export async function registerWebhookSigner(
  redis: Redis,
  options: { prefix: string; secret: string | undefined; leaseMs?: number },
): Promise<SignerRegistration> {
  const leaseMs = options.leaseMs ?? SIGNER_LEASE_MS;
  const key = `${options.prefix}:webhook-signers`;
  const worker = randomUUID();
  const fingerprint =
    options.secret === undefined
      ? `unset:${worker}`
      : createHash('sha256').update(`switchyard-webhook-secret\n${options.secret}`).digest('hex').slice(0, 32);
  const claim = async () => {
    const [ok, other, expiresInMs] = (await redis.eval(CLAIM, 1, key, Date.now(), leaseMs, worker, fingerprint)) as [
      number,
      string,
      number,
    ];
    if (ok === 1) return;
    const seconds = Math.ceil(expiresInMs / 1000);
    if (options.secret === undefined) {
      throw new SigningSecretConflictError(
        'another worker process sends callbacks too, and SWITCHYARD_WEBHOOK_SECRET is not set: set the same SWITCHYARD_WEBHOOK_SECRET (at least 16 characters) on every worker so receivers can verify every callback' +
          (other.startsWith('unset:') ? ` (if that worker has died, its claim expires within ${seconds} s)` : ''),
      );
    }
    const theirs = other.startsWith('unset:') ? 'a random secret (it has none set)' : 'a different secret';
    throw new SigningSecretConflictError(
      `another live worker signs callbacks with ${theirs}: give every worker the same SWITCHYARD_WEBHOOK_SECRET (or stop the other one; its claim expires within ${seconds} s of it stopping)`,
    );
  };
  await claim();
  const timer = setInterval(
    () => {
      claim().catch(() => {
        // A conflict appearing later (someone started a worker with another secret) is refused on their
        // side; a Redis outage is retried on the next tick.
      });
    },
    Math.max(1_000, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await redis.hdel(key, worker).catch(() => {});
    },
  };
}
