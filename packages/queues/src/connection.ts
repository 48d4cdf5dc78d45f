import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for BullMQ. Workers need `maxRetriesPerRequest: null` so a Redis restart pauses
 * them instead of failing jobs; they reconnect on their own.
 */
export function createRedisConnection(url: string, options: RedisOptions = {}): Redis {
  const connection = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
  // Connection errors are retried by ioredis; without a listener each would be an unhandled 'error'.
  connection.on('error', () => {});
  return connection;
}
