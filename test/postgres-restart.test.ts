import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivatePostgres, startPrivatePostgres } from '../packages/db/src/testing/private-postgres.js';
import { LedgerReader, picoUsd, waitFor } from './support/ledger.js';
import { mixDirectory, readMixRecords } from './support/mix-records.js';
import { type Stack, startStack } from './support/stack.js';

// A real Postgres server stopped (`pg_ctl stop -m fast`: every session is told 57P01 and cut) and
// started again while two workers have calls in flight. The server is the test's own, so stopping it
// touches nobody else. The reconciler is off: recovery must not wait for its sweep.

const records = readMixRecords().filter((_, index) => index % 31 === 0);
const OUTAGE_MS = 12_000;

describe('a Postgres restart under load', () => {
  let postgres: PrivatePostgres;
  let stack: Stack;
  let ledger: LedgerReader;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    stack = await startStack(
      {
        SWITCHYARD_REPLAY: mixDirectory,
        SWITCHYARD_REPLAY_LATENCY_MS: '150',
        SWITCHYARD_RECONCILE_INTERVAL_MS: '0',
        SWITCHYARD_CASCADE_CONCURRENCY: '32',
      },
      { databaseServerUrl: postgres.url },
    );
    await stack.startWorker();
    ledger = new LedgerReader(stack.database.url);
  }, 90_000);
  afterAll(async () => {
    await ledger?.close();
    await stack?.stop().catch(() => {});
    await postgres?.destroy();
  });

  it('kills no worker, answers 503 meanwhile, and finishes every query exactly once after it', async () => {
    const submitted = await Promise.all(
      records.slice(0, 60).map(async (record) => {
        const response = await stack.post('/v1/queries', {
          prompt: record.prompt,
          metadata: { answerType: record.answerType, recordId: record.id },
        });
        expect(response.status).toBe(202);
        return response.body.id as string;
      }),
    );
    await waitFor(
      'calls in flight',
      async () => (await ledger.attempts(submitted)).filter((attempt) => attempt.outcome === 'started').length >= 3,
      { intervalMs: 20 },
    );

    await postgres.stop('fast');
    const stoppedAt = Date.now();
    // While the database is down the API says so, with when to come back.
    const during = await fetch(`${stack.apiUrl}/v1/queries`, {
      method: 'POST',
      headers: { ...stack.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x' }),
    });
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBeTruthy();
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - stoppedAt)));
    expect(stack.workers().map((worker) => worker.alive())).toEqual([true, true]);
    await postgres.start();
    const back = Date.now();

    const final = await waitFor(
      'every query final',
      async () => {
        const rows = await ledger.queries(submitted);
        return rows.length === submitted.length &&
          rows.every((row) => row.status === 'completed' || row.status === 'failed')
          ? rows
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    expect(stack.workers().map((worker) => worker.alive())).toEqual([true, true]);
    expect(final.filter((row) => row.status !== 'completed').map((row) => row.error_code)).toEqual([]);
    const attempts = await ledger.attempts(submitted);
    expect(attempts.filter((attempt) => attempt.outcome === 'started')).toEqual([]);
    expect(await ledger.duplicateKeys(submitted)).toEqual([]);
    for (const row of final) {
      const sum = attempts
        .filter((attempt) => attempt.query_id === row.id)
        .reduce((total, attempt) => total + picoUsd(attempt.cost_usd), 0n);
      expect(picoUsd(row.total_cost_usd), `query ${row.id}`).toBe(sum);
      expect(picoUsd(row.reserved_cost_usd)).toBe(0n);
    }
    // No process died on the restart (the unhandled 57P01 'error' event used to kill them).
    expect(stack.logs()).not.toMatch(
      /Unhandled 'error' event|terminating connection due to administrator command\n\s+at /,
    );
    console.log(
      `postgres restart: ${OUTAGE_MS} ms down; all ${submitted.length} queries done ${Date.now() - back} ms after`,
    );
  }, 180_000);
});
