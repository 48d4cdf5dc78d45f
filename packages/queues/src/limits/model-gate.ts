import type { Redis } from 'ioredis';

/**
 * The last check before a call is sent, shared by every worker process through Redis (one round trip):
 * - a pause: after a provider's 429 with `retry-after`, no worker sends that model anything until it
 *   ends (jobs already taken from the queue included; the queue's own limiter stops new ones);
 * - tokens per minute: a fixed one-minute window per model. A request takes its worst-case tokens
 *   (input bound + output limit); when the window cannot hold them, the caller waits for the next
 *   one. A request larger than the whole limit goes alone into an empty window (it could never fit).
 * Returns 0 when the call may go, else how long to wait (ms). A model without a tokens-per-minute
 * limit only needs the pause: read at most every PAUSE_REFRESH_MS per process instead of on every call
 * (a call's round trip to Redis for nothing, most of the time).
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

/**
 * How long a model without a tokens-per-minute limit goes on what this process last read of its pause,
 * ms: a pause set by another process holds this one's calls at most this much later. A model with a
 * `tpm` limit asks Redis on every call (its window counts every call's tokens).
 */
export const PAUSE_REFRESH_MS = 250;

export function createModelGate(
  redis: Redis,
  prefix: string,
  windowMs = 60_000,
  pauseRefreshMs = PAUSE_REFRESH_MS,
): ModelGate {
  const pauseKey = (modelId: string) => `${prefix}:switchyard:pause:${modelId}`;
  const tpmKey = (modelId: string) => `${prefix}:switchyard:tpm:${modelId}`;
  /** Per model: until when it is paused (ms since epoch) as last read, when that was read, a read under way. */
  const pauses = new Map<string, { until: number; readAt: number; reading?: Promise<void> }>();
  const readPause = (modelId: string) => {
    const known = pauses.get(modelId) ?? { until: 0, readAt: 0 };
    pauses.set(modelId, known);
    known.reading ??= redis
      .pttl(pauseKey(modelId))
      .then((left) => {
        known.readAt = Date.now();
        known.until = left > 0 ? known.readAt + left : 0;
      })
      .finally(() => {
        delete known.reading;
      });
    return known.reading;
  };
  return {
    async admit(modelId, tokens, tpm) {
      if (tpm === null || tpm <= 0) {
        let known = pauses.get(modelId);
        if (known === undefined || Date.now() - known.readAt >= pauseRefreshMs) {
          await readPause(modelId);
          known = pauses.get(modelId);
        }
        return Math.max(0, (known?.until ?? 0) - Date.now());
      }
      const wait = await redis.eval(
        ADMIT,
        2,
        pauseKey(modelId),
        tpmKey(modelId),
        Math.max(0, Math.ceil(tokens)),
        tpm,
        windowMs,
      );
      return Number(wait);
    },
    async pause(modelId, ms) {
      const key = pauseKey(modelId);
      const left = await redis.pttl(key);
      if (left < ms) await redis.set(key, '1', 'PX', Math.max(1, Math.ceil(ms)));
      const known = pauses.get(modelId) ?? { until: 0, readAt: 0 };
      known.until = Math.max(known.until, Date.now() + Math.max(left, ms));
      pauses.set(modelId, known);
    },
  };
}
