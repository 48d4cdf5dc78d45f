import type { Redis } from 'ioredis';

/** The outcome of one request against a limit. */
export type RateDecision =
  | { allowed: true; remaining: number }
  /** `retryAfterMs`: when the oldest request in the window leaves it. */
  | { allowed: false; retryAfterMs: number }
  /** Redis did not answer in time; the caller decides (the API lets the request through, logged). */
  | { allowed: true; remaining: null; unavailable: true };

export interface RateLimiter {
  /** Counts one request of `subject` against `limitPerMinute`, if it fits. */
  take(subject: string, limitPerMinute: number): Promise<RateDecision>;
}

/**
 * Sliding-window log in one sorted set per subject: at most `limit` requests in any 60 s, over every
 * process sharing the Redis. Time is Redis's own (`TIME`), so API hosts with skewed clocks agree.
 * A refused request is not counted, so a client retrying too early does not push its window on.
 */
const SLIDING_WINDOW = `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local retry = window
  if oldest[2] then retry = tonumber(oldest[2]) + window - now end
  return {0, retry}
end
redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, limit - count - 1}
`;

const WINDOW_MS = 60_000;

/**
 * A rate limiter on `redis`. Give it a connection that fails fast (`enableOfflineQueue: false`):
 * past `timeoutMs` without an answer the decision is `unavailable`.
 */
export function createRateLimiter(redis: Redis, options: { keyPrefix: string; timeoutMs?: number }): RateLimiter {
  const timeoutMs = options.timeoutMs ?? 500;
  let sequence = 0;
  return {
    async take(subject, limitPerMinute) {
      sequence = (sequence + 1) % 1_000_000_000;
      const member = `${process.pid}-${sequence}-${Math.random().toString(36).slice(2, 10)}`;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      });
      const call = redis
        .eval(SLIDING_WINDOW, 1, `${options.keyPrefix}:ratelimit:${subject}`, WINDOW_MS, limitPerMinute, member)
        .catch(() => null);
      const result = (await Promise.race([call, timeout]).finally(() => clearTimeout(timer))) as
        | [number, number]
        | null;
      if (result === null) return { allowed: true, remaining: null, unavailable: true };
      const [allowed, value] = result;
      return allowed === 1 ? { allowed: true, remaining: value } : { allowed: false, retryAfterMs: Math.max(1, value) };
    },
  };
}
