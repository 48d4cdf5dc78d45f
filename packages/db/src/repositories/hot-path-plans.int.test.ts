import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from '../connection/connect.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';

// The routing read and the plan store look queries up by id and check their status. On a database
// without statistics (every new one until autovacuum's first pass) a status condition the planner
// could use made it combine the primary key with (status, created_at) and read every queued entry
// of that index on every call: a cost that grew with the run (51.9 M entries in one 20,000-query
// bench). This drives both functions past PL/pgSQL's switch to a cached generic plan on a table of
// thousands of queued, never-analyzed rows, and reads the index's own counters.
let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_hot_plans' });
  client = await connectClient(database.url, database.name);
});
afterAll(async () => {
  await client?.end();
  await database?.drop();
});

async function statusIndexReads(): Promise<{ scans: number; entries: number }> {
  // This backend's counters reach the shared statistics when it next goes idle.
  await client.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await client.query<{ scans: string; entries: string }>(
    `SELECT idx_scan::text AS scans, idx_tup_read::text AS entries FROM pg_stat_user_indexes
     WHERE indexrelname = 'queries_status_created_at_idx'`,
  );
  return { scans: Number(rows[0]?.scans ?? 0), entries: Number(rows[0]?.entries ?? 0) };
}

describe('hot-path plans on a database without statistics', () => {
  it('find queries by primary key only, never by scanning the status index', async () => {
    await client.query(
      `INSERT INTO queries (id, prompt, status, updated_at)
       SELECT gen_random_uuid(), 'q' || n, 'queued', now() FROM generate_series(1, 4000) AS n`,
    );
    const { rows } = await client.query<{ reltuples: number }>(
      `SELECT reltuples FROM pg_class WHERE relname = 'queries'`,
    );
    expect(rows[0]?.reltuples, 'the table must be unanalyzed for this test to mean anything').toBe(-1);
    const ids = (await client.query<{ id: string }>('SELECT id FROM queries ORDER BY id')).rows.map((row) => row.id);
    const before = await statusIndexReads();

    // Ten batches of eight: PL/pgSQL plans a statement generically after its fifth execution.
    for (let batch = 0; batch < 10; batch += 1) {
      const some = ids.slice(batch * 8, batch * 8 + 8);
      const read = await client.query('SELECT id FROM switchyard_read_for_routing($1::uuid[])', [some]);
      expect(read.rowCount).toBe(8);
      const stored = await client.query('SELECT id FROM switchyard_store_plans($1::uuid[], $2::jsonb[])', [
        some,
        some.map(() => JSON.stringify({ stages: [] })),
      ]);
      expect(stored.rowCount).toBe(8);
    }
    // Stored: read for routing no more, and not stored twice.
    const again = await client.query('SELECT id FROM switchyard_read_for_routing($1::uuid[])', [ids.slice(0, 8)]);
    expect(again.rowCount).toBe(0);

    const after = await statusIndexReads();
    expect(after.scans - before.scans).toBe(0);
    expect(after.entries - before.entries).toBe(0);
  });
});
