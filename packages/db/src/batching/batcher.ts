import type pg from 'pg';
import { isDatabaseUnavailable } from '../connection/database-errors.js';

/** One item's result from a batch: its value, or the error that item alone failed with. */
export type BatchResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface BatcherOptions<I, O> {
  /** Runs one batch: one result per item, in the items' order. A rejection fails every item of it. */
  run(items: readonly I[]): Promise<BatchResult<O>[]>;
  /** Most items in one batch. */
  maxBatch: number;
  /** Most batches running at once (default 2). */
  maxInFlight?: number;
}

const BATCHES_IN_FLIGHT = 2;

/**
 * Group commit for the database's hot path. Every item asked for during one turn of the event loop
 * goes out in one batch (one round trip); while `maxInFlight` batches are running, new items wait and
 * go together in the next. Under light load a batch is a single item sent at the end of the current
 * turn, so nothing waits on a timer; under heavy load, with hundreds of jobs in flight in a process,
 * batches grow by themselves and the number of statements, commits and socket writes per item falls.
 * Each caller's promise settles with its own item's result, after its batch has committed.
 */
export function createBatcher<I, O>(options: BatcherOptions<I, O>): (item: I) => Promise<O> {
  interface Pending {
    item: I;
    resolve(value: O): void;
    reject(error: unknown): void;
  }
  const pending: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;

  const send = (batch: Pending[]) => {
    inFlight += 1;
    let results: Promise<BatchResult<O>[]>;
    try {
      results = options.run(batch.map((entry) => entry.item));
    } catch (error) {
      results = Promise.reject(error);
    }
    results
      .then((settled) => {
        if (settled.length !== batch.length) {
          throw new Error(`a batch of ${batch.length} returned ${settled.length} results`);
        }
        batch.forEach((entry, index) => {
          const result = settled[index] as BatchResult<O>;
          if (result.ok) entry.resolve(result.value);
          else entry.reject(result.error);
        });
      })
      .catch((error: unknown) => {
        for (const entry of batch) entry.reject(error);
      })
      .finally(() => {
        inFlight -= 1;
        schedule();
      });
  };

  const maxInFlight = options.maxInFlight ?? BATCHES_IN_FLIGHT;
  const flush = () => {
    scheduled = false;
    while (inFlight < maxInFlight && pending.length > 0) send(pending.splice(0, options.maxBatch));
  };

  const schedule = () => {
    if (scheduled || pending.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(flush);
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      schedule();
    });
}

const poolBatchers = new WeakMap<object, Map<string, (item: never) => Promise<unknown>>>();

/** The batcher named `name` of a connection pool, made on first use: one per pool and operation. */
export function poolBatcher<I, O>(
  pool: pg.Pool,
  name: string,
  make: () => (item: I) => Promise<O>,
): (item: I) => Promise<O> {
  let batchers = poolBatchers.get(pool);
  if (batchers === undefined) {
    batchers = new Map();
    poolBatchers.set(pool, batchers);
  }
  let batcher = batchers.get(name) as ((item: I) => Promise<O>) | undefined;
  if (batcher === undefined) {
    batcher = make();
    batchers.set(name, batcher as (item: never) => Promise<unknown>);
  }
  return batcher;
}

/**
 * Runs a batch of database items: one item alone by its own prepared statement; several by the batch
 * statement, in one transaction. When that statement fails for anything but an unreachable database
 * (one item's error, a deadlock the server broke), nothing of it was committed and the items run one by
 * one, so each gets its own result or error.
 */
export async function runBatch<I, O>(
  items: readonly I[],
  one: (item: I) => Promise<O>,
  many: (items: readonly I[]) => Promise<O[]>,
): Promise<BatchResult<O>[]> {
  const each = () =>
    Promise.all(
      items.map((item) =>
        one(item).then(
          (value): BatchResult<O> => ({ ok: true, value }),
          (error: unknown): BatchResult<O> => ({ ok: false, error }),
        ),
      ),
    );
  if (items.length === 1) return each();
  let results: O[];
  try {
    results = await many(items);
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw error;
    return each();
  }
  return results.map((value) => ({ ok: true, value }));
}

/**
 * The batcher named `name` of a pool for a statement with a single form (`one`, its own prepared
 * statement) and a batch form (`many`, one transaction), run through {@link runBatch}. `make` runs once
 * per pool.
 */
export function poolStatementBatcher<I, O>(
  pool: pg.Pool,
  name: string,
  make: () => { maxBatch: number; one(item: I): Promise<O>; many(items: readonly I[]): Promise<O[]> },
): (item: I) => Promise<O> {
  return poolBatcher(pool, name, () => {
    const { maxBatch, one, many } = make();
    return createBatcher<I, O>({ maxBatch, run: (items) => runBatch(items, one, many) });
  });
}

/**
 * Calls a batch function of the migrations, which takes its items as one JSON array and returns a row
 * per item numbered `ord` (from 1): the rows, in the items' order.
 */
export async function callJsonBatch<R>(pool: pg.Pool, fn: string, items: readonly unknown[]): Promise<R[]> {
  const { rows } = await pool.query<R & { ord: number }>({
    name: fn,
    text: `SELECT * FROM ${fn}($1::jsonb)`,
    values: [JSON.stringify(items)],
  });
  return rows.sort((a, b) => a.ord - b.ord);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an id can name a row: one that is not a UUID must not fail the other items' statement. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/**
 * Rows by id, batched: every id asked for in one turn of the event loop goes into one statement
 * (`text`, taking the distinct UUIDs as `$1::uuid[]`), whose rows come back to their callers by `id`;
 * null for an id with no row (or one that is not a UUID, which is never sent).
 */
export function poolLookupById<R extends { id: string }>(
  pool: pg.Pool,
  name: string,
  text: string,
): (id: string) => Promise<R | null> {
  return poolBatcher(pool, name, () =>
    createBatcher<string, R | null>({
      maxBatch: 200,
      async run(ids) {
        const { rows } = await pool.query<R>({ name, text, values: [[...new Set(ids.filter(isUuid))]] });
        const byId = new Map(rows.map((row) => [row.id, row]));
        return ids.map((id) => ({ ok: true, value: byId.get(id) ?? null }));
      },
    }),
  );
}
