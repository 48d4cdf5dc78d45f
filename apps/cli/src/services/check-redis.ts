import { redactUrl } from '@switchyard/db';
import { Redis } from 'ioredis';

/** How long to wait for Redis before saying it is not there. */
const REDIS_CONNECT_TIMEOUT_MS = 3_000;

/** Pings Redis once; resolves to an error line (with what to run) or null when it answers. */
export async function checkRedis(url: string): Promise<string | null> {
  const redacted = redactUrl(url);
  let client: Redis;
  try {
    client = new Redis(url, {
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: true,
      lazyConnect: true,
    });
  } catch (error) {
    return `REDIS_URL is not a valid Redis URL (${redacted}): ${(error as Error).message}`;
  }
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') return `Redis at ${redacted} answered ${pong} to PING`;
    return null;
  } catch (error) {
    return (
      `Redis is not answering at ${redacted} (${describe(lastError ?? (error as Error))}). To fix: start Redis: ` +
      '`docker compose up -d redis` (from the repository root), or on a Debian machine ' +
      '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379`; or point REDIS_URL at a running server'
    );
  } finally {
    client.disconnect();
  }
}

function describe(error: Error): string {
  return (error as { code?: string }).code ?? error.message;
}
