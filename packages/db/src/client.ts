import { PrismaPg } from '@prisma/adapter-pg';
import pg, { type PoolClient } from 'pg';
import { PrismaClient } from './generated/prisma/client.js';

export type { PrismaClient };

/** How long a query waits for a pooled connection before failing (instead of waiting forever). */
const POOL_WAIT_MS = 15_000;

/**
 * The system's one way to open Prisma: the pg driver adapter, no native engine.
 *
 * Every pooled connection carries an 'error' listener for its whole life. pg-pool removes its own
 * listener while a connection is checked out, and Prisma's adapter adds one only after
 * `startTransaction`'s `await pool.connect()` resumes; a server shutdown (57P01) in between was an
 * unhandled 'error' event that killed the process. The statement in progress fails on its own, and
 * pg-pool discards the broken connection when it is released.
 */
export function createPrismaClient(options: {
  databaseUrl: string;
  maxConnections?: number;
  /** Told about connection errors (the server went away); default: ignored. */
  onConnectionError?: (error: Error) => void;
}): PrismaClient {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: POOL_WAIT_MS,
  });
  const onError = options.onConnectionError ?? (() => {});
  pool.on('connect', (client) => {
    client.on('error', onError);
  });
  pool.on('error', onError);
  const adapter = new GuardedPrismaPg(pool, {
    disposeExternalPool: true,
    onPoolError: onError,
    onConnectionError: onError,
  });
  const client = new PrismaClient({ adapter });
  sqlPools.set(client, pool);
  return client;
}

const sqlPools = new WeakMap<object, pg.Pool>();

/**
 * The pg pool under a client made by {@link createPrismaClient}: the hot path (the ledger, the
 * pipeline's reads) speaks SQL to it directly, one round trip per operation, without Prisma's query
 * engine in between (which cost about half of a worker's CPU in `pnpm bench`'s profile).
 */
export function sqlPool(prisma: PrismaClient): pg.Pool {
  const pool = sqlPools.get(prisma);
  if (!pool) throw new Error('sqlPool: the Prisma client was not made by createPrismaClient');
  return pool;
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;
type Transaction = Awaited<ReturnType<Adapter['startTransaction']>>;

/**
 * The pg adapter with one fix. Prisma 6.19's transaction manager sends COMMIT/ROLLBACK and only then
 * calls the adapter's commit()/rollback(), which returns the connection to the pool; when that
 * statement fails (the server restarted, the connection dropped) the connection is never returned.
 * A few such failures fill the pool and every later query waits forever. Here a failed COMMIT or
 * ROLLBACK destroys its connection at once, and a later commit()/rollback() does nothing.
 */
class GuardedPrismaPg extends PrismaPg {
  override async connect(): Promise<Adapter> {
    const adapter = await super.connect();
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => guardTransaction(await startTransaction(isolationLevel));
    return adapter;
  }
}

function guardTransaction(transaction: Transaction): Transaction {
  const client = (transaction as unknown as { client?: PoolClient }).client;
  if (client === undefined) return transaction;
  let released = false;
  const executeRaw = transaction.executeRaw.bind(transaction);
  const commit = transaction.commit.bind(transaction);
  const rollback = transaction.rollback.bind(transaction);
  transaction.executeRaw = async (query) => {
    try {
      return await executeRaw(query);
    } catch (error) {
      if (!released && /^\s*(COMMIT|ROLLBACK)\b/i.test(query.sql)) {
        released = true;
        // Passing an error makes pg close the connection rather than pool it.
        client.release(error instanceof Error ? error : new Error(String(error)));
      }
      throw error;
    }
  };
  transaction.commit = async () => {
    if (released) return;
    released = true;
    await commit();
  };
  transaction.rollback = async () => {
    if (released) return;
    released = true;
    await rollback();
  };
  return transaction;
}
