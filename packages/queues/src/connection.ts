import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for BullMQ. Workers need `maxRetriesPerRequest: null` so a Redis restart pauses
 * them instead of failing jobs; they reconnect on their own.
 *
 * Commands issued in one turn of the event loop go to Redis as one pipeline (ioredis's
 * auto-pipelining): the jobs a batched ledger write releases together finish together, and their
 * BullMQ scripts, the model gate's checks and the next jobs' adds then cost one write and one read
 * on each side instead of one each. Order on the connection is kept; blocking commands are never
 * pipelined (they would hold back what is queued behind them).
 */
export function createRedisConnection(url: string, options: RedisOptions = {}): Redis {
  const connection = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: BLOCKING_COMMANDS,
    ...options,
  });
  // Connection errors are retried by ioredis; without a listener each would be an unhandled 'error'.
  connection.on('error', () => {});
  return connection;
}

const BLOCKING_COMMANDS = ['bzpopmin', 'bzpopmax', 'brpoplpush', 'blmove', 'brpop', 'blpop', 'xread', 'xreadgroup'];
