import { Redis } from 'ioredis';
import pg from 'pg';

/** Polls `probe` until it returns something other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** USD decimal string in integer pico-dollars (the ledger's 12 decimals), so sums compare exactly. */
export function picoUsd(value: string | number | null): bigint {
  if (value === null) return 0n;
  const text = typeof value === 'number' ? value.toFixed(12) : value;
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = text.replace(/^-/, '').split('.');
  const pico = BigInt(whole) * 10n ** 12n + BigInt(fraction.padEnd(12, '0').slice(0, 12));
  return negative ? -pico : pico;
}

export interface QueryRow {
  id: string;
  status: string;
  answer: string | null;
  answer_model: string | null;
  total_cost_usd: string;
  reserved_cost_usd: string;
  error_code: string | null;
}

export interface AttemptRow {
  id: string;
  query_id: string;
  stage: number;
  role: string;
  slot: number;
  model: string;
  outcome: string;
  tries: number;
  cost_usd: string | null;
  completed_at: string | null;
}

const READER_APPLICATION = 'switchyard-ledger-reader';

/** Reads the queries and attempt rows of a test straight from Postgres. */
export class LedgerReader {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: READER_APPLICATION });
    // A connection the server dropped (see `databaseOutage`) is discarded; the next query opens another.
    this.pool.on('error', () => {});
  }

  async queries(ids: string[]): Promise<QueryRow[]> {
    const { rows } = await this.pool.query<QueryRow>(
      `SELECT id, status, answer, answer_model, total_cost_usd::text, reserved_cost_usd::text, error_code
       FROM queries WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows;
  }

  async attempts(ids: string[]): Promise<AttemptRow[]> {
    const { rows } = await this.pool.query<AttemptRow>(
      `SELECT id, query_id, stage, role::text, slot, model, outcome::text, tries, cost_usd::text,
              completed_at::text
       FROM attempts WHERE query_id = ANY($1::uuid[]) ORDER BY query_id, stage, role, slot`,
      [ids],
    );
    return rows;
  }

  /** Ledger keys (query, stage, role, slot) that have more than one row; the schema should forbid any. */
  async duplicateKeys(ids: string[]): Promise<string[]> {
    const { rows } = await this.pool.query<{ key: string }>(
      `SELECT query_id || '/' || stage || '/' || role || '/' || slot AS key
       FROM attempts WHERE query_id = ANY($1::uuid[])
       GROUP BY query_id, stage, role, slot HAVING count(*) > 1`,
      [ids],
    );
    return rows.map((row) => row.key);
  }

  /** Callback deliveries of `ids`: status and tries per query and event. */
  async deliveries(
    ids: string[],
  ): Promise<{ query_id: string; event: string; status: string; attempt_count: number }[]> {
    const { rows } = await this.pool.query<{ query_id: string; event: string; status: string; attempt_count: number }>(
      `SELECT query_id, event, status::text, attempt_count FROM webhook_deliveries WHERE query_id = ANY($1::uuid[])`,
      [ids],
    );
    return rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Deletes every Redis key under `prefix:` (a Redis restart that lost the queues, or a cleanup). */
export { deleteQueueKeys } from '../../packages/queues/src/queue-keys.js';

/** How many Redis keys exist under `prefix:`. */
export async function countQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  try {
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  } finally {
    redis.disconnect();
  }
}

/**
 * A Postgres outage as the apps see it, on one test database only (the server, shared with other
 * tests, keeps running; LedgerReader connections are spared), for `ms`:
 *
 * `hard`: what a restart does. Every connection is dropped at once, inside a transaction or not, and
 * new ones are refused.
 * `every-statement-fails`: connections stay up, but every statement on the app's tables fails (it
 * waits for a lock held by the outage and is cancelled), so transactions roll back cleanly.
 *
 * (`hard` can wedge a Prisma client for good: in Prisma 6.19's driver-adapter runtime, a transaction
 * whose connection died midway fails its ROLLBACK and never releases its pooled connection; once the
 * pool is full of those, every query waits forever.)
 */
export async function databaseOutage(
  databaseUrl: string,
  ms: number,
  mode: 'hard' | 'every-statement-fails',
): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: maintenance.toString() });
  await admin.connect();
  const quoted = `"${name.replaceAll('"', '""')}"`;
  const sleep = (wait: number) => new Promise((resolve) => setTimeout(resolve, wait));
  try {
    if (mode === 'hard') {
      await admin.query(`ALTER DATABASE ${quoted} ALLOW_CONNECTIONS false`);
      try {
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2`,
          [name, READER_APPLICATION],
        );
        await sleep(ms);
      } finally {
        await admin.query(`ALTER DATABASE ${quoted} ALLOW_CONNECTIONS true`);
      }
      return;
    }
    const locker = new pg.Client({ connectionString: databaseUrl, application_name: READER_APPLICATION });
    await locker.connect();
    try {
      await locker.query(`SET lock_timeout = '10s'`);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE queries, attempts, webhook_deliveries IN ACCESS EXCLUSIVE MODE');
      const end = Date.now() + ms;
      while (Date.now() < end) {
        await admin.query(
          `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
           WHERE datname = $1 AND wait_event_type = 'Lock' AND application_name <> $2`,
          [name, READER_APPLICATION],
        );
        await sleep(10);
      }
    } finally {
      await locker.query('COMMIT').catch(() => {});
      await locker.end();
    }
  } finally {
    await admin.end();
  }
}
