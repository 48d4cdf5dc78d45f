import { Redis } from 'ioredis';

/**
 * Deletes every Redis key under a queue prefix (`<prefix>:*`, the prefix matched literally), in SCAN
 * rounds; returns how many. Not atomic: while a live worker keeps writing, a job written meanwhile can
 * be left in part (its hash without the list that schedules it), as an eviction would.
 */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, (character) => `\\${character}`)}:*`;
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
