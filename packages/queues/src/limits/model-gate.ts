import type { Redis } from 'ioredis';

/**
 * The last check before a call is sent, shared by every worker process through Redis (one round trip):
 * - a pause: after a provider's 429 with `retry-after`, no worker sends that model anything until it
 *   ends (jobs already taken from the queue included; the queue's own limiter stops new ones);
 * - tokens per minute: a fixed one-minute window per model. A request takes its worst-case tokens
 *   (input bound + output limit); when the window cannot hold them, the caller waits for the next
 *   one. A request larger than the whole limit goes alone into an empty window (it could never fit).
 * Returns 0 when the call may go, else how long to wait (ms).
 */
const ADMIT = `
local paused = redis.call('PTTL', KEYS[1])
if paused > 0 then return paused end
local limit = tonumber(ARGV[2])
if limit <= 0 then return 0 end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local want = tonumber(ARGV[1])
if used > 0 and used + want > limit then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 0 then ttl = tonumber(ARGV[3]) end
  return ttl
end
redis.call('INCRBY', KEYS[2], want)
if used == 0 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 0
`;

export interface ModelGate {
  /** 0 when a call of `tokens` worst-case tokens may go now, else ms to wait; `tpm` null = no token limit. */
  admit(modelId: string, tokens: number, tpm: number | null): Promise<number>;
  /** Holds every call to the model for `ms` (a provider's retry-after); never shortens a longer pause. */
  pause(modelId: string, ms: number): Promise<void>;
}

export function createModelGate(redis: Redis, prefix: string, windowMs = 60_000): ModelGate {
  const pauseKey = (modelId: string) => `${prefix}:switchyard:pause:${modelId}`;
  const tpmKey = (modelId: string) => `${prefix}:switchyard:tpm:${modelId}`;
  return {
    async admit(modelId, tokens, tpm) {
      const wait = await redis.eval(
        ADMIT,
        2,
        pauseKey(modelId),
        tpmKey(modelId),
        Math.max(0, Math.ceil(tokens)),
        tpm ?? 0,
        windowMs,
      );
      return Number(wait);
    },
    async pause(modelId, ms) {
      const key = pauseKey(modelId);
      const left = await redis.pttl(key);
      if (left < ms) await redis.set(key, '1', 'PX', Math.max(1, Math.ceil(ms)));
    },
  };
}
